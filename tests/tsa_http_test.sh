#!/usr/bin/env bash
# The time-stamping unit over HTTP (POST /pki/tsa, RFC 3161 §3.4) on a real
# duetd, driven by the openssl CLI as an RFC 3161 client: a granted reply with
# the request's nonce and imprint; a rejection for an MD5 imprint and for a
# body that is not a request; 400 without the RFC's content type; and the
# unit is the same after a restart.
# Usage: tsa_http_test.sh DUETD
set -euo pipefail
duetd=$1
dir=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; rm -rf "$dir" || true; }
trap cleanup EXIT
fail() { echo "tsa_http_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

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
}
ca="$data/tls/dev-cert.pem"
post() {  # post FILE CONTENT_TYPE OUT -> HTTP status
  curl -s -o "$3" -w '%{http_code}' --cacert "$ca" -H "Content-Type: $2" --data-binary "@$1" "$url/pki/tsa"
}
start_duetd

printf 'contract #42' >"$dir/doc.txt"
openssl ts -query -data "$dir/doc.txt" -sm3 -cert -out "$dir/req.tsq" 2>/dev/null
[[ "$(post "$dir/req.tsq" application/timestamp-query "$dir/resp.tsr")" == 200 ]] || fail "POST /pki/tsa"
openssl ts -reply -in "$dir/resp.tsr" -text >"$dir/resp.txt" 2>&1 || fail "openssl cannot read the reply"
grep -q 'Status: Granted.' "$dir/resp.txt" || fail "not granted: $(cat "$dir/resp.txt")"
grep -q 'Hash Algorithm: sm3' "$dir/resp.txt" || fail "not the SM3 imprint"
openssl ts -query -in "$dir/req.tsq" -text >"$dir/req.txt" 2>&1
[[ "$(grep 'Nonce:' "$dir/resp.txt")" == "$(grep 'Nonce:' "$dir/req.txt")" ]] || fail "the nonce is not echoed"
# The imprint: the reply's message data is the request's.
req_imprint=$(sed -n '/Message data:/,/Policy OID\|Nonce/p' "$dir/req.txt" | grep -o '^ *[0-9a-f]\{4\} - .*' | cut -c1-60)
resp_imprint=$(sed -n '/Message data:/,/Serial number/p' "$dir/resp.txt" | grep -o '^ *[0-9a-f]\{4\} - .*' | cut -c1-60)
[[ -n "$req_imprint" && "$req_imprint" == "$resp_imprint" ]] || fail "the imprint is not the request's"
serial=$(grep 'Serial number:' "$dir/resp.txt")
tsa=$(grep 'TSA: DirName' "$dir/resp.txt") || fail "no TSA name in the token"
[[ "$tsa" == *"Time Stamping Unit"* ]] || fail "TSA name: $tsa"

# Refused requests: rejection inside a 200 answer, with the RFC's reason.
openssl ts -query -data "$dir/doc.txt" -md5 -out "$dir/md5.tsq" 2>/dev/null
[[ "$(post "$dir/md5.tsq" application/timestamp-query "$dir/md5.tsr")" == 200 ]] || fail "POST md5"
openssl ts -reply -in "$dir/md5.tsr" -text 2>&1 | grep -q 'unrecognized or unsupported algorithm identifier' ||
  fail "MD5 is not badAlg"
printf 'not a request' >"$dir/junk"
[[ "$(post "$dir/junk" application/timestamp-query "$dir/junk.tsr")" == 200 ]] || fail "POST junk"
openssl ts -reply -in "$dir/junk.tsr" -text 2>&1 | grep -q 'the data submitted has the wrong format' || fail "junk is not badDataFormat"
# Without the RFC's content type: a 400 in the service's error model.
[[ "$(post "$dir/req.tsq" application/octet-stream "$dir/err.json")" == 400 ]] || fail "wrong content type accepted"
grep -q '"bad_encoding"' "$dir/err.json" || fail "error body: $(cat "$dir/err.json")"

# A restart keeps the unit (the same TSA name), with new serial numbers.
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
start_duetd
[[ "$(post "$dir/req.tsq" application/timestamp-query "$dir/resp2.tsr")" == 200 ]] || fail "POST after restart"
openssl ts -reply -in "$dir/resp2.tsr" -text >"$dir/resp2.txt" 2>&1
grep -q 'Status: Granted.' "$dir/resp2.txt" || fail "not granted after restart"
[[ "$(grep 'TSA: DirName' "$dir/resp2.txt")" == "$tsa" ]] || fail "another unit after restart"
[[ "$(grep 'Serial number:' "$dir/resp2.txt")" != "$serial" ]] || fail "a serial number was reused"
echo "tsa_http_test: OK"
