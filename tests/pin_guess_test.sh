#!/usr/bin/env bash
# Issue 10 against the real binaries: a thief holding a copy of the phone's
# state but not the PIN gets N online guesses and nothing else.
#  - five wrong PINs from the copied state: each answered "wrong PIN" with the
#    attempts left, never a signature; the key locks on the fifth; a sixth try
#    (even with the right PIN) is refused as locked;
#  - duetd's log holds no protocol value of those attempts;
#  - the business system unlocks: signing now needs a share refresh first; the
#    holder runs it; the thief's copy then fails even with the RIGHT PIN;
#  - a PIN change is a refresh: the new PIN signs, the old one is refused, and
#    the state file holds exactly one wrapped share.
# Usage: pin_guess_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
command -v jq >/dev/null || { echo "pin_guess_test: needs jq" >&2; exit 1; }
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "pin_guess_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

# shellcheck source=tests/duetd_sandbox.sh
source "$(dirname "$0")/duetd_sandbox.sh"
holder_id=$("${api[@]}" holder create --name "李四" --id-number 110101199003071234 --phone 13812345678 | jq -r .holder_id)
code=$("${api[@]}" activation-code "$holder_id" | jq -r .code)
hold=("$duet" holder --server "$url" --ca "$ca" --state "$dir/device")
"${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --accept-agreements --pin 246810 --kdf-iterations 1000 --no-certificate \
  >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"

# The thief copies the phone's stored state (every file of it).
mkdir "$dir/thief"
cp -a "$dir"/device* "$dir/thief/"
thief=("$duet" holder --server "$url" --ca "$ca" --state "$dir/thief/device")

printf "contract" >"$dir/msg"
order=$("${api[@]}" order create --holder "$holder_id" --title "guess" --file "$dir/msg" | jq -r .order_id)
for i in 1 2 3 4 5; do
  if "${thief[@]}" sign "$order" --pin "00000$i" >"$dir/guess$i.log" 2>&1; then
    fail "a wrong PIN signed: $(cat "$dir/guess$i.log")"
  fi
  grep -q "wrong PIN" "$dir/guess$i.log" || fail "guess $i: $(cat "$dir/guess$i.log")"
  grep -qi "signature" "$dir/guess$i.log" && fail "guess $i produced a signature: $(cat "$dir/guess$i.log")"
done
grep -q "4 attempts left" "$dir/guess1.log" || fail "first guess: $(cat "$dir/guess1.log")"
grep -q "now locked" "$dir/guess5.log" || fail "fifth guess: $(cat "$dir/guess5.log")"
h=$("${api[@]}" holder get "$holder_id")
[ "$(jq -r .status <<<"$h")" = locked ] || fail "not locked after five wrong PINs: $h"
[ "$(jq -r .attempts_left <<<"$h")" = 0 ] || fail "attempts left: $h"
[ "$("${api[@]}" order get "$order" | jq -r .state)" = failed ] || fail "the lockout did not end the order"
order_l=$("${api[@]}" order create --holder "$holder_id" --title "locked" --file "$dir/msg" | jq -r .order_id)
if "${hold[@]}" sign "$order_l" --pin 246810 >"$dir/locked.log" 2>&1; then fail "a locked key signed"; fi
grep -q "locked" "$dir/locked.log" || fail "locked: $(cat "$dir/locked.log")"
# No protocol value of the attempts reached the log (points and proofs are hex).
if grep -Eq '[0-9a-f]{64}' "$dir/duetd.log"; then fail "duetd's log holds a 256-bit hex value"; fi

# Unlock: the next PIN use must be a refresh, after which the copy is dead.
"${api[@]}" holder unlock "$holder_id" >/dev/null || fail "unlock"
[ "$("${api[@]}" holder get "$holder_id" | jq -r .refresh_required)" = true ] || fail "no refresh_required after unlock"
order2=$("${api[@]}" order create --holder "$holder_id" --title "after unlock" --file "$dir/msg" | jq -r .order_id)
if "${hold[@]}" sign "$order2" --pin 246810 >"$dir/need.log" 2>&1; then fail "signed without the refresh"; fi
grep -q "refresh" "$dir/need.log" || fail "refresh required: $(cat "$dir/need.log")"
"${hold[@]}" refresh --pin 246810 --kdf-iterations 1000 >"$dir/refresh.log" 2>&1 || fail "refresh: $(cat "$dir/refresh.log")"
"${hold[@]}" sign "$order2" --pin 246810 >"$dir/sign2.log" 2>&1 || fail "sign after refresh: $(cat "$dir/sign2.log")"
order3=$("${api[@]}" order create --holder "$holder_id" --title "stale" --file "$dir/msg" | jq -r .order_id)
cp "$dir/device.token" "$dir/thief/device.token"  # even with the fresh token
if "${thief[@]}" sign "$order3" --pin 246810 >"$dir/stale.log" 2>&1; then
  fail "the copied old state signed after the refresh: $(cat "$dir/stale.log")"
fi
grep -q "wrong PIN" "$dir/stale.log" || fail "the copy was not refused by its PIN proof: $(cat "$dir/stale.log")"

# A PIN change is a refresh; one wrap on disk afterwards.
"${hold[@]}" change-pin --pin 246810 --new-pin 135790 --kdf-iterations 1000 >"$dir/chpin.log" 2>&1 ||
  fail "change-pin: $(cat "$dir/chpin.log")"
if "${hold[@]}" sign "$order3" --pin 246810 >"$dir/oldpin.log" 2>&1; then fail "the old PIN still signs"; fi
grep -q "wrong PIN" "$dir/oldpin.log" || fail "old PIN: $(cat "$dir/oldpin.log")"
"${hold[@]}" sign "$order3" --pin 135790 >"$dir/newpin.log" 2>&1 || fail "new PIN: $(cat "$dir/newpin.log")"
shares=$(cat "$dir"/device* | grep -o '"share"' | wc -l)
[ "$shares" = 1 ] || fail "the device's files hold $shares wrapped shares"
echo "pin guessing: 5 online guesses then locked, refresh after unlock kills copies, PIN change by refresh OK"
