#!/usr/bin/env bash
# The KEK goes away while duetd runs (issue 5 items 5 and 9), on a real
# SoftHSM2 token. Then /readyz answers 503, creating a holder (which must encrypt) answers 503
# unavailable and adds no row (nothing is written unencrypted: no plaintext
# fallback), requests that need no new ciphertext still work. Phase A: the
# KEK object file leaves the token; phase B: the whole token directory goes.
# Each time the token is restored and duetd restarted (SoftHSM2's file store
# does not see files put back inside a running process): ready again.
# Usage: kek_unavailable_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
root=$(cd "$(dirname "$0")/.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; rm -rf "$dir" || true; }
trap cleanup EXIT
fail() { echo "kek_unavailable_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

eval "$("$root/scripts/softhsm-token" "$dir/hsm" duet)"
export DUET_KEK=pkcs11 DUET_PKCS11_PIN_FILE="$dir/hsm/user.pin"
data=$dir/data
start_duetd() {
  rm -f "$data/duetd.port"
  "$duetd" --dev --data-dir "$data" --listen 127.0.0.1:0 >>"$dir/duetd.out" 2>>"$dir/duetd.log" &
  pid=$!
  for _ in $(seq 1 600); do
    [[ -s "$data/duetd.port" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "duetd exited at start"
    sleep 0.1
  done
  port=$(tr -dc '0-9' <"$data/duetd.port")
  url="https://127.0.0.1:$port"
  api=("$duet" api --server "$url" --ca "$ca" --app-id "${app:-}" --secret-file "$dir/secret")
}
ca="$data/tls/dev-cert.pem"
start_duetd
status() { curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$url$1"; }
wait_ready() {  # wait_ready WANT: /readyz answers WANT within 40 s
  local got=""
  for _ in $(seq 1 160); do
    got=$(status /readyz)
    [[ "$got" == "$1" ]] && return 0
    sleep 0.25
  done
  fail "/readyz stayed $got, expected $1"
}
holders() { sqlite3 -cmd ".timeout 10000" "file:$data/duet.db?mode=ro" "SELECT COUNT(*) FROM holders"; }
wait_ready 200
[[ -f "$data/datakeys.wrapped" ]] || fail "no wrapped data-key record (not on the PKCS#11 KEK?)"
[[ ! -e "$data/kek.key" && ! -e "$data/kek-dev.key" ]] || fail "a plain key file exists"

adm=("$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token")
tenant=$("${adm[@]}" tenant create --name "KEK bank" | jq -r .tenant_id)
apps=$("${adm[@]}" app create --tenant "$tenant" 2>/dev/null)
app=$(jq -r .sandbox.app_id <<<"$apps")
jq -r .sandbox.secret <<<"$apps" >"$dir/secret"
api=("$duet" api --server "$url" --ca "$ca" --app-id "$app" --secret-file "$dir/secret")
first=$("${api[@]}" holder create --name "李四" --id-number 110101198001011111 --phone 13900001111)
first_id=$(jq -r .holder_id <<<"$first")
[[ "$(holders)" == 1 ]] || fail "expected one holder"

# Phase A: the KEK object leaves the token (its object file is moved out of
# the token directory; SoftHSM2 re-reads the directory at each operation).
tokdir=$(find "$dir/hsm/tokens" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[[ -n "$tokdir" ]] || fail "no token directory"
mkdir "$dir/away"
for f in "$tokdir"/*.object; do
  [[ "$(basename "$f")" == token.object ]] || mv "$f" "$dir/away/"
done
[[ -n "$(ls "$dir/away")" ]] || fail "no key object file in the token"
wait_ready 503
[[ "$(status /healthz)" == 200 ]] || fail "/healthz is not 200 while the KEK is away"
# The alert rules' gauges (deploy/prometheus) say why.
metrics=$(curl -sf --cacert "$ca" "$url/metrics") || fail "GET /metrics while the KEK is away"
grep -qx 'duet_kek_available 0' <<<"$metrics" || fail "duet_kek_available is not 0 while the KEK is away"
grep -qx 'duet_ready 0' <<<"$metrics" || fail "duet_ready is not 0 while the KEK is away"
grep -qx 'duet_store_available 1' <<<"$metrics" || fail "duet_store_available is not 1"

# A new holder needs encryption: 503 unavailable, no row, nothing in clear.
try_create() {
  if "${api[@]}" holder create --name "王五" --id-number 110101197707077777 --phone 13700007777        >"$dir/create.out" 2>"$dir/create.err"; then
    fail "a holder was created without the KEK: $(cat "$dir/create.out")"
  fi
  grep -q "unavailable" "$dir/create.out" "$dir/create.err" || fail "not an unavailable error: $(cat "$dir/create.out" "$dir/create.err")"
  grep -q "HTTP 503" "$dir/create.out" "$dir/create.err" || fail "not a 503: $(cat "$dir/create.out" "$dir/create.err")"
  [[ "$(holders)" == 1 ]] || fail "a holder row was written without the KEK"
}
try_create
# A read that needs no new ciphertext still answers (masked).
got=$("${api[@]}" holder get "$first_id")
[[ "$(jq -r .phone <<<"$got")" == "139****1111" ]] || fail "holder get: $got"
scan_all() {
  python3 "$here/pii_scan.py" "王五,110101197707077777,13700007777,李四,110101198001011111,13900001111" \
    "$data" "$dir/duetd.out" "$dir/duetd.log" "$dir/create.out" "$dir/create.err" || fail "personal data in clear"
}
scan_all

# The key object comes back. SoftHSM2 does not re-read objects put back by
# hand inside a running process (it re-indexes a token only on its own
# changes), so duetd is restarted: ready again, and a holder is created.
mv "$dir/away"/* "$tokdir/"
kill -TERM "$pid"; wait "$pid" || true; pid=""
start_duetd
wait_ready 200
"${api[@]}" holder create --name "王五" --id-number 110101197707077777 --phone 13700007777 >"$dir/create2.out" \
  || fail "holder create after the KEK came back: $(cat "$dir/create2.out")"
[[ "$(jq -r .id_number "$dir/create2.out")" == "1101**********7777" ]] || fail "$(cat "$dir/create2.out")"
[[ "$(holders)" == 2 ]] || fail "expected two holders"

# Phase B: the whole token goes away (its directory is moved out of the
# token store): readiness 503, creation 503 with no row. SoftHSM2 does not see
# a token directory come back inside a running process, so the token is put
# back and duetd restarted: ready, and the data is all there.
mv "$tokdir" "$dir/token-away"
wait_ready 503
"${api[@]}" holder create --name "赵六" --id-number 110101196606066666 --phone 13600006666 \
  >"$dir/create3.out" 2>"$dir/create3.err" && fail "a holder was created without the token"
grep -q "HTTP 503" "$dir/create3.out" "$dir/create3.err" || fail "not a 503: $(cat "$dir/create3.out" "$dir/create3.err")"
[[ "$(holders)" == 2 ]] || fail "a holder row was written without the token"
kill -TERM "$pid"; wait "$pid" || true; pid=""
mv "$dir/token-away" "$tokdir"
start_duetd
wait_ready 200
got=$("${api[@]}" holder get "$first_id")
[[ "$(jq -r .id_number <<<"$got")" == "1101**********1111" ]] || fail "holder get after restart: $got"
kill -TERM "$pid"; wait "$pid" || true; pid=""
python3 "$here/pii_scan.py" "王五,110101197707077777,13700007777,赵六,110101196606066666,13600006666" \
  "$data" "$dir/duetd.out" "$dir/duetd.log" "$dir/create3.out" "$dir/create3.err" || fail "personal data in clear"
echo "KEK unavailable: /readyz 503, holder creation 503 with no row; ready again once the key / token is back"
