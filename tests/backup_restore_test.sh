#!/usr/bin/env bash
# Backup and restore (issue 6 §4): `duet admin backup` of a RUNNING duetd (SQLite
# online backup API), restore into a fresh data directory, a new duetd on it:
#   - the backup is a point in time: an order created before it is there, one
#     created after it is not;
#   - the audit chain of the restored instance verifies offline (`duet audit verify`);
#   - the holder enrolled before the backup signs a new order on the restored
#     instance with the device state it kept, checked by the openssl command line;
#   - a damaged backup (one byte changed) is refused before anything is written;
#   - a holder erased after the backup is erased on the restored instance too:
#     the restore re-applies the erasures it reads from the live store
#     (--erasures-from the data directory; PostgreSQL: --erasures-from-pg).
# Usage: backup_restore_test.sh DUET DUETD [pg]
# With "pg" the same on PostgreSQL (env DUET_TEST_PG_DSN): pg_dump of the live
# database, pg_restore into a new empty one; the audit chain is then verified
# online with the auditor's token (offline verification reads SQLite files).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/flip_byte.sh"
duet=$1
duetd=$2
mode=${3:-sqlite}
for tool in jq openssl xxd; do
  command -v "$tool" >/dev/null || { echo "backup_restore_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
pid=""
dsn_a=""; dsn_b=""; pg_env=()
if [ "$mode" = pg ]; then
  [ -n "${DUET_TEST_PG_DSN:-}" ] || { echo "backup_restore_test: DUET_TEST_PG_DSN is not set" >&2; exit 1; }
  db="br_$(date +%s)_$$"
  base=$(sed -E "s/dbname=[^ ]*//" <<<"$DUET_TEST_PG_DSN")
  dsn_a="$base dbname=${db}_a"; dsn_b="$base dbname=${db}_b"
  psql "$DUET_TEST_PG_DSN" -qc "CREATE DATABASE ${db}_a" -c "CREATE DATABASE ${db}_b"
fi
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ "$mode" = pg ]; then
    psql "$DUET_TEST_PG_DSN" -qc "DROP DATABASE IF EXISTS ${db}_a" -c "DROP DATABASE IF EXISTS ${db}_b" >/dev/null 2>&1 || true
  fi
  if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then echo "left $dir"; else rm -rf "$dir" || true; fi
}
trap cleanup EXIT
fail() { echo "backup_restore_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

start_duetd() {  # DATA_DIR [PG_DSN]
  local data=$1 dsn=${2:-}
  rm -f "$data/duetd.port"
  if [ -n "$dsn" ]; then
    DUET_STORE_BACKEND=postgres DUET_PG_DSN="$dsn" "$duetd" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
  else
    "$duetd" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
  fi
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

# ---- 1. an instance with a tenant, an enrolled holder and a signed order ----------
a=$dir/a
start_duetd "$a" "$dsn_a"
adm=("$duet" admin --server "$url" --ca "$ca" --token-file "$a/admin.token")
tenant=$("${adm[@]}" tenant create --name "Backup bank" | jq -r .tenant_id)
apps=$("${adm[@]}" app create --tenant "$tenant" 2>/dev/null)
app=$(jq -r .sandbox.app_id <<<"$apps")
jq -r .sandbox.secret <<<"$apps" >"$dir/secret"
api() { "$duet" api --server "$url" --ca "$ca" --app-id "$app" --secret-file "$dir/secret" "$@"; }
hold() { "$duet" holder --server "$url" --ca "$ca" --state "$dir/device" "$@"; }
holder_id=$(api holder create --name "李四" --id-number 110101198001011234 --phone 13900001111 | jq -r .holder_id)
code=$(api activation-code "$holder_id" | jq -r .code)
hold enroll --holder-id "$holder_id" --code "$code" --accept-agreements --pin 135790 --kdf-iterations 1000 --no-certificate \
  >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"
pub=$(api holder get "$holder_id" | jq -r .public_key)
printf 'signed before the backup' >"$dir/m1"
before=$(api order create --holder "$holder_id" --title before --file "$dir/m1" --output der | jq -r .order_id)
hold sign "$before" --pin 135790 >"$dir/sign1.log" 2>&1 || fail "sign before: $(cat "$dir/sign1.log")"
leaving=$(api holder create --name "王五" --id-number 110101198001015678 | jq -r .holder_id)

# ---- 2. online backup while duetd runs; then a write the backup must not have ------
backup_args=(--data "$a" --out "$dir/backup")
[ "$mode" = pg ] && backup_args+=(--pg-dsn "$dsn_a")
"$duet" admin backup "${backup_args[@]}" >"$dir/backup.log" 2>&1 || fail "backup: $(cat "$dir/backup.log")"
if [ "$mode" = pg ]; then
  [ -f "$dir/backup/duet.pgdump" ] && [ -f "$dir/backup/manifest.json" ] || fail "backup files missing"
  dbfile=duet.pgdump
else
  [ -f "$dir/backup/duet.db" ] && [ -f "$dir/backup/manifest.json" ] || fail "backup files missing"
  [ ! -e "$dir/backup/duet.db-wal" ] || fail "the backup needs a -wal file"
  dbfile=duet.db
fi
[ "$(stat -c %a "$dir/backup")" = 700 ] || fail "the backup directory is not private"
if "$duet" admin backup "${backup_args[@]}" >/dev/null 2>&1; then fail "backup over a non-empty dir"; fi
after=$(api order create --holder "$holder_id" --title after --file "$dir/m1" --output der | jq -r .order_id)
api holder erase "$leaving" >"$dir/erased.json" || fail "erase after the backup: $(cat "$dir/erased.json")"
stop_duetd

# ---- 3. a damaged backup is refused, nothing written --------------------------------
cp -r "$dir/backup" "$dir/damaged"
flip_byte "$dir/damaged/$dbfile" 3000
restore_pg=(--erasures-from "$a"); [ "$mode" = pg ] && restore_pg=(--pg-dsn "$dsn_b" --erasures-from-pg "$dsn_a")
if "$duet" admin restore --from "$dir/damaged" --data "$dir/c" "${restore_pg[@]}" >"$dir/damaged.log" 2>&1; then
  fail "a damaged backup was restored"
fi
grep -q "damaged" "$dir/damaged.log" || fail "no damage message: $(cat "$dir/damaged.log")"
[ ! -e "$dir/c/duet.db" ] || fail "a damaged restore wrote a database"
if [ "$mode" = pg ]; then
  [ "$(psql "$dsn_b" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] ||
    fail "a damaged restore wrote into the database"
fi

# ---- 4. restore into a fresh instance ------------------------------------------------
b=$dir/b
"$duet" admin restore --from "$dir/backup" --data "$b" "${restore_pg[@]}" >"$dir/restore.log" 2>&1 ||
  fail "restore: $(cat "$dir/restore.log")"
if "$duet" admin restore --from "$dir/backup" --data "$b" "${restore_pg[@]}" >/dev/null 2>&1; then
  fail "restore over a used dir"
fi
[ "$(sed -n '/^{/,$p' "$dir/restore.log" | jq -r '.reapplied | map(.holder_id) | join(" ")')" = "$leaving" ] \
  || fail "the erasure after the backup was not re-applied: $(cat "$dir/restore.log")"
# The operators keep their token files; the tokens' hashes are in the backup.
cp "$a/admin.token" "$a/auditor.token" "$b/"
if [ "$mode" = pg ]; then
  start_duetd "$b" "$dsn_b"
  "$duet" audit verify --server "$url" --ca "$ca" --token "$b/auditor.token" >"$dir/audit.log" 2>&1 ||
    fail "audit verify after restore: $(cat "$dir/audit.log")"
else
  "$duet" audit verify --data "$b" >"$dir/audit.log" 2>&1 || fail "audit verify after restore: $(cat "$dir/audit.log")"
  start_duetd "$b"
fi
[ "$(api order get "$before" | jq -r .state)" = signed ] || fail "the order signed before the backup is not signed"
if api order get "$after" >/dev/null 2>&1; then fail "an order created after the backup is in it"; fi
gone=$(api holder get "$leaving")
[ "$(jq -r '.erased, .name' <<<"$gone" | tr '\n' ' ')" = "true  " ] || fail "the holder erased after the backup: $gone"
[ "$(api holder get "$holder_id" | jq -r .name)" = "李*" ] || fail "the other holder does not open after the restore"

printf 'signed after the restore' >"$dir/m2"
again=$(api order create --holder "$holder_id" --title again --file "$dir/m2" --output der | jq -r .order_id)
hold sign "$again" --pin 135790 >"$dir/sign2.log" 2>&1 || fail "sign after restore: $(cat "$dir/sign2.log")"
api order get "$again" | jq -r '.items[0].signature' | xxd -r -p >"$dir/sig2.der"
# SubjectPublicKeyInfo of the holder's key (uncompressed point) for openssl.
{ printf '3059301306072a8648ce3d020106082a811ccf5501822d034200'; printf '%s' "$pub"; } | xxd -r -p >"$dir/pub.der"
openssl pkey -pubin -inform DER -in "$dir/pub.der" -out "$dir/pub.pem" 2>/dev/null || fail "public key"
openssl dgst -sm3 -verify "$dir/pub.pem" -sigopt distid:1234567812345678 -signature "$dir/sig2.der" "$dir/m2" |
  grep -q "Verified OK" || fail "openssl did not verify the signature made on the restored instance"
stop_duetd
echo "backup/restore ($mode): online backup, point in time, damage refused, audit verified, holder signs after restore"
