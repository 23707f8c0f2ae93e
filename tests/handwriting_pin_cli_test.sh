#!/usr/bin/env bash
# Finding M2 of the security review against the real binaries: a thief with
# a copy of the phone (device token and state) but not the PIN can neither
# read, replace nor delete the holder's handwritten signature
# (docs/protocol.md §6.1, `duet holder handwriting … --pin`):
#  - without a PIN proof every route answers 426 client_upgrade_required and
#    nothing is counted (an app from before the PIN gate);
#  - each wrong PIN is "wrong PIN" with the attempts left, counted like a
#    signing one: the fifth locks the holder, and then signing is locked too;
#  - the image the holder kept is unchanged after the thief's tries, and the
#    holder reads it back with the right PIN once unlocked and refreshed;
#  - duetd's log holds no proof.
# Usage: handwriting_pin_cli_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
for tool in jq curl python3 cmp; do
  command -v "$tool" >/dev/null || { echo "handwriting_pin_cli_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "handwriting_pin_cli_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

# shellcheck source=tests/duetd_sandbox.sh
source "$(dirname "$0")/duetd_sandbox.sh"
holder_id=$("${api[@]}" holder create --name "王五" --id-number 110101199003071234 --phone 13812345678 | jq -r .holder_id)
code=$("${api[@]}" activation-code "$holder_id" | jq -r .code)
hold=("$duet" holder --server "$url" --ca "$ca" --state "$dir/device")
"${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --accept-agreements --pin 246810 --kdf-iterations 1000 \
  --no-certificate >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"
attempts() { "${api[@]}" holder get "$holder_id" | jq -r .attempts_left; }

python3 - "$dir" <<'PY'
import struct, sys, zlib
def png(w, h, rows):
    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
def drawing(y0):
    rows = []
    for y in range(40):
        r = bytearray(120 * 4)
        if abs(y - y0) <= 2:
            for x in range(10, 110):
                r[x * 4:x * 4 + 4] = bytes([10, 30, 200, 255])
        rows.append(bytes(r))
    return rows
open(f"{sys.argv[1]}/holder.png", "wb").write(png(120, 40, drawing(20)))
open(f"{sys.argv[1]}/thief.png", "wb").write(png(120, 40, drawing(8)))
PY
"${hold[@]}" handwriting set --pin 246810 "$dir/holder.png" >"$dir/set.log" 2>&1 || fail "set: $(cat "$dir/set.log")"
"${hold[@]}" handwriting get --pin 246810 --out "$dir/kept.png" >/dev/null || fail "get with the right PIN"
[ "$(attempts)" = 5 ] || fail "right PINs left attempts counted: $(attempts)"

# The thief copies the phone's stored state and token.
mkdir "$dir/thief"
cp -a "$dir"/device* "$dir/thief/"
thief=("$duet" holder --server "$url" --ca "$ca" --state "$dir/thief/device")

# An app from before the PIN gate (no Duet-Pin-Proof): 426 on every route, nothing counted.
token=$(cat "$dir/thief/device.token")
for method in GET DELETE PUT; do
  status=$(curl -s --cacert "$ca" -o "$dir/old.json" -w '%{http_code}' -X "$method" \
    -H "Authorization: Bearer $token" -H "Content-Type: image/png" --data-binary "@$dir/thief.png" \
    "$url/app/v1/handwritten-signature")
  [ "$status" = 426 ] || fail "$method without a proof answered $status: $(cat "$dir/old.json")"
  [ "$(jq -r .error.code "$dir/old.json")" = client_upgrade_required ] || fail "$method: $(cat "$dir/old.json")"
done
[ "$(attempts)" = 5 ] || fail "a request without a proof was counted: $(attempts)"

# Five wrong PINs, each counted: read, replace, delete, read, replace.
guess() {  # N COMMAND…
  local n=$1; shift
  if "${thief[@]}" handwriting "$@" --pin "00000$n" >"$dir/guess$n.log" 2>&1; then
    fail "wrong PIN $n went through: $(cat "$dir/guess$n.log")"
  fi
  grep -q "wrong PIN" "$dir/guess$n.log" || fail "guess $n: $(cat "$dir/guess$n.log")"
}
guess 1 get --out "$dir/stolen.png"
[ -e "$dir/stolen.png" ] && fail "a wrong PIN wrote the image"
grep -q "4 attempts left" "$dir/guess1.log" || fail "first guess: $(cat "$dir/guess1.log")"
[ "$(attempts)" = 4 ] || fail "the first wrong PIN was not counted: $(attempts)"
guess 2 set "$dir/thief.png"
guess 3 delete
guess 4 get --out "$dir/stolen.png"
guess 5 set "$dir/thief.png"
grep -q "now locked" "$dir/guess5.log" || fail "fifth guess: $(cat "$dir/guess5.log")"
h=$("${api[@]}" holder get "$holder_id")
[ "$(jq -r .status <<<"$h")" = locked ] || fail "not locked after five wrong PINs: $h"
# Locked is locked: the holder's own handwriting and signing are refused.
if "${hold[@]}" handwriting get --pin 246810 --out "$dir/x.png" >"$dir/locked.log" 2>&1; then fail "a locked holder read"; fi
grep -q "locked" "$dir/locked.log" || fail "locked read: $(cat "$dir/locked.log")"
printf "contract" >"$dir/msg"
order=$("${api[@]}" order create --holder "$holder_id" --title "after" --file "$dir/msg" | jq -r .order_id)
if "${hold[@]}" sign "$order" --pin 246810 >"$dir/sign.log" 2>&1; then fail "a locked key signed"; fi
grep -q "locked" "$dir/sign.log" || fail "locked sign: $(cat "$dir/sign.log")"
# No proof reached the log (points and proofs are hex).
if grep -Eq '[0-9a-f]{64}' "$dir/duetd.log"; then fail "duetd's log holds a 256-bit hex value"; fi

# Unlocked and refreshed, the holder reads back the image it kept: unchanged.
"${api[@]}" holder unlock "$holder_id" >/dev/null || fail "unlock"
if "${hold[@]}" handwriting get --pin 246810 --out "$dir/x.png" >"$dir/need.log" 2>&1; then
  fail "read before the refresh the unlock requires"
fi
grep -q "refresh" "$dir/need.log" || fail "refresh required: $(cat "$dir/need.log")"
"${hold[@]}" refresh --pin 246810 --kdf-iterations 1000 >"$dir/refresh.log" 2>&1 || fail "refresh: $(cat "$dir/refresh.log")"
"${hold[@]}" handwriting get --pin 246810 --out "$dir/after.png" >/dev/null || fail "get after the refresh"
cmp -s "$dir/kept.png" "$dir/after.png" || fail "the kept image changed during the thief's tries"
# The thief's copy is dead now, even with the right PIN.
cp "$dir/device.token" "$dir/thief/device.token"
if "${thief[@]}" handwriting get --pin 246810 --out "$dir/stolen.png" >"$dir/stale.log" 2>&1; then
  fail "the old state read after the refresh"
fi
grep -q "wrong PIN" "$dir/stale.log" || fail "stale copy: $(cat "$dir/stale.log")"
echo "handwriting PIN: 426 without a proof, five wrong PINs lock, the image untouched, the right PIN reads it"
