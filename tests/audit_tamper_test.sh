#!/usr/bin/env bash
# The audit log on a real data directory (issue 5 §4, §9; docs/audit.md):
#   - a real duetd serves a demo (Business, Holder and Admin API) and admin calls
#     for two tenants; role tokens are written at first start (mode 0600);
#   - `duet audit verify --server` (auditor token) verifies the live chain, and is
#     refused (exit 3, 403) with the operator's token;
#   - a tenant's export is a disclosure (§4.4, issue 14 item 7): the auditor
#     requests it, the export is refused (403) until a security officer approves
#     it, a refused one never runs, an approved one runs once (409 after), the
#     tenant filter of /admin/v1/audit/events is refused, and every step is an
#     audit event; `duet audit export --disclosure` writes only A's events in
#     full (B's as links), and `duet audit verify --export` re-verifies it; an
#     edited export is caught;
#   - after a clean stop the untouched data dir verifies offline (`--data`);
#   - each kind of tampering done with the sqlite3 CLI on a copy of the data dir
#     (edit a field, delete an event, insert one, swap two, forge a checkpoint)
#     is detected, naming the right first bad seq and kind;
#   - truncation (issue 14 item 7): the witness file beside the data dir holds
#     every checkpoint; cutting the chain's tail together with its checkpoints,
#     and a consistent rewrite (re-hashed from the docs, tests/audit_rewrite.py)
#     with every checkpoint deleted, both FAIL `duet audit verify` against the
#     witness; the rewrite also fails the age rule without a witness.
# Usage: audit_tamper_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
for tool in jq sqlite3 python3 curl; do
  command -v "$tool" >/dev/null || { echo "audit_tamper_test: needs $tool" >&2; exit 1; }
done
dir=$(mktemp -d)
data=$dir/data
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then echo "left $dir"; else rm -rf "$dir" || true; fi
}
trap cleanup EXIT
fail() { echo "audit_tamper_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

printf '[audit]\ncheckpoint_events = 10\ncheckpoint_seconds = 2\n' >"$dir/duet.toml"
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
for f in admin.token security-officer.token auditor.token; do
  [ "$(stat -c %a "$data/$f")" = 600 ] || fail "$f is not mode 0600"
done

# ---- traffic: a demo (all three APIs) and two tenants' admin calls -----------
"$duet" demo --server "$url" --ca "$ca" --admin-token-file "$data/admin.token" >"$dir/demo.log" 2>&1 \
  || fail "demo: $(tail -n 5 "$dir/demo.log")"
adm() { "$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token" "$@"; }
ta=$(adm tenant create --name "Tenant A" | jq -r .tenant_id)
tb=$(adm tenant create --name "Tenant B" | jq -r .tenant_id)
for t in "$ta" "$tb" "$ta"; do
  adm app create --tenant "$t" >/dev/null
  adm tenant get "$t" >/dev/null
done
sleep 3  # a timed checkpoint

# ---- online verification, roles ----------------------------------------------
out=$("$duet" audit verify --server "$url" --ca "$ca" --token "$data/auditor.token") || fail "online verify: $out"
echo "online: $out"
set +e
"$duet" audit verify --server "$url" --ca "$ca" --token "$data/admin.token" >"$dir/op.log" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] || fail "the operator read the audit log (exit $rc)"
grep -q forbidden "$dir/op.log" || fail "operator refusal: $(cat "$dir/op.log")"

# ---- export by tenant: a disclosure, approved by a security officer ----------
aud() { "$duet" audit disclosure --server "$url" --ca "$ca" --token "$data/$1" "${@:2}"; }
# expect_refused CODE EXIT CMD…: the command fails with EXIT, its output naming CODE.
expect_refused() {
  local code=$1 want=$2
  shift 2
  set +e
  out=$("$@" 2>&1)
  local rc=$?
  set -e
  [ "$rc" = "$want" ] || fail "expected exit $want ($code), got $rc: $out"
  echo "$out" | grep -q "$code" || fail "expected $code: $out"
}
to_at=$(( $(date +%s) + 60 ))
did=$(aud auditor.token request --tenant "$ta" --from 2000-01-01 --to "$to_at" --purpose "regulator request 17" \
  | jq -r .disclosure_id)
