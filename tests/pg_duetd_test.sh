#!/usr/bin/env bash
# duetd on PostgreSQL ([store] backend = "postgres", issue 6 §1), on a fresh
# database of the server named by DUET_TEST_PG_DSN (keyword form, as
# scripts/pg-test-server prints it; scripts/test starts one):
#   - `duet demo --server` end to end (enrollment with certificate, order,
#     co-signature, CMS), its signature checked again here by openssl;
#   - a holder enrolled with a device state of its own signs an order, duetd is
#     restarted on the same database, and the holder signs again (openssl checks
#     both signatures); the tables are in PostgreSQL, not in a duet.db file, and
#     the audit chain there has no gap.
# Usage: pg_duetd_test.sh DUET DUETD
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/flip_byte.sh"
duet=$1
duetd=$2
if [ -z "${DUET_TEST_PG_DSN:-}" ]; then
  echo "pg_duetd_test: FAIL: DUET_TEST_PG_DSN is not set; start a server with" \
       'eval "$(scripts/pg-test-server start DIR)" (scripts/test does this)' >&2
  exit 1
fi
for tool in jq openssl xxd psql; do
  command -v "$tool" >/dev/null || { echo "pg_duetd_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
db="duet_it_$(head -c 6 /dev/urandom | xxd -p)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql "$DUET_TEST_PG_DSN" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then echo "left $dir"; else rm -rf "$dir" || true; fi
}
trap cleanup EXIT
fail() { echo "pg_duetd_test: FAIL: $*" >&2; tail -n 30 "$dir/duetd.log" >&2 || true; exit 1; }

psql "$DUET_TEST_PG_DSN" -qAt -c "CREATE DATABASE $db" >/dev/null || fail "cannot create database $db"
dsn="$DUET_TEST_PG_DSN dbname=$db"
data=$dir/data

start_duetd() {
  rm -f "$data/duetd.port"
  DUET_STORE_BACKEND=postgres DUET_PG_DSN="$dsn" \
    "$duetd" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    [ -s "$data/duetd.port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "duetd exited at start"
    sleep 0.1
  done
  [ -s "$data/duetd.port" ] || fail "no port file"
  port=$(tr -dc '0-9:' <"$data/duetd.port"); port=${port##*:}
  url="https://127.0.0.1:$port"
  ca="$data/tls/dev-cert.pem"
}
stop_duetd() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

# Verifies signature file $1 over message $2 with the holder's public key hex $3.
verify_sig() {
  { printf '3059301306072a8648ce3d020106082a811ccf5501822d034200'; printf '%s' "$3"; } | xxd -r -p >"$dir/pub.der"
  openssl pkey -pubin -inform DER -in "$dir/pub.der" -out "$dir/pub.pem" 2>/dev/null || fail "public key"
  openssl dgst -sm3 -verify "$dir/pub.pem" -sigopt distid:1234567812345678 -signature "$1" "$2" |
    grep -qx "Verified OK" || fail "openssl did not verify $1"
}

# ---- 1. duetd on PostgreSQL, the demo end to end -------------------------------------
start_duetd
[ ! -e "$data/duet.db" ] || fail "duetd wrote a SQLite database with backend postgres"
[ "$(psql "$dsn" -qAt -c 'SELECT MAX(version) FROM schema_version')" -ge 1 ] || fail "no schema in PostgreSQL"
"$duet" demo --server "$url" --ca "$ca" --admin-token-file "$data/admin.token" --out "$dir/demo" --pin 246810 \
  >"$dir/demo.log" 2>&1 || fail "demo: $(tail -n 20 "$dir/demo.log")"
grep -q "demo OK" "$dir/demo.log" || fail "demo did not finish"
openssl dgst -sm3 -verify "$dir/demo/public.pem" -sigopt distid:1234567812345678 \
  -signature "$dir/demo/signature.der" "$dir/demo/message" | grep -qx "Verified OK" || fail "demo signature"
flip_byte "$dir/demo/message" 3
if openssl dgst -sm3 -verify "$dir/demo/public.pem" -sigopt distid:1234567812345678 \
     -signature "$dir/demo/signature.der" "$dir/demo/message" >/dev/null 2>&1; then
  fail "a modified message verified"
fi
[ "$(psql "$dsn" -qAt -c "SELECT COUNT(*) FROM sign_orders WHERE state = 'signed'")" -ge 1 ] ||
  fail "no signed order in PostgreSQL"

# ---- 2. a holder of our own signs, duetd restarts, the holder signs again -------------
adm=("$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token")
tenant=$("${adm[@]}" tenant create --name "PG bank" | jq -r .tenant_id)
apps=$("${adm[@]}" app create --tenant "$tenant" 2>/dev/null)
app=$(jq -r .sandbox.app_id <<<"$apps")
jq -r .sandbox.secret <<<"$apps" >"$dir/secret"
api() { "$duet" api --server "$url" --ca "$ca" --app-id "$app" --secret-file "$dir/secret" "$@"; }
hold() { "$duet" holder --server "$url" --ca "$ca" --state "$dir/device" "$@"; }
holder_id=$(api holder create --name "王五" --id-number 110101198001011234 --phone 13900002222 | jq -r .holder_id)
code=$(api activation-code "$holder_id" | jq -r .code)
hold enroll --holder-id "$holder_id" --code "$code" --accept-agreements --pin 135790 --kdf-iterations 1000 --no-certificate \
  >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"
pub=$(api holder get "$holder_id" | jq -r .public_key)
printf 'signed before the restart' >"$dir/m1"
o1=$(api order create --holder "$holder_id" --title before --file "$dir/m1" --output der | jq -r .order_id)
hold sign "$o1" --pin 135790 >"$dir/sign1.log" 2>&1 || fail "sign before restart: $(cat "$dir/sign1.log")"
api order get "$o1" | jq -r '.items[0].signature' | xxd -r -p >"$dir/sig1.der"
verify_sig "$dir/sig1.der" "$dir/m1" "$pub"
stop_duetd

start_duetd
[ "$(api order get "$o1" | jq -r .state)" = signed ] || fail "the order signed before the restart is not signed"
printf 'signed after the restart' >"$dir/m2"
o2=$(api order create --holder "$holder_id" --title after --file "$dir/m2" --output der | jq -r .order_id)
hold sign "$o2" --pin 135790 >"$dir/sign2.log" 2>&1 || fail "sign after restart: $(cat "$dir/sign2.log")"
api order get "$o2" | jq -r '.items[0].signature' | xxd -r -p >"$dir/sig2.der"
verify_sig "$dir/sig2.der" "$dir/m2" "$pub"
stop_duetd
[ ! -e "$data/duet.db" ] || fail "duetd wrote a SQLite database with backend postgres"
# The audit chain lives in PostgreSQL too: events 1..n without gaps, each linked to its predecessor.
read -r n max broken < <(psql "$dsn" -qAt -F ' ' -c "SELECT COUNT(*), COALESCE(MAX(seq), 0),
  COUNT(*) FILTER (WHERE seq > 1 AND prev_hash <> (SELECT hash FROM audit_events p WHERE p.seq = e.seq - 1))
  FROM audit_events e")
[ "$n" -ge 1 ] && [ "$n" = "$max" ] && [ "$broken" = 0 ] || fail "audit chain in PostgreSQL: $n events, max seq $max, $broken unlinked"
echo "duetd on PostgreSQL: demo verified by openssl; the holder signs again after a restart"
