#!/usr/bin/env bash
# SLA terms and compensation claims (issue 14 item 4) against a real duetd:
# docs/sla-terms/v1.json recorded with `duet admin sla terms add` (its SM3
# digest checked against `openssl dgst -sm3` of the file; other bytes under
# the same version refused), pinned for the tenant and read back over the
# Business API; a synthetic January 2025 (45 minutes of failed probes: band B
# by the outage) with 10,000 metered signatures on a 100,000 package; the
# tenant files a claim with production credentials (the sandbox app is
# refused, a second claim for the month is 409); the operator verifies it
# (4 % of the month's metered signatures = 400, by v1) and approves it: one
# bonus package of 400, valid one year; a second approval is 409; a claim
# for a month with nothing due cannot be approved and is refused with a
# reason the tenant reads; every decision is in the audit log. Then the
# service activation date: a package bought before it starts there, and the
# date is final once reached. Statements: January's usage in JSON (admin) and
# CSV (the tenant), the credit in the month it was delivered.
# Usage: sla_claims_cli_test.sh DUET DUETD SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/synthetic_sla_month.sh"
duet=$1
duetd=$2
src=$3
command -v jq >/dev/null || { echo "sla_claims_cli_test: needs jq" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sla_claims_cli_test: needs sqlite3" >&2; exit 1; }
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "sla_claims_cli_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }
tenant_name="Claims, Inc."
# shellcheck source=tests/duetd_sandbox.sh
. "$(dirname "$0")/duetd_sandbox.sh"
db=$data/duet.db
sq() { sqlite3 -cmd ".timeout 10000" "$db" "$@"; }

"${adm[@]}" tenant activate "$tenant" --from now >/dev/null || fail "activate"
prod_app=$(jq -r .production.app_id <<<"$apps")
jq -r .production.secret <<<"$apps" >"$dir/prod-secret"
prod=("$duet" api --server "$url" --ca "$ca" --app-id "$prod_app" --secret-file "$dir/prod-secret")

# ---- the terms document: recorded byte for byte with its SM3 digest ----------------
terms=$src/docs/sla-terms/v1.json
want=$(openssl dgst -sm3 -r "$terms" | cut -d' ' -f1)
rec=$("${adm[@]}" sla terms add "$terms") || fail "terms add"
[ "$(jq -r .version <<<"$rec")" = v1 ] || fail "terms version: $rec"
[ "$(jq -r .digest_sm3 <<<"$rec")" = "$want" ] || fail "digest $(jq -r .digest_sm3 <<<"$rec") != openssl $want"
"${adm[@]}" sla terms add "$terms" >/dev/null || fail "the same bytes again refused"
sed 's/"C": 7}/"C": 9}/' "$terms" >"$dir/v1-changed.json"
cmp -s "$terms" "$dir/v1-changed.json" && fail "the changed copy is unchanged"
if out=$("${adm[@]}" sla terms add "$dir/v1-changed.json" 2>&1); then fail "v1 with other bytes accepted"; fi
grep -q "HTTP 409" <<<"$out" || fail "v1 with other bytes: $out"
printf '{"version": "v2"}' >"$dir/bad.json"
if out=$("${adm[@]}" sla terms add "$dir/bad.json" 2>&1); then fail "an incomplete document accepted"; fi
grep -q "HTTP 400" <<<"$out" || fail "incomplete document: $out"
[ "$(sq "SELECT digest_hex FROM sla_terms WHERE version = 'v1'")" = "$want" ] || fail "stored digest"
[ "$("${adm[@]}" sla terms list | jq '.terms | length')" = 1 ] || fail "terms list"
"${adm[@]}" sla terms pin --tenant "$tenant" --version v1 >/dev/null || fail "pin"
seen=$("${prod[@]}" GET /api/v1/sla/terms | sed 1d)
[ "$(jq -r .digest_sm3 <<<"$seen")" = "$want" ] || fail "tenant's terms: $seen"
[ "$(jq -r .document.batch_counting <<<"$seen")" = per_item ] || fail "tenant's terms document: $seen"

# ---- a synthetic January 2025 ------------------------------------------------------
from=$(( $(date -u -d 2025-01-01 +%s) - 8 * 3600 ))
far=$(( $(date +%s) + 400 * 86400 ))
seed_synthetic_month "$db" "$tenant" "$from" $(( from + 44640 * 60 )) "$far" pkg_claims_test ||
  fail "synthetic month"

# ---- the claim: filed by the tenant ------------------------------------------------
out=$("${api[@]}" POST /api/v1/sla/claims --body '{"month":"2025-01"}' 2>&1) && fail "the sandbox app filed a claim"
grep -q "HTTP 403" <<<"$out" || fail "sandbox claim: $out"
out=$("${prod[@]}" POST /api/v1/sla/claims --body '{"month":"2099-01"}' 2>&1) && fail "a claim for a running month"
grep -q "HTTP 409" <<<"$out" || fail "future month: $out"
filed=$("${prod[@]}" POST /api/v1/sla/claims --body '{"month":"2025-01","statement":"45 minutes down on 1 January"}' | sed 1d) \
  || fail "file claim"
claim=$(jq -r .claim_id <<<"$filed")
[ "$(jq -r .state <<<"$filed")" = filed ] || fail "filed: $filed"
[ "$(jq -r .terms_version <<<"$filed")" = v1 ] || fail "claim terms: $filed"
out=$("${prod[@]}" POST /api/v1/sla/claims --body '{"month":"2025-01"}' 2>&1) && fail "a second claim for January"
grep -q "HTTP 409" <<<"$out" || fail "second claim: $out"

# ---- verified and approved by the operator -------------------------------------------
[ "$("${adm[@]}" sla claims list --tenant "$tenant" | jq '.claims | length')" = 1 ] || fail "claims list"
shown=$("${adm[@]}" sla claims show "$claim")
[ "$(jq -r .figures.band <<<"$shown")" = B ] || fail "band: $shown"
# 45 failed probe minutes: the probe stands for both services, and §4.3 sums the
# signing and the certificate service's unavailable minutes (docs/sla.md).
[ "$(jq -r .figures.unavailable_minutes <<<"$shown")" = 90 ] || fail "figures: $shown"
[ "$(jq -r .judged_by_terms.version <<<"$shown")" = v1 ] || fail "judged by: $shown"
[ "$(jq -r .judged_by_terms.digest_sm3 <<<"$shown")" = "$want" ] || fail "judged by digest: $shown"
[ "$(jq -r '.credits | length' <<<"$shown")" = 1 ] || fail "credits: $shown"
[ "$(jq -r '.credits[0].amount' <<<"$shown")" = 400 ] || fail "4 % of 10,000 metered: $shown"
[ "$(jq -r '.credits[0].basis.percent_base' <<<"$shown")" = month_metered_signatures ] || fail "basis: $shown"
[ "$(jq -r '.credits[0].state' <<<"$shown")" = proposed ] || fail "credit state: $shown"
approved=$("${adm[@]}" sla claims approve "$claim" --reason "verified against the January report")
[ "$(jq -r .state <<<"$approved")" = approved ] || fail "approve: $approved"
[ "$(jq -r '.credits[0].state' <<<"$approved")" = approved ] || fail "credit not granted: $approved"
pkg=$(jq -r '.credits[0].package_id' <<<"$approved")
row=$(sq "SELECT kind || ' ' || quantity || ' ' || (expires_at - starts_at >= 365 * 86400) || ' ' || (expires_at - starts_at <= 366 * 86400) FROM packages WHERE tenant_id = '$tenant' AND package_id = '$pkg' AND source = 'sla_credit'")
[ "$row" = "per_signature 400 1 1" ] || fail "bonus package: $row"
if out=$("${adm[@]}" sla claims approve "$claim" 2>&1); then fail "second approval succeeded"; fi
grep -q "HTTP 409" <<<"$out" || fail "second approval: $out"
[ "$(sq "SELECT COUNT(*) FROM packages WHERE tenant_id = '$tenant' AND source = 'sla_credit'")" = 1 ] || fail "packages"
mine=$("${prod[@]}" GET "/api/v1/sla/claims/$claim" | sed 1d)
[ "$(jq -r .decision_reason <<<"$mine")" = "verified against the January report" ] || fail "tenant view: $mine"
[ "$(jq -r '.credits[0].package_id' <<<"$mine")" = "$pkg" ] || fail "tenant credit: $mine"

# ---- statements: January's usage, and the credit in the month it was delivered ------
stmt=$("${adm[@]}" statement --tenant "$tenant" --month 2025-01)
[ "$(jq -r .batch_counting <<<"$stmt")" = per_item ] || fail "statement rule: $stmt"
[ "$(jq -r .terms_version <<<"$stmt")" = v1 ] || fail "statement terms: $stmt"
[ "$(jq -r .signatures.items <<<"$stmt")" = 10000 ] || fail "statement items: $stmt"
[ "$(jq -r .signatures.orders <<<"$stmt")" = 5000 ] || fail "statement orders: $stmt"
[ "$(jq -r .signatures.counted <<<"$stmt")" = 10000 ] || fail "statement counted: $stmt"
[ "$(jq -r '.packages[] | select(.package_id == "pkg_claims_test") | .used_in_month' <<<"$stmt")" = 10000 ] \
  || fail "statement package: $stmt"
# The same from the database, independently of the service.
[ "$(sq "SELECT COUNT(*) FROM usage_records WHERE tenant_id = '$tenant' AND counted_at >= $from AND counted_at < $from + 31 * 86400")" = 10000 ] \
  || fail "usage rows"
csv=$("${prod[@]}" GET "/api/v1/statements/2025-01?format=csv" | sed 1d)
head -1 <<<"$csv" | grep -q '^tenant_id,month,line,package_id,kind,source,quantity,starts_at,expires_at,amount,batch_counting,terms_version$' \
  || fail "csv header: $csv"
grep -q "^$tenant,2025-01,signatures_counted,,per_signature,,,,,10000,per_item,v1\$" <<<"$csv" || fail "csv counted: $csv"
grep -q "^$tenant,2025-01,package_used,pkg_claims_test,per_signature,purchase,100000,.*,10000,per_item,v1\$" <<<"$csv" \
  || fail "csv package: $csv"
this_month=$(TZ=Asia/Shanghai date +%Y-%m)
now_stmt=$("${prod[@]}" GET "/api/v1/statements/$this_month" | sed 1d)
[ "$(jq -r '.credits[0].package_id' <<<"$now_stmt")" = "$pkg" ] || fail "credit not in the month it was delivered: $now_stmt"
[ "$(jq -r '.credits[0].amount' <<<"$now_stmt")" = 400 ] || fail "credit amount in the statement: $now_stmt"
out=$("${prod[@]}" GET "/api/v1/statements/2099-01" 2>&1) && fail "a statement for a month not begun"
grep -q "HTTP 400" <<<"$out" || fail "month not begun: $out"

# ---- nothing due: refused with a reason ----------------------------------------------
filed=$("${prod[@]}" POST /api/v1/sla/claims --body '{"month":"2024-11"}' | sed 1d) || fail "file November"
nov=$(jq -r .claim_id <<<"$filed")
if out=$("${adm[@]}" sla claims approve "$nov" 2>&1); then fail "approved with nothing due"; fi
grep -q "HTTP 409" <<<"$out" || fail "nothing due: $out"
refused=$("${adm[@]}" sla claims refuse "$nov" --reason "no service minutes in November 2024")
[ "$(jq -r .state <<<"$refused")" = refused ] || fail "refuse: $refused"
mine=$("${prod[@]}" GET /api/v1/sla/claims | sed 1d)
[ "$(jq -r --arg c "$nov" '.claims[] | select(.claim_id == $c) | .decision_reason' <<<"$mine")" = \
  "no service minutes in November 2024" ] || fail "tenant reads the reason: $mine"

# ---- audited -------------------------------------------------------------------------
for c in "$claim" "$nov"; do
  n=$(sq "SELECT COUNT(*) FROM audit_events WHERE target LIKE '%$c%' AND outcome = 'ok'")
  [ "$n" -ge 2 ] || fail "audit events of $c: $n ($(sq "SELECT action, target, outcome FROM audit_events ORDER BY seq DESC LIMIT 8"))"
done
# ---- service activation (开通日): package terms start there; final once reached ------
t2=$("${adm[@]}" tenant create --name "Later, Ltd." | jq -r .tenant_id)
"${adm[@]}" package add --tenant "$t2" --kind per_signature --quantity 10000 >/dev/null || fail "package before activation"
act=$(( $(date +%s) + 10 * 86400 ))
"${adm[@]}" tenant activate "$t2" --from "$act" >/dev/null || fail "activate in 10 days"
row=$(sq "SELECT (starts_at = $act) || ' ' || (expires_at - starts_at BETWEEN 365 * 86400 AND 366 * 86400) FROM packages WHERE tenant_id = '$t2'")
[ "$row" = "1 1" ] || fail "the package term does not start at the activation date: $row"
"${adm[@]}" package add --tenant "$t2" --kind per_user --quantity 1000 >/dev/null || fail "package after activation set"
[ "$(sq "SELECT starts_at FROM packages WHERE tenant_id = '$t2' AND kind = 'per_user'")" = "$act" ] \
  || fail "a package bought before the activation date does not start there"
"${adm[@]}" tenant activate "$t2" --from now >/dev/null || fail "moving a future activation date"
if out=$("${adm[@]}" tenant activate "$t2" --from "$act" 2>&1); then fail "a reached activation date moved"; fi
grep -q "HTTP 409" <<<"$out" || fail "reached activation date: $out"
echo "sla_claims_cli_test: OK"