[ "$(aud auditor.token show "$did" | jq -r .state)" = requested ] || fail "not requested"
# Without an approval the export is refused, and the approval is the security officer's.
expect_refused forbidden 3 "$duet" audit export --server "$url" --ca "$ca" --token "$data/auditor.token" \
  --disclosure "$did" --out "$dir/a.jsonl"
expect_refused "not approved" 3 "$duet" audit export --server "$url" --ca "$ca" --token "$data/auditor.token" \
  --disclosure "$did" --out "$dir/a.jsonl"
expect_refused forbidden 3 aud auditor.token approve "$did"
expect_refused forbidden 3 aud admin.token approve "$did"
expect_refused forbidden 3 aud security-officer.token request --tenant "$ta" --from 2000-01-01 --to "$to_at" \
  --purpose "officers do not request"
# The tenant filter of the plain event listing is no way around it.
code=$(curl -s -o "$dir/filter.json" -w '%{http_code}' --cacert "$ca" \
  -H "Authorization: Bearer $(cat "$data/auditor.token")" "$url/admin/v1/audit/events?tenant=$ta")
[ "$code" = 403 ] || fail "the tenant filter answered $code"
# A refused disclosure never runs.
rid=$(aud auditor.token request --tenant "$tb" --from 2000-01-01 --to "$to_at" --purpose "curiosity" \
  | jq -r .disclosure_id)
code=$(curl -s -o "$dir/refuse.json" -w '%{http_code}' --cacert "$ca" -X POST -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $(cat "$data/security-officer.token")" -d '{}' "$url/admin/v1/audit/disclosures/$rid/refuse")
[ "$code" = 400 ] && grep -q invalid_argument "$dir/refuse.json" || fail "a refusal without a reason answered $code"
[ "$(aud security-officer.token refuse "$rid" --reason "no legal basis" | jq -r .state)" = refused ] || fail "refuse"
expect_refused forbidden 3 "$duet" audit export --server "$url" --ca "$ca" --token "$data/auditor.token" \
  --disclosure "$rid" --out "$dir/b.jsonl"
[ ! -e "$dir/b.jsonl" ] || fail "a refused disclosure wrote an export"
# Approved: it runs once.
approved=$(aud security-officer.token approve "$did" --reason "order 2023-17")
[ "$(echo "$approved" | jq -r .state)" = approved ] || fail "approve: $approved"
[ "$(echo "$approved" | jq -r .decided_by)" = security-officer ] || fail "decided_by: $approved"
"$duet" audit export --server "$url" --ca "$ca" --token "$data/auditor.token" \
  --disclosure "$did" --out "$dir/a.jsonl" 2>/dev/null || fail "export"
expect_refused conflict 3 "$duet" audit export --server "$url" --ca "$ca" --token "$data/auditor.token" \
  --disclosure "$did" --out "$dir/a2.jsonl"
shown=$(aud security-officer.token show "$did")
[ "$(echo "$shown" | jq -r .state)" = run ] || fail "not run: $shown"
[ "$(echo "$shown" | jq -r .run_by)" = auditor ] || fail "run_by: $shown"
# Every step is in the audit log, refusals included.
after=0; : >"$dir/events.jsonl"
while [ "$after" != null ]; do
  curl -s --cacert "$ca" -H "Authorization: Bearer $(cat "$data/auditor.token")" \
    "$url/admin/v1/audit/events?limit=1000&after_seq=$after" >"$dir/page.json"
  jq -c '.events[]' "$dir/page.json" >>"$dir/events.jsonl"
  after=$(jq -r .next_after_seq "$dir/page.json")
done
jq -s '{events: .}' "$dir/events.jsonl" >"$dir/events.json"
for want in "POST /admin/v1/audit/disclosures ok" "POST /admin/v1/audit/disclosures/{disclosure_id}/approve ok" \
  "POST /admin/v1/audit/disclosures/{disclosure_id}/approve forbidden" \
  "POST /admin/v1/audit/disclosures/{disclosure_id}/refuse ok" \
  "POST /admin/v1/audit/disclosures/{disclosure_id}/run ok" \
  "POST /admin/v1/audit/disclosures/{disclosure_id}/run forbidden" \
  "POST /admin/v1/audit/disclosures/{disclosure_id}/run conflict"; do
  jq -r '.events[] | "\(.action) \(.outcome)"' "$dir/events.json" | grep -qxF "$want" || fail "no audit event '$want'"
done
jq -e --arg d "$did" '.events[] | select(.action=="POST /admin/v1/audit/disclosures/{disclosure_id}/run"
  and .outcome=="ok") | select(.target | contains("disclosure_id:" + $d))' "$dir/events.json" >/dev/null \
  || fail "the run's event does not name the disclosure"
