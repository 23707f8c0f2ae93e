#!/usr/bin/env bash
# `duet holder` against a real duetd, protocol v2 (issue 10): a wrong PIN is
# refused at the session start with the attempts left (counted); change-pin
# is a share refresh (the old PIN is refused afterwards, the state file holds
# one wrap and no proof); refresh --move-to moves the holder to a new state
# file (the old one and its token are gone); five wrong PINs lock (423); an
# unlock by the business system answers refresh_required until a refresh.
# Usage: holder_pin_cli_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
command -v jq >/dev/null || { echo "holder_pin_cli_test: needs jq" >&2; exit 1; }
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "holder_pin_cli_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

# shellcheck source=tests/duetd_sandbox.sh
source "$(dirname "$0")/duetd_sandbox.sh"
holder_id=$("${api[@]}" holder create --name "张三" --id-number 110101199003071234 --phone 13812345678 |
  jq -r .holder_id)
code=$("${api[@]}" activation-code "$holder_id" | jq -r .code)
old=("$duet" holder --server "$url" --ca "$ca" --state "$dir/device")
"${old[@]}" enroll --holder-id "$holder_id" --code "$code" --accept-agreements --pin 246810 --kdf-iterations 1000 --no-certificate \
  >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"

n=0
order() {
  n=$((n + 1))
  printf 'order %s' "$n" >"$dir/msg"
  "${api[@]}" order create --holder "$holder_id" --title "t" --file "$dir/msg" --output der | jq -r .order_id
}
signs() {  # STATE PIN → the order is signed with attempts_left 5
  local o out
  o=$(order)
  out=$("$duet" holder --server "$url" --ca "$ca" --state "$1" sign "$o" --pin "$2") || fail "sign with $2 failed"
  [ "$(jq -r .state <<<"$out")" = signed ] || fail "not signed: $out"
  [ "$(jq -r .attempts_left <<<"$out")" = 5 ] || fail "attempts not reset: $out"
}
refused() {  # STATE PIN PATTERN → the signature is refused with a message matching PATTERN
  local o
  o=$(order)
  if "$duet" holder --server "$url" --ca "$ca" --state "$1" sign "$o" --pin "$2" >"$dir/refused.log" 2>&1; then
    fail "signed with $2"
  fi
  grep -q "$3" "$dir/refused.log" || fail "expected '$3': $(cat "$dir/refused.log")"
}
one_wrap() {  # FILE: one wrapped share, no proof
  [ "$(grep -o '"share"' "$1" | wc -l)" = 1 ] || fail "$1 does not hold exactly one wrap"
  ! grep -q '"proof"\|"t":\|"z":' "$1" || fail "$1 holds a proof"
}

refused "$dir/device" 000000 "wrong PIN: the service refused it (4 attempts left"
signs "$dir/device" 246810

# A PIN change is a refresh: the old PIN (checked online) first.
if "${old[@]}" change-pin --pin 000000 --new-pin 135791 --kdf-iterations 1000 >"$dir/cp.log" 2>&1; then
  fail "change-pin with a wrong PIN"
fi
grep -q "wrong PIN" "$dir/cp.log" || fail "change-pin: $(cat "$dir/cp.log")"
out=$("${old[@]}" change-pin --pin 246810 --new-pin 135791 --kdf-iterations 1000) || fail "change-pin"
[ "$(jq -r .pin_changed <<<"$out")" = true ] || fail "change-pin: $out"
one_wrap "$dir/device"
[ "$(ls "$dir" | grep -c '^device')" = 2 ] || fail "files next to the state: $(ls "$dir")"  # device, device.token
refused "$dir/device" 246810 "wrong PIN"
signs "$dir/device" 135791

# To a new device: the state and the token move; the old token is revoked.
out=$("${old[@]}" refresh --pin 135791 --kdf-iterations 1000 --move-to "$dir/phone2") || fail "refresh --move-to"
[ "$(jq -r .state_file <<<"$out")" = "$dir/phone2" ] || fail "refresh --move-to: $out"
[ ! -e "$dir/device" ] && [ ! -e "$dir/device.token" ] || fail "the old state or token is still there"
one_wrap "$dir/phone2"
signs "$dir/phone2" 135791
new=("$duet" holder --server "$url" --ca "$ca" --state "$dir/phone2")
if "${new[@]}" refresh --resume --pin 135791 >/dev/null 2>&1; then fail "resume without a pending refresh"; fi

# Five wrong PINs lock; then an unlock forces a refresh.
for _ in 1 2 3 4 5; do refused "$dir/phone2" 000000 "wrong PIN"; done
grep -q "last attempt" "$dir/refused.log" || fail "no last-attempt message: $(cat "$dir/refused.log")"
refused "$dir/phone2" 135791 "locked"
"${api[@]}" holder unlock "$holder_id" >/dev/null || fail "unlock"
refused "$dir/phone2" 135791 "run \`duet holder refresh"
"${new[@]}" refresh --pin 135791 --kdf-iterations 1000 >/dev/null || fail "refresh after the unlock"
signs "$dir/phone2" 135791
echo "holder PIN CLI: OK"
