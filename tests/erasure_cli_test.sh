#!/usr/bin/env bash
# Issue 14 item 8 against the real binaries (docs/privacy.md): erasure that erases.
#  - two holders; one enrolled with a certificate; a backup (`duet admin backup`)
#    taken before the erasure;
#  - `duet api holder erase`: the purge record names what was destroyed and the
#    revoked certificate; a second erasure answers the same record; the CRL lists
#    the certificate (cessationOfOperation, read by openssl); the data key row is
#    gone and its bytes are not in the database file or WAL; the audit events
#    carry the holder id and never the name;
#  - `duet admin restore` of that backup refuses to run until told where the
#    later erasures are recorded (nothing written); with --no-later-erasures the
#    restored duetd still opens the erased holder (why re-applying exists); with
#    --erasures-from the live data directory (read-only) the restore re-applies
#    the erasure: the restored duetd shows the holder erased, with the live purge
#    record's time, author and certificate, its CRL lists the certificate
#    (openssl), the data key row is gone, the re-application is audited, and the
#    other holder of the same backup still opens; a newer backup as the source
#    does the same.
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
"$duet" admin backup --data "$data" --out "$dir/bk" >"$dir/backup.log" 2>&1 || fail "backup: $(cat "$dir/backup.log")"

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
[ "$(holds "$dir/bk/duet.db" "$key_hex")" = 1 ] || fail "the backup should still hold the wrapped key"

# 6. The backup restored with `duet admin restore` into a second data directory
#    (the keys kek.key, kek-dev.key and datakeys.wrapped come with it).
restore() {  # restore options…
  rm -rf "$dir/restored" "$dir/restored.audit-witness.jsonl"
  "$duet" admin restore --from "$dir/bk" --data "$dir/restored" "$@" >"$dir/restore.out" 2>&1
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
  url2="https://127.0.0.1:$port2"
  api2=("$duet" api --server "$url2" --ca "$dir/restored/tls/dev-cert.pem" --app-id "$app" --secret-file "$dir/secret")
}
stop_restored() { kill "$pid2"; wait "$pid2" 2>/dev/null || true; pid2=""; }
rq=(sqlite3 -cmd ".timeout 10000" "$dir/restored/duet.db")

# Not told where the later erasures are: refused, nothing written.
if restore; then fail "a restore without the later erasures ran: $(cat "$dir/restore.out")"; fi
grep -q -- "--erasures-from" "$dir/restore.out" || fail "refusal: $(cat "$dir/restore.out")"
[ ! -e "$dir/restored/duet.db" ] || fail "the refused restore wrote a database"
# The operator states no record survives: the backup as taken still opens the
# erased holder (why re-applying exists).
restore --no-later-erasures || fail "restore: $(cat "$dir/restore.out")"
start_restored
[ "$("${api2[@]}" holder get "$gone" | jq -r .name)" = "张*" ] || fail "the raw backup should still open the holder"
stop_restored

# With the live data directory as the source: the erasure is re-applied.
restore --erasures-from "$data" || fail "restore: $(cat "$dir/restore.out")"
summary=$(sed -n '/^{/,$p' "$dir/restore.out")
[ "$(jq -r '.reapplied | map(.holder_id) | join(" ")' <<<"$summary")" = "$gone" ] \
  || fail "re-applied: $(cat "$dir/restore.out")"
[ "$("${rq[@]}" "SELECT count(*) FROM holder_data_keys WHERE holder_id = '$gone'")" = 0 ] \
  || fail "the restored store still has the erased holder's data key"
[ "$("${rq[@]}" "SELECT erased_at || ' ' || erased_by || ' ' || revoked_certificates FROM holder_erasures
      WHERE holder_id = '$gone'")" = "$(jq -r '"\(.erased_at) \(.erased_by) \(.revoked_certificates | join(" "))"' \
      "$dir/erased.json")" ] || fail "the restored purge record differs from the live one"
[ "$("${rq[@]}" "SELECT count(*) FROM audit_events WHERE action = 'restore.reapply_erasure'
      AND target = 'holder_id:$gone' AND actor_id = 'duet admin restore'")" -ge 1 ] \
  || fail "the re-application is not audited"  # a copy per write: the revocation and the erasure
start_restored
shown=$("${api2[@]}" holder get "$gone")
[ "$(jq -r '.erased, .name, .status' <<<"$shown" | tr '\n' ' ')" = "true  locked " ] || fail "restored view: $shown"
[ "$("${api2[@]}" holder get "$kept" | jq -r .name)" = "李*" ] || fail "the other holder does not open from the backup"
curl -sf --cacert "$dir/restored/tls/dev-cert.pem" "$url2/pki/sandbox/crl/$issuer.crl" -o "$dir/restored.crl" \
  || fail "restored CRL download"
crl=$(openssl crl -inform DER -in "$dir/restored.crl" -noout -text)
grep -qi "Serial Number: $serial" <<<"$crl" || fail "the restored CRL does not list $serial: $crl"
stop_restored
"$duet" audit verify --data "$dir/restored" >"$dir/verify.log" 2>&1 || fail "audit verify: $(cat "$dir/verify.log")"

# A newer backup as the source does the same (the live store need not survive).
"$duet" admin backup --data "$data" --out "$dir/bk2" >/dev/null 2>&1 || fail "second backup"
restore --erasures-from "$dir/bk2" || fail "restore from a newer backup's records: $(cat "$dir/restore.out")"
[ "$(sed -n '/^{/,$p' "$dir/restore.out" | jq -r '.reapplied | length')" = 1 ] || fail "$(cat "$dir/restore.out")"
[ "$("${rq[@]}" "SELECT count(*) FROM holder_data_keys WHERE holder_id = '$gone'")" = 0 ] || fail "newer backup source"
echo "erasure CLI: purge record, CRL, key bytes gone, restore re-applies the erasure OK"
