#!/usr/bin/env bash
# Issue 14 item 1, the sandbox CA (docs/pki.md "The sandbox CA"), against a
# real duetd on loopback, on SQLite or (BACKEND=postgres, with
# DUET_TEST_PG_DSN) PostgreSQL:
#   - a sandbox holder enrolls and signs a CMS; `openssl x509 -issuer` names
#     the sandbox issuing CA (Sandbox CN, the sandbox OU), the holder's subject
#     carries the sandbox OU; openssl verifies the sandbox chain link by link
#     (-vfyopt distid applies to the target only), the root's self-signature
#     with pkeyutl; the production chain does not verify it;
#   - POST /api/v1/verify with production credentials: untrusted chain with the
#     documented reason; with sandbox credentials: valid. `duet verify
#     --server` the same by --environment;
#   - a production holder: production's CA, no OU, trusted by production's
#     /verify and not by the sandbox's;
#   - revocation of the sandbox certificate shows in the sandbox CRL (openssl
#     crl) and the sandbox OCSP responder (openssl ocsp), not in production's;
#   - each /pki path serves only its environment's CAs;
#   - upgrade: the store taken back to v30 (the sandbox CA rows and the
#     environment column dropped), duetd started again: v31, a sandbox CA
#     created at that start, production's CA and certificates unchanged.
# Usage: sandbox_ca_test.sh DUET DUETD [sqlite|postgres]
set -euo pipefail
duet=$1
duetd=$2
backend=${3:-sqlite}
# The migration that added certificate_authorities.environment (the newest in
# src/store/migrations_v13_on.cc; renumber here together with it).
ca_env_version=31
for tool in jq openssl xxd curl csplit; do
  command -v "$tool" >/dev/null || { echo "sandbox_ca_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
data=$dir/data
pid=""
db=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ -n "$db" ]; then psql "$DUET_TEST_PG_DSN" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "sandbox_ca_test ($backend): FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

env_vars=()
if [ "$backend" = postgres ]; then
  [ -n "${DUET_TEST_PG_DSN:-}" ] || fail "DUET_TEST_PG_DSN is not set (eval \"\$(scripts/pg-test-server start DIR)\")"
  command -v psql >/dev/null || fail "needs psql"
  db="duet_sbx_$(head -c 6 /dev/urandom | xxd -p)"
  psql "$DUET_TEST_PG_DSN" -qAt -c "CREATE DATABASE $db" >/dev/null || fail "cannot create database $db"
  env_vars=(DUET_STORE_BACKEND=postgres "DUET_PG_DSN=$DUET_TEST_PG_DSN dbname=$db")
  sql() { psql "$DUET_TEST_PG_DSN dbname=$db" -qAt -v ON_ERROR_STOP=1 -c "$1"; }
else
  command -v sqlite3 >/dev/null || fail "needs sqlite3"
  sql() { sqlite3 "$data/duet.db" "$1"; }
fi

