#!/usr/bin/env bash
# Issue 14 item 8 against the real binaries (docs/privacy.md): erasure that erases.
#  - two holders; one enrolled with a certificate; a backup of the database taken
#    with sqlite3 before the erasure;
#  - `duet api holder erase`: the purge record names what was destroyed and the
#    revoked certificate; a second erasure answers the same record; the CRL lists
#    the certificate (cessationOfOperation, read by openssl); the data key row is
#    gone and its bytes are not in the database file or WAL; the audit events
#    carry the holder id and never the name;
#  - the backup restored into a second duetd: as taken, it still opens the erased
#    holder (why the procedure exists); with the live purge records re-applied
#    (docs/privacy.md "Backups") the erased holder's fields answer "data key
#    destroyed" while the other holder of the same backup still opens.
# Usage: erasure_cli_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
for tool in jq openssl sqlite3 python3 curl; do
  command -v $tool >/dev/null || { echo "erasure_cli_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
pid=""
pid2=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$pid2" ] && kill "$pid2" 2>/dev/null && wait "$pid2" 2>/dev/null || true
  rm -rf "$dir" "$dir"/*.audit-witness.jsonl || true
}
trap cleanup EXIT
fail() { echo "erasure_cli_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

tenant_name="Erasure bank"
# shellcheck source=tests/duetd_sandbox.sh
source "$(dirname "$0")/duetd_sandbox.sh"
q=(sqlite3 -cmd ".timeout 10000" "$data/duet.db")
# Does file $1 contain the bytes of hex string $2?
holds() { python3 -c 'import sys; print(int(open(sys.argv[1],"rb").read().find(bytes.fromhex(sys.argv[2])) >= 0))' "$1" "$2"; }

# 1. Two holders, the first enrolled with a certificate; a backup before the erasure.
gone=$("${api[@]}" holder create --name "张三丰" --id-number 110101199003071234 --phone 13812345678 | jq -r .holder_id)
code=$("${api[@]}" activation-code "$gone" | jq -r .code)
"$duet" holder --server "$url" --ca "$ca" --state "$dir/device" enroll --holder-id "$gone" --code "$code" \
  --pin 246810 --kdf-iterations 1000 --accept-agreements >"$dir/enroll.json" 2>"$dir/enroll.log" \
  || fail "enroll: $(cat "$dir/enroll.log")"
serial=$(jq -r .certificate.serial "$dir/enroll.json" | tr -d ':' | tr 'A-F' 'a-f')
[ -n "$serial" ] && [ "$serial" != null ] || fail "no certificate: $(cat "$dir/enroll.json")"
kept=$("${api[@]}" holder create --name "李四光" --id-number 110101199003075678 | jq -r .holder_id)
[ "$("${q[@]}" "SELECT hex(substr(name_ciphertext, 1, 1)) FROM holders WHERE holder_id = '$gone'")" = 48 ] \
  || fail "the name is not sealed under the holder's key ('H')"
key_hex=$("${q[@]}" "SELECT hex(wrapped_key) FROM holder_data_keys WHERE holder_id = '$gone'")
kept_key_hex=$("${q[@]}" "SELECT hex(wrapped_key) FROM holder_data_keys WHERE holder_id = '$kept'")
[ ${#key_hex} -ge 100 ] && [ ${#kept_key_hex} -ge 100 ] || fail "no data keys: '$key_hex' '$kept_key_hex'"
"${q[@]}" ".backup '$dir/backup.db'"

# 2. Erase, twice: one purge record.
"${api[@]}" holder erase "$gone" >"$dir/erased.json" || fail "erase: $(cat "$dir/erased.json")"
destroyed=$(jq -r '.destroyed | join(" ")' "$dir/erased.json")
[ "$destroyed" = "data_key name id_number phone key_shares:1 device_tokens:1" ] || fail "destroyed: $destroyed"
[ "$(jq -r '.revoked_certificates | join(" ")' "$dir/erased.json")" = "$serial" ] \
  || fail "revoked: $(cat "$dir/erased.json") (serial $serial)"
[ "$(jq -r .erased_by "$dir/erased.json")" = "$app" ] || fail "erased_by: $(cat "$dir/erased.json")"
[ "$(jq -r '.retained.until > .erased_at' "$dir/erased.json")" = true ] || fail "retained: $(cat "$dir/erased.json")"
"${api[@]}" holder erase "$gone" >"$dir/again.json" || fail "second erase: $(cat "$dir/again.json")"
[ "$(jq -S . "$dir/again.json")" = "$(jq -S . "$dir/erased.json")" ] || fail "a second erasure answered otherwise"
shown=$("${api[@]}" holder get "$gone")
[ "$(jq -r '.erased, .name, .status' <<<"$shown" | tr '\n' ' ')" = "true  locked " ] || fail "view: $shown"

# 3. The CRL lists the certificate (openssl reads it).
issuer=$("${q[@]}" "SELECT issuer_id FROM certificates WHERE holder_id = '$gone'")
# (a sandbox holder: the sandbox CA's CRL, docs/pki.md "The sandbox CA")
curl -sf --cacert "$ca" "$url/pki/sandbox/crl/$issuer.crl" -o "$dir/now.crl" || fail "CRL download"
crl=$(openssl crl -inform DER -in "$dir/now.crl" -noout -text)
grep -qi "Serial Number: $serial" <<<"$crl" || fail "the CRL does not list $serial: $crl"
grep -q "Cessation Of Operation" <<<"$crl" || fail "reason: $crl"

# 4. The database: key row gone, the other kept, purge record, audit with ids only.
[ "$("${q[@]}" "SELECT count(*) FROM holder_data_keys WHERE holder_id = '$gone'")" = 0 ] || fail "key row kept"
[ "$("${q[@]}" "SELECT hex(wrapped_key) FROM holder_data_keys WHERE holder_id = '$kept'")" = "$kept_key_hex" ] \
  || fail "the other holder's key changed"
[ "$("${q[@]}" "SELECT count(*) FROM holder_erasures WHERE holder_id = '$gone'")" = 1 ] || fail "no purge record"
[ "$("${q[@]}" "SELECT count(*) FROM certificates WHERE holder_id = '$gone' AND length(der) > 0")" = 1 ] \
  || fail "the certificate was not kept"
audited=$("${q[@]}" "SELECT count(*) FROM audit_events WHERE action = 'DELETE /api/v1/holders/{holder_id}'
  AND outcome = 'ok' AND target = 'holder_id:$gone'")
[ "$audited" -ge 1 ] || fail "the erasure is not audited"
leaks=$("${q[@]}" "SELECT count(*) FROM audit_events WHERE instr(target || details || actor_id, '张三丰') > 0
  OR instr(target || details || actor_id, '110101199003071234') > 0")
[ "$leaks" = 0 ] || fail "$leaks audit events carry personal data"

# 5. The destroyed key's bytes are gone from the file and its WAL (secure_delete),
#    checked with duetd stopped after a truncating checkpoint; the other key is found.
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
[ "$("${q[@]}" "PRAGMA wal_checkpoint(TRUNCATE)" | cut -d'|' -f1)" = 0 ] || fail "checkpoint"
for f in "$data/duet.db" "$data/duet.db-wal"; do
  [ -f "$f" ] || continue
  [ "$(holds "$f" "$key_hex")" = 0 ] || fail "the destroyed key is still in $f"
done
[ "$(holds "$data/duet.db" "$kept_key_hex")" = 1 ] || fail "the byte search cannot find a key"
[ "$(holds "$dir/backup.db" "$key_hex")" = 1 ] || fail "the backup should still hold the wrapped key"

# 6. The backup restored: a second data directory with the same keys (kek.key,
#    kek-dev.key) and the backup as its store.
restore() {
  rm -rf "$dir/restored" "$dir/restored.audit-witness.jsonl"; mkdir -p "$dir/restored"
  for f in "$data"/*; do
    case $(basename "$f") in duet.db|duet.db-wal|duet.db-shm|duetd.port) ;; *) cp -r "$f" "$dir/restored/";; esac
  done
  cp "$dir/backup.db" "$dir/restored/duet.db"
}
start_restored() {
  "$duetd" --config "$dir/duetd.toml" --data-dir "$dir/restored" --listen 127.0.0.1:0 --dev >>"$dir/duetd2.log" 2>&1 &
  pid2=$!
  for _ in $(seq 1 600); do
    [ -s "$dir/restored/duetd.port" ] && break
    kill -0 "$pid2" 2>/dev/null || fail "the restored duetd exited: $(tail -5 "$dir/duetd2.log")"
    sleep 0.1
  done
  port2=$(tr -dc '0-9:' <"$dir/restored/duetd.port"); port2=${port2##*:}
  api2=("$duet" api --server "https://127.0.0.1:$port2" --ca "$dir/restored/tls/dev-cert.pem" --app-id "$app"
    --secret-file "$dir/secret")
}
stop_restored() { kill "$pid2"; wait "$pid2" 2>/dev/null || true; pid2=""; }

# As taken, the backup still opens the erased holder: the procedure is needed.
restore; start_restored
[ "$("${api2[@]}" holder get "$gone" | jq -r .name)" = "张*" ] || fail "the raw backup should still open the holder"
stop_restored
# With the live purge records re-applied (docs/privacy.md "Backups").
restore
sqlite3 "$dir/restored/duet.db" "ATTACH '$data/duet.db' AS live;
  DELETE FROM holder_data_keys WHERE (tenant_id, holder_id) IN
    (SELECT tenant_id, holder_id FROM live.holder_erasures);"
start_restored
out=$("${api2[@]}" holder get "$gone" 2>&1 || true)
grep -q "data key destroyed" <<<"$out" || fail "the erased holder still opens from the backup: $out"
grep -q "张" <<<"$out" && fail "the answer shows the name: $out"
[ "$("${api2[@]}" holder get "$kept" | jq -r .name)" = "李*" ] || fail "the other holder does not open from the backup"
stop_restored
echo "erasure CLI: purge record, CRL, key bytes gone, backup unreadable for the erased holder only OK"
