#!/usr/bin/env bash
# docs/integration.md runs as written: every ```bash block after a
# "<!-- tested -->" line is extracted verbatim and run, in order, in one bash
# against a real duetd (tests/duetd_sandbox.sh) with the sandbox credential in
# DUET_URL / DUET_APP_ID / DUET_SECRET. Between the blocks the test plays the
# holder's phone with `duet holder` (enroll after §4, sign after §5). It ends
# with the guide's own openssl verification, which must print "Verified OK".
set -euo pipefail
duet=$(realpath "$1")
duetd=$(realpath "$2")
doc=$3
for tool in jq openssl curl xxd; do command -v $tool >/dev/null || { echo "integration_doc_test: needs $tool" >&2; exit 1; }; done
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "integration_doc_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

source "$(dirname "$0")/duetd_sandbox.sh"

# The tested blocks, one file each.
awk -v out="$dir/block" '
  /^<!-- tested -->$/ { armed = 1; next }
  armed && /^```bash$/ { n++; inblock = 1; armed = 0; next }
  inblock && /^```$/ { inblock = 0; next }
  inblock { print > (out "-" n ".sh") }
  END { print n > (out "-count") }' "$doc"
count=$(cat "$dir/block-count")
[ "$count" -ge 7 ] || fail "expected at least 7 tested blocks in $doc, found $count"

export DUET_URL=$url DUET_APP_ID=$app DUET_SECRET=$(cat "$dir/secret") CURL_CA_BUNDLE=$ca
cd "$dir"
# One bash runs the blocks in order (functions and variables carry over);
# hooks run the phone's part after the blocks that need it.
{
  echo 'set -euo pipefail'
  for i in $(seq 1 "$count"); do
    echo "echo '--- block $i' >&2"
    cat "$dir/block-$i.sh"
    if grep -q 'activation-codes' "$dir/block-$i.sh"; then
      echo '"$DUET_CLI" holder --server "$DUET_URL" --ca "$CURL_CA_BUNDLE" --state phone enroll --holder-id "$holder_id" \
        --code "$(jq -r .code <<<"$activation")" --pin 246810 --kdf-iterations 1000 --accept-agreements >enroll.log'
    fi
    if grep -q 'POST /api/v1/orders' "$dir/block-$i.sh"; then
      echo '"$DUET_CLI" holder --server "$DUET_URL" --ca "$CURL_CA_BUNDLE" --state phone sign "$order_id" --pin 246810 >sign.log'
    fi
  done
} >"$dir/run.sh"
DUET_CLI=$duet bash "$dir/run.sh" >"$dir/out.log" 2>"$dir/err.log" || fail "the guide's blocks failed: $(tail -n 30 "$dir/err.log")"
grep -q '^Verified OK$' "$dir/out.log" || fail "no 'Verified OK': $(cat "$dir/out.log")"
grep -qx 'signed' "$dir/out.log" || fail "the order's state was not printed as signed: $(cat "$dir/out.log")"
[ -s "$dir/activation.png" ] && [ "$(head -c 4 "$dir/activation.png" | xxd -p)" = 89504e47 ] || fail "no QR PNG"

# The signing function must fail closed: a wrong secret is 401.
DUET_SECRET=0000 bash -c "$(cat "$dir/block-1.sh"); duet_call GET /api/v1/packages" >"$dir/bad.json" || true
[ "$(jq -r .error.code "$dir/bad.json")" = unauthenticated ] || fail "a wrong secret was not refused: $(cat "$dir/bad.json")"
echo "integration guide: $count blocks ran; the signature verified with openssl"
