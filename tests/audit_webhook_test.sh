#!/usr/bin/env bash
# The audit checkpoint webhook against a real duetd (issue 14 item 7;
# docs/audit.md "The checkpoint webhook"):
#   - [audit] checkpoint_webhook_url points at a local receiver
#     (tests/checkpoint_receiver.py) that checks the HMAC-SM3 signature with
#     Python's hashlib and answers 503 to the first request: the delivery is
#     retried after its backoff and the record (GET
#     /admin/v1/audit/checkpoint-deliveries) shows the failed attempt;
#   - every checkpoint reaches the receiver in seq order; what it appended is
#     a witness: `duet audit verify --data DIR --witness RECEIVED` passes on the
#     untouched data dir and FAILS once the chain's tail is cut together with
#     its checkpoints (and the local witness file is gone too);
#   - a webhook URL without its secret file stops the start.
# Usage: audit_webhook_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
for tool in jq sqlite3 python3 curl; do
  command -v "$tool" >/dev/null || { echo "audit_webhook_test: needs $tool" >&2; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
data=$dir/data
pid=""
rpid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null || true
  if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then echo "left $dir"; else rm -rf "$dir" || true; fi
}
trap cleanup EXIT
fail() { echo "audit_webhook_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

# A configuration naming a webhook without a secret does not start.
printf '[audit]\ncheckpoint_webhook_url = "http://127.0.0.1:9/x"\n' >"$dir/bad.toml"
set +e
timeout 30 "$duetd" --config "$dir/bad.toml" --data-dir "$dir/bad" --listen 127.0.0.1:0 --dev >"$dir/bad.log" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "started without a webhook secret (exit $rc)"
grep -q "checkpoint_webhook_secret_file" "$dir/bad.log" || fail "no reason given: $(tail -n 3 "$dir/bad.log")"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/webhook.secret"
chmod 600 "$dir/webhook.secret"
python3 "$here/checkpoint_receiver.py" "$dir/webhook.secret" "$dir/received.jsonl" "$dir/receiver.port" 1 &
rpid=$!
for _ in $(seq 1 100); do [ -s "$dir/receiver.port" ] && break; sleep 0.1; done
[ -s "$dir/receiver.port" ] || fail "receiver did not start"
rport=$(cat "$dir/receiver.port")

cat >"$dir/duet.toml" <<TOML
[audit]
checkpoint_events = 5
checkpoint_seconds = 1
witness_file = "$dir/local-witness.jsonl"
checkpoint_webhook_url = "http://127.0.0.1:$rport/checkpoints"
checkpoint_webhook_secret_file = "$dir/webhook.secret"
TOML
"$duetd" --config "$dir/duet.toml" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
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
adm() { "$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token" "$@"; }
deliveries() {
  curl -s --cacert "$ca" -H "Authorization: Bearer $(cat "$data/auditor.token")" \
    "$url/admin/v1/audit/checkpoint-deliveries?limit=1000"
}
for i in 1 2 3; do
  adm tenant create --name "Tenant $i" >/dev/null
  sleep 1.5
done
# The first delivery was refused (503) and is retried after 5 s.
for _ in $(seq 1 200); do
  d=$(deliveries)
  [ "$(echo "$d" | jq '[.deliveries[] | select(.state=="delivered")] | length')" -ge 3 ] && break
  sleep 0.2
done
echo "$d" | jq -e '.deliveries[0].attempts >= 2 and .deliveries[0].state == "delivered"' >/dev/null \
  || fail "the first delivery was not retried: $d"
echo "$d" | jq -e '[.deliveries[] | select(.state=="delivered")] | length >= 3' >/dev/null || fail "too few: $d"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "Authorization: Bearer $(cat "$data/admin.token")" \
  "$url/admin/v1/audit/checkpoint-deliveries")
[ "$code" = 403 ] || fail "the operator read the delivery record ($code)"

kill "$pid"; wait "$pid" || true; pid=""
# The last checkpoint (signed at shutdown) is delivered too, if it was due.
received=$dir/received.jsonl
seqs=$(jq -r 'select(.type=="checkpoint") | .seq' "$received")
[ "$(echo "$seqs" | sort -n | tr '\n' ' ')" = "$(echo "$seqs" | tr '\n' ' ')" ] || fail "not in seq order: $seqs"
[ "$(echo "$seqs" | sort -n | uniq | wc -l)" = "$(echo "$seqs" | wc -l)" ] || fail "a checkpoint twice: $seqs"
out=$("$duet" audit verify --data "$data" --witness "$received") || fail "untouched against the received: $out"
echo "received witness: $out"

# Cut the tail together with its checkpoints, and the local witness with it:
# the external party's copy still shows the cut.
last=$(echo "$seqs" | tail -n 1)
m=$(sqlite3 "$data/duet.db" "SELECT MAX(seq) FROM audit_checkpoints WHERE seq < $last")
[ -n "$m" ] || fail "fewer than two checkpoints"
sqlite3 "$data/duet.db" "DELETE FROM audit_events WHERE seq > $m; DELETE FROM audit_checkpoints WHERE seq > $m;
  UPDATE audit_head SET seq = $m, hash = (SELECT hash FROM audit_events WHERE seq = $m) WHERE id = 1;"
rm -f "$dir/local-witness.jsonl"
set +e
out=$("$duet" audit verify --data "$data" --witness "$received" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "the cut passed against the received witness (exit $rc): $out"
echo "$out" | grep -q "BROKEN at event $((m + 1))" || fail "cut: $out"
echo "audit webhook test: OK (checkpoints $(echo "$seqs" | tr '\n' ' '))"