printf '[limits]\nsandbox_requests_per_second = 0\n' >"$dir/duetd.toml"
start_duetd() {
  rm -f "$data/duetd.port"
  env "${env_vars[@]}" "$duetd" --config "$dir/duetd.toml" --data-dir "$data" --listen 127.0.0.1:0 --dev \
    >>"$dir/duetd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    [ -s "$data/duetd.port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "duetd exited at start"
    sleep 0.1
  done
  [ -s "$data/duetd.port" ] || fail "duetd did not start within 60 s"
  port=$(tr -dc '0-9:' <"$data/duetd.port"); port=${port##*:}
  url="https://127.0.0.1:$port"
  ca="$data/tls/dev-cert.pem"
}
stop_duetd() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
get() { curl -sS --fail --cacert "$ca" "$url$1" -o "$2"; }
status_of() { curl -sS --cacert "$ca" -o /dev/null -w '%{http_code}' "$url$1"; }

start_duetd
adm=("$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token")
tenant=$("${adm[@]}" tenant create --name "Sandbox CA bank" | jq -r .tenant_id)
apps=$("${adm[@]}" app create --tenant "$tenant" 2>/dev/null)
jq -r .sandbox.secret <<<"$apps" >"$dir/sbx.secret"
jq -r .production.secret <<<"$apps" >"$dir/prd.secret"
clients() {  # the API callers of both environments at the current $url
  sbx=("$duet" api --server "$url" --ca "$ca" --app-id "$(jq -r .sandbox.app_id <<<"$apps")" --secret-file "$dir/sbx.secret")
  prd=("$duet" api --server "$url" --ca "$ca" --app-id "$(jq -r .production.app_id <<<"$apps")" --secret-file "$dir/prd.secret")
}
clients
"${adm[@]}" tenant activate "$tenant" --from now >/dev/null
"${adm[@]}" package add --tenant "$tenant" --kind unlimited >/dev/null

# A holder in each environment, enrolled (with its certificate), one CMS each.
enroll_and_sign() {  # API-ARRAY-NAME STATE → prints holder_id; leaves STATE.cert.pem, STATE.sig.p7s
  local -n api_ref=$1
  local state=$2 holder code order
  holder=$("${api_ref[@]}" holder create --name "张三" --id-number 110101199003071234 --phone 13812345678 |
    jq -r .holder_id)
  code=$("${api_ref[@]}" activation-code "$holder" | jq -r .code)
  "$duet" holder --server "$url" --ca "$ca" --state "$state" enroll --holder-id "$holder" --code "$code" \
    --accept-agreements --pin 246810 --kdf-iterations 1000 >"$state.enroll.log" 2>&1 ||
    fail "enroll: $(cat "$state.enroll.log")"
  order=$("${api_ref[@]}" order create --holder "$holder" --title "CMS" --file "$dir/msg" --output cms-detached |
    jq -r .order_id)
  "$duet" holder --server "$url" --ca "$ca" --state "$state" sign "$order" --pin 246810 >"$state.sign.log" 2>&1 ||
    fail "sign: $(cat "$state.sign.log")"
  "${api_ref[@]}" order get "$order" | jq -r '.items[0].signature' | xxd -r -p >"$state.sig.p7s"
  echo "$holder"
}
printf 'signed in the sandbox' >"$dir/msg"
sbx_holder=$(enroll_and_sign sbx "$dir/sbx")
prd_holder=$(enroll_and_sign prd "$dir/prd")

# 1. Names, as openssl reads them.
issuer=$(openssl x509 -in "$dir/sbx.cert.pem" -noout -issuer -nameopt utf8,sep_comma_plus)
grep -q "CN=Duet Sandbox Issuing CA" <<<"$issuer" || fail "sandbox issuer: $issuer"
grep -q "OU=Sandbox 测试 (not for production use)" <<<"$issuer" || fail "sandbox issuer OU: $issuer"
subject=$(openssl x509 -in "$dir/sbx.cert.pem" -noout -subject -nameopt utf8,sep_comma_plus)
grep -q "OU=Sandbox 测试 (not for production use)" <<<"$subject" || fail "sandbox subject: $subject"
openssl x509 -in "$dir/sbx.cert.pem" -noout -text | grep -q "URI:https\?://.*/pki/sandbox/crl/ca_" || fail "no sandbox CRL DP"
openssl x509 -in "$dir/sbx.cert.pem" -noout -text | grep -q "OCSP - URI:.*/pki/sandbox/ocsp" || fail "no sandbox OCSP"
pissuer=$(openssl x509 -in "$dir/prd.cert.pem" -noout -issuer -nameopt utf8,sep_comma_plus)
grep -q "CN=Duet Issuing CA" <<<"$pissuer" || fail "production issuer: $pissuer"
grep -q "Sandbox" <<<"$pissuer" && fail "production issuer says Sandbox: $pissuer"
openssl x509 -in "$dir/prd.cert.pem" -noout -subject | grep -q "OU = " && fail "a production subject with an OU"

# 2. openssl verifies the sandbox chain, each link on its own.
get /pki/sandbox/ca/chain.pem "$dir/sbx-chain.pem" || fail "GET /pki/sandbox/ca/chain.pem"
get /pki/ca/chain.pem "$dir/prd-chain.pem" || fail "GET /pki/ca/chain.pem"
cmp -s "$dir/sbx-chain.pem" "$dir/prd-chain.pem" && fail "the sandbox chain is production's"
cmp -s "$dir/sbx-chain.pem" "$dir/sbx.chain.pem" || fail "the enrollment's chain is not the sandbox chain"
(cd "$dir" && csplit -s -z -f sbx sbx-chain.pem '/-----BEGIN CERTIFICATE-----/' '{*}' &&
  csplit -s -z -f prd prd-chain.pem '/-----BEGIN CERTIFICATE-----/' '{*}')
get /pki/sandbox/ca/root.pem "$dir/sbx-root.pem" || fail "GET /pki/sandbox/ca/root.pem"
cmp -s "$dir/sbx-root.pem" "$dir/sbx01" || fail "root.pem is not the chain's root"
openssl x509 -in "$dir/sbx01" -noout -subject -nameopt utf8,sep_comma_plus | grep -q "CN=Duet Sandbox Root CA" ||
  fail "sandbox root subject"
ID=distid:1234567812345678
now=$(date +%s)
openssl verify -partial_chain -CAfile "$dir/sbx00" -vfyopt $ID "$dir/sbx.cert.pem" >"$dir/v1.log" 2>&1 ||
  fail "holder ← sandbox issuing: $(cat "$dir/v1.log")"
openssl verify -partial_chain -CAfile "$dir/sbx01" -vfyopt $ID "$dir/sbx00" >"$dir/v2.log" 2>&1 ||
  fail "sandbox issuing ← sandbox root: $(cat "$dir/v2.log")"
openssl asn1parse -in "$dir/sbx01" -strparse 4 -noout -out "$dir/tbs.der"
off=$(openssl asn1parse -in "$dir/sbx01" | awk -F: '/d=1 .*BIT STRING/{print $1+0}' | tail -1)
openssl asn1parse -in "$dir/sbx01" -strparse "$off" -noout -out "$dir/rootsig.der"
openssl x509 -in "$dir/sbx01" -noout -pubkey >"$dir/root-pub.pem"
openssl pkeyutl -verify -pubin -inkey "$dir/root-pub.pem" -rawin -digest sm3 -pkeyopt $ID \
  -in "$dir/tbs.der" -sigfile "$dir/rootsig.der" >"$dir/v3.log" 2>&1 || fail "sandbox root self-signature: $(cat "$dir/v3.log")"
# The check can fail: production's issuing CA did not sign the sandbox holder.
if openssl verify -partial_chain -CAfile "$dir/prd00" -vfyopt $ID "$dir/sbx.cert.pem" >/dev/null 2>&1; then
  fail "the sandbox certificate verifies under production's issuing CA"
fi
openssl verify -partial_chain -CAfile "$dir/prd00" -vfyopt $ID "$dir/prd.cert.pem" >/dev/null 2>&1 ||
  fail "the production certificate does not verify under production's issuing CA"

# 3. /verify per environment (both signatures, both credentials).
verify_body() { jq -cn --arg d "$(base64 -w0 "$dir/msg")" --arg s "$(base64 -w0 "$1")" \
  '{data_base64: $d, signature_base64: $s, format: "cms"}' >"$dir/body.json"; }
verify_with() {  # API-ARRAY-NAME SIG → the answer JSON
  local -n api_ref=$1
  verify_body "$2"
  "${api_ref[@]}" POST /api/v1/verify --body "@$dir/body.json" | tail -n +2
}
v=$(verify_with prd "$dir/sbx.sig.p7s")
[ "$(jq -r .valid <<<"$v")" = false ] && [ "$(jq -r .chain_ok <<<"$v")" = false ] || fail "production trusts sandbox: $v"
jq -r '.reasons[]' <<<"$v" | grep -q "issued by the sandbox CA, which production verification does not trust" ||
  fail "no documented reason: $v"
v=$(verify_with sbx "$dir/sbx.sig.p7s")
[ "$(jq -r .valid <<<"$v")" = true ] && [ "$(jq -r .chain_ok <<<"$v")" = true ] || fail "sandbox does not trust sandbox: $v"
[ "$(jq -r .revoked_at_signing_time <<<"$v")" = false ] || fail "sandbox revocation: $v"
v=$(verify_with prd "$dir/prd.sig.p7s")
[ "$(jq -r .valid <<<"$v")" = true ] || fail "production does not trust production: $v"
v=$(verify_with sbx "$dir/prd.sig.p7s")
[ "$(jq -r .valid <<<"$v")" = false ] && [ "$(jq -r .chain_ok <<<"$v")" = false ] || fail "sandbox trusts production: $v"
jq -r '.reasons[]' <<<"$v" | grep -q "issued by the production CA, which sandbox verification does not trust" ||
  fail "no mirrored reason: $v"
# duet verify (local): production by default, the sandbox by --environment.
dv=("$duet" verify --data "$dir/msg" --server "$url" --ca "$ca")
if "${dv[@]}" --signature "$dir/sbx.sig.p7s" >"$dir/dv.json" 2>/dev/null; then fail "duet verify trusts sandbox by default"; fi
grep -q "issued by the sandbox CA" "$dir/dv.json" || fail "duet verify reason: $(cat "$dir/dv.json")"
"${dv[@]}" --signature "$dir/sbx.sig.p7s" --environment sandbox >"$dir/dv.json" || fail "duet verify --environment sandbox"
"${dv[@]}" --signature "$dir/prd.sig.p7s" >/dev/null || fail "duet verify production"

# 4. Each path serves its own environment's CAs only.
sbx_issuer=$(openssl x509 -in "$dir/sbx.cert.pem" -noout -text | grep -o "pki/sandbox/crl/ca_[A-Za-z0-9_]*" | head -1)
sbx_issuer=${sbx_issuer##*/}
prd_issuer=$(openssl x509 -in "$dir/prd.cert.pem" -noout -text | grep -o "pki/crl/ca_[A-Za-z0-9_]*" | head -1)
prd_issuer=${prd_issuer##*/}
[ "$(status_of "/pki/sandbox/ca/$sbx_issuer.pem")" = 200 ] || fail "sandbox CA by id"
[ "$(status_of "/pki/ca/$sbx_issuer.pem")" = 404 ] || fail "a sandbox CA under /pki/ca"
[ "$(status_of "/pki/sandbox/ca/$prd_issuer.pem")" = 404 ] || fail "a production CA under /pki/sandbox/ca"
[ "$(status_of "/pki/crl/$sbx_issuer.crl")" = 404 ] || fail "a sandbox CRL under /pki/crl"

# 5. Revocation of the sandbox certificate: the sandbox CRL and OCSP say so, production's do not.
cert_id=$("${sbx[@]}" GET "/api/v1/holders/$sbx_holder/certificates" | tail -n +2 | jq -r '.certificates[0].cert_id')
"${sbx[@]}" POST "/api/v1/holders/$sbx_holder/certificates/$cert_id/revoke" --body '{"reason":"keyCompromise"}' \
  >/dev/null || fail "revoke"
get "/pki/sandbox/crl/$sbx_issuer.crl" "$dir/sbx.crl" || fail "sandbox CRL"
serial=$(openssl x509 -in "$dir/sbx.cert.pem" -noout -serial | cut -d= -f2)
openssl crl -inform DER -in "$dir/sbx.crl" -noout -text >"$dir/crl.txt"
grep -q "Serial Number: $serial" "$dir/crl.txt" || fail "the sandbox CRL does not list $serial: $(cat "$dir/crl.txt")"
grep -q "Issuer: .*Sandbox Issuing CA" "$dir/crl.txt" || fail "the sandbox CRL's issuer"
get "/pki/crl/$prd_issuer.crl" "$dir/prd.crl" || fail "production CRL"
openssl crl -inform DER -in "$dir/prd.crl" -noout -text | grep -q "Serial Number: $serial" &&
  fail "production's CRL lists the sandbox certificate"
openssl ocsp -issuer "$dir/sbx00" -cert "$dir/sbx.cert.pem" -reqout "$dir/ocsp.req" >/dev/null 2>&1
ocsp() {  # PATH → openssl's reading of the answer
  curl -sS --fail --cacert "$ca" -H 'Content-Type: application/ocsp-request' --data-binary "@$dir/ocsp.req" \
    "$url$1" -o "$dir/ocsp.resp" || fail "POST $1"
  (cd "$dir" && openssl ocsp -respin ocsp.resp -issuer sbx00 -cert sbx.cert.pem -no_nonce -noverify 2>&1)
}
out=$(ocsp /pki/sandbox/ocsp)
grep -q "sbx.cert.pem: revoked" <<<"$out" || fail "sandbox OCSP: $out"
grep -q "Reason: keyCompromise" <<<"$out" || fail "sandbox OCSP reason: $out"
out=$(ocsp /pki/ocsp)
grep -q "sbx.cert.pem: unknown" <<<"$out" || fail "production OCSP on a sandbox certificate: $out"
v=$(verify_with sbx "$dir/sbx.sig.p7s")
[ "$(jq -r .chain_ok <<<"$v")" = true ] || fail "after revocation: $v"

# 6. Upgrade: the store as v30 had it, then a start on v31.
stop_duetd
before_prd=$(sql "SELECT ca_id FROM certificate_authorities WHERE environment = 'production' ORDER BY ca_id" | tr '\n' ' ')
sql "DELETE FROM crl_numbers WHERE issuer_id IN (SELECT ca_id FROM certificate_authorities WHERE environment = 'sandbox')"
# Before v31 a sandbox holder's certificate came from production's CA: its
# record names production's issuing CA, and the upgrade must leave it so.
sql "UPDATE certificates SET issuer_id = '$prd_issuer' WHERE holder_id = '$sbx_holder'"
sql "DELETE FROM certificate_authorities WHERE environment = 'sandbox'"
sql "ALTER TABLE certificate_authorities DROP COLUMN environment"
sql "DELETE FROM schema_version WHERE version = $ca_env_version"
[ "$(sql "SELECT MAX(version) FROM schema_version")" = $((ca_env_version - 1)) ] || fail "the downgrade"
start_duetd
clients
[ "$(sql "SELECT MAX(version) FROM schema_version")" = "$ca_env_version" ] || fail "not migrated to v$ca_env_version"
[ "$(sql "SELECT COUNT(*) FROM certificate_authorities WHERE environment = 'sandbox' AND role IN ('root', 'issuing', 'ocsp')")" = 3 ] ||
  fail "no sandbox CA created at the first start after the upgrade"
after_prd=$(sql "SELECT ca_id FROM certificate_authorities WHERE environment = 'production' ORDER BY ca_id" | tr '\n' ' ')
[ "$before_prd" = "$after_prd" ] || fail "production's CAs changed: $before_prd / $after_prd"
get /pki/ca/chain.pem "$dir/prd-chain-2.pem" || fail "production chain after the upgrade"
cmp -s "$dir/prd-chain.pem" "$dir/prd-chain-2.pem" || fail "production's chain changed in the upgrade"
get /pki/sandbox/ca/chain.pem "$dir/sbx-chain-2.pem" || fail "sandbox chain after the upgrade"
cmp -s "$dir/sbx-chain.pem" "$dir/sbx-chain-2.pem" && fail "the sandbox chain did not change (not recreated?)"
openssl crl2pkcs7 -nocrl -certfile "$dir/sbx-chain-2.pem" | openssl pkcs7 -print_certs -noout |
  grep -q "Sandbox Root CA" || fail "the new sandbox chain's names"
# Certificates keep their issuers; production still trusts its holder's signature.
[ "$(sql "SELECT DISTINCT issuer_id FROM certificates WHERE holder_id = '$sbx_holder'")" = "$prd_issuer" ] ||
  fail "the upgrade changed a certificate's issuer"
[ "$(sql "SELECT DISTINCT issuer_id FROM certificates WHERE holder_id = '$prd_holder'")" = "$prd_issuer" ] ||
  fail "the production holder's certificate changed issuer"
v=$(verify_with prd "$dir/prd.sig.p7s")
[ "$(jq -r .valid <<<"$v")" = true ] || fail "production signature after the upgrade: $v"
echo "sandbox CA ($backend): names, chain, per-environment /verify, CRL/OCSP, paths, upgrade OK"