na=$(jq -c 'select(.type=="event")' "$dir/a.jsonl" | wc -l)
[ "$na" -ge 4 ] || fail "export has only $na events of tenant A"
others=$(jq -r 'select(.type=="event") | .tenant_id' "$dir/a.jsonl" | grep -vc "^$ta\$" || true)
[ "$others" = 0 ] || fail "export of A carries $others events of other tenants"
grep -q "$tb" "$dir/a.jsonl" && fail "export of A mentions tenant B"
[ "$(jq -c 'select(.type=="link")' "$dir/a.jsonl" | wc -l)" -ge 1 ] || fail "no links in the export"
[ "$(jq -c 'select(.type=="checkpoint")' "$dir/a.jsonl" | wc -l)" -ge 1 ] || fail "no checkpoint in the export"
out=$("$duet" audit verify --export "$dir/a.jsonl") || fail "export verify: $out"
echo "export: $out"
first_a=$(jq -r 'select(.type=="event") | .seq' "$dir/a.jsonl" | head -n 1)
jq -c "if .type==\"event\" and .seq==$first_a then .outcome=\"forbidden\" else . end" "$dir/a.jsonl" >"$dir/a-edited.jsonl"
set +e
out=$("$duet" audit verify --export "$dir/a-edited.jsonl" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "edited export verified (exit $rc)"
echo "$out" | grep -q "BROKEN at event $first_a: edited" || fail "edited export: $out"

# ---- clean stop, offline verification ----------------------------------------
kill "$pid"; wait "$pid" || true; pid=""
out=$("$duet" audit verify --data "$data") || fail "untouched data dir: $out"
echo "offline: $out"
n=$(sqlite3 -cmd ".timeout 10000" "$data/duet.db" 'SELECT seq FROM audit_head')
[ "$n" -ge 30 ] || fail "only $n events"
last_cp=$(sqlite3 -cmd ".timeout 10000" "$data/duet.db" 'SELECT MAX(seq) FROM audit_checkpoints')
[ "$last_cp" = "$n" ] || fail "the head ($n) is not signed at shutdown (last checkpoint $last_cp)"
cp1=$(sqlite3 -cmd ".timeout 10000" "$data/duet.db" 'SELECT MIN(seq) FROM audit_checkpoints')

# expect_broken NAME SEQ KIND VERIFY-ARGS…: expect exit 1 naming SEQ and KIND.
expect_broken() {
  local name=$1 seq=$2 kind=$3
  shift 3
  set +e
  out=$("$duet" audit verify "$@" 2>&1)
  local rc=$?
  set -e
  [ "$rc" = 1 ] || fail "$name: verify exit $rc: $out"
  echo "$out" | grep -q "BROKEN at event $seq: $kind" || fail "$name: expected event $seq $kind, got: $out"
  echo "$name: $out"
}
# tamper NAME "SQL" SEQ KIND: on a copy of the data dir, expect exit 1 naming SEQ and KIND.
tamper() {
  local name=$1 sql=$2 seq=$3 kind=$4 copy=$dir/t-$1
  rm -rf "$copy"; cp -a "$data" "$copy"
  sqlite3 "$copy/duet.db" "$sql"
  expect_broken "$name" "$seq" "$kind" --data "$copy"
}
k=7
tamper edit "UPDATE audit_events SET outcome = 'ok', actor_id = 'someone' WHERE seq = $k" $k edited
tamper edit-late "UPDATE audit_events SET target = 'x' WHERE seq = $n" $n edited
tamper delete "DELETE FROM audit_events WHERE seq = $k" $k deleted
tamper delete-tail "DELETE FROM audit_events WHERE seq = $n" $n deleted
tamper insert "UPDATE audit_events SET seq = -seq WHERE seq >= $k;
  UPDATE audit_events SET seq = 1 - seq WHERE seq < 0;
  INSERT INTO audit_events SELECT $k, at, tenant_id, actor_type, 'intruder', action, target, outcome, address,
    request_id, details, prev_hash, hash FROM audit_events WHERE seq = $((k - 1));" $k inserted
tamper swap "UPDATE audit_events SET seq = -1 WHERE seq = $k;
  UPDATE audit_events SET seq = $k WHERE seq = $((k + 1));
  UPDATE audit_events SET seq = $((k + 1)) WHERE seq = -1;" $k reordered
tamper forge-checkpoint "UPDATE audit_checkpoints SET signed_at = signed_at + 1 WHERE seq = $cp1" "$cp1" bad_checkpoint_signature
tamper forge-signature "UPDATE audit_checkpoints SET signature = randomblob(72) WHERE seq = $n" "$n" bad_checkpoint_signature
# ---- truncation: the witness (issue 14 item 7) -------------------------------
witness=$data.audit-witness.jsonl
[ -s "$witness" ] || fail "no witness file beside the data dir"
[ "$(stat -c %a "$witness")" = 600 ] || fail "the witness is not mode 0600"
wlast=$(jq -r 'select(.type=="checkpoint") | .seq' "$witness" | tail -n 1)
[ "$wlast" = "$last_cp" ] || fail "the witness's last checkpoint is $wlast, the store's $last_cp"
[ "$(jq -c 'select(.type=="key")' "$witness" | wc -l)" = 1 ] || fail "the witness does not list the key once"
out=$("$duet" audit verify --data "$data") || fail "untouched data dir against its witness: $out"
echo "$out" | grep -q "no witness" && fail "the default witness beside the data dir was not used: $out"

# Cut the tail together with its checkpoints and move the head back: the
# remaining chain is whole, its checkpoints link; only the witness shows the cut.
m=$(sqlite3 -cmd ".timeout 10000" "$data/duet.db" 'SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1 OFFSET 1')
[ -n "$m" ] && [ "$m" -lt "$n" ] || fail "fewer than two checkpoints"
copy=$dir/t-cut; rm -rf "$copy"; cp -a "$data" "$copy"
sqlite3 "$copy/duet.db" "DELETE FROM audit_events WHERE seq > $m; DELETE FROM audit_checkpoints WHERE seq > $m;
  UPDATE audit_head SET seq = $m, hash = (SELECT hash FROM audit_events WHERE seq = $m) WHERE id = 1;"
out=$("$duet" audit verify --data "$copy" 2>&1) || fail "the cut chain without a witness: $out"
echo "$out" | grep -q "no witness given" || fail "no warning without a witness: $out"
expect_broken cut-tail-with-checkpoints $((m + 1)) deleted --data "$copy" --witness "$witness"

# A consistent rewrite of event k and everything after it, every checkpoint deleted.
copy=$dir/t-rewrite; rm -rf "$copy"; cp -a "$data" "$copy"
python3 "$(dirname "$0")/audit_rewrite.py" "$copy/duet.db" "$k" || fail "rewrite"
[ "$(sqlite3 "$copy/duet.db" "SELECT actor_id FROM audit_events WHERE seq = $k")" = someone ] || fail "not rewritten"
expect_broken rewrite-all-checkpoints "$cp1" checkpoint_deleted --data "$copy" --witness "$witness"
# Without a witness, the age rule: events older than the unsigned age with no checkpoint.
sleep 2
expect_broken rewrite-age-rule 1 not_checkpointed --data "$copy" --max-unsigned-age 1
echo "audit tamper test: OK ($n events, checkpoints from $cp1 to $last_cp, witnessed)"
