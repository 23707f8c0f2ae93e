#!/usr/bin/env bash
# ctest "browser_portal" (label browser): the tenant portal and the operator
# console in Debian's headless chromium (playwright-core), against a real
# duetd: a tenant user signs in (keyboard only), sees the usage chart grow
# after a production signature, opens every page (accessibility checks and
# a screenshot each, PNG in $DUET_TEST_OUT or the build's browser-shots/);
# a synthetic last month with a 45-minute outage (band B by docs/sla-terms/v1.json,
# pinned) and 10,000 metered signatures: the tenant admin files a claim for it
# on the SLA page, the operator approves it in the console, and the portal
# shows the claim approved and the credit (4 % = 400 signatures) approved,
# which the Business API confirms; an auditor is refused the tenants page by the server; the auditor's
# chain verification passes.
# Args: duet duetd WEB_ROOT (built portal/ and console/) NODE_MODULES OUT_DIR.
# Exits 77 (skipped) when the web build or chromium is missing.
set -euo pipefail
source "$(dirname "$0")/synthetic_sla_month.sh"
duet=$1
duetd=$2
web_root=$3
node_modules=$4
out_dir=$5
[ -f "$web_root/portal/index.html" ] && [ -f "$web_root/console/index.html" ] || { echo "browser_portal: no web build in $web_root: skipped"; exit 77; }
[ -x /usr/bin/chromium ] || { echo "browser_portal: no /usr/bin/chromium: skipped"; exit 77; }
[ -d "$node_modules/playwright-core" ] || { echo "browser_portal: no playwright-core in $node_modules: skipped"; exit 77; }
for tool in jq curl node sqlite3; do command -v $tool >/dev/null || { echo "browser_portal: needs $tool" >&2; exit 1; }; done
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "browser_portal: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

tenant_name="Portal bank"
source "$(dirname "$0")/duetd_sandbox.sh"

# Production: the tenant active, a package, one production holder enrolled.
"${adm[@]}" tenant activate "$tenant" --from now >/dev/null || fail "activate"
"${adm[@]}" package add --tenant "$tenant" --kind per_signature --quantity 10000 >/dev/null || fail "package"
jq -r .production.secret <<<"$apps" >"$dir/prod-secret"
prod=("$duet" api --server "$url" --ca "$ca" --app-id "$(jq -r .production.app_id <<<"$apps")" --secret-file "$dir/prod-secret")
holder_id=$("${prod[@]}" holder create --name "王五" --id-number 110101199003071234 --phone 13812345678 | jq -r .holder_id)
code=$("${prod[@]}" activation-code "$holder_id" | jq -r .code)
"$duet" holder --server "$url" --ca "$ca" --state "$dir/phone" enroll --holder-id "$holder_id" --code "$code" \
  --pin 246810 --kdf-iterations 1000 --no-certificate --accept-agreements >"$dir/enroll.log" 2>&1 || fail "enroll: $(cat "$dir/enroll.log")"
cat >"$dir/sign.sh" <<SIGN
set -e
printf 'contract %s' "\$RANDOM" >"$dir/msg"
o=\$(${prod[*]@Q} order create --holder "$holder_id" --title "合同" --file "$dir/msg" --output der | jq -r .order_id)
"$duet" holder --server "$url" --ca "$ca" --state "$dir/phone" sign "\$o" --pin 246810 >/dev/null
SIGN
bash "$dir/sign.sh" || fail "first signature"

# A portal user (the tenant's admin), created by the operator.
curl -sS --fail-with-body --cacert "$ca" -H "Authorization: Bearer $(cat "$data/admin.token")" \
  -H 'Content-Type: application/json' -X POST "$url/admin/v1/tenants/$tenant/portal-users" \
  -d '{"login":"admin@portal-bank.example","password":"correct horse battery","role":"admin"}' >/dev/null ||
  fail "portal user"

# A synthetic last month (months in the service's +08:00, docs/sla.md): the
# tenant active since before it, 45 minutes of failed probes, 10,000 metered
# signatures; the terms v1 pinned, so the month's credit is 4 % = 400.
"${adm[@]}" sla terms add "$(dirname "$0")/../docs/sla-terms/v1.json" >/dev/null || fail "terms add"
"${adm[@]}" sla terms pin --tenant "$tenant" --version v1 >/dev/null || fail "terms pin"
this_month=$(TZ=Asia/Shanghai date +%Y-%m-01)
claim_month=$(date -d "$this_month -1 month" +%Y-%m)
from=$(( $(date -u -d "$claim_month-01" +%s) - 8 * 3600 ))
to=$(( $(date -u -d "$this_month" +%s) - 8 * 3600 ))
far=$(( $(date +%s) + 400 * 86400 ))
seed_synthetic_month "$data/duet.db" "$tenant" "$from" "$to" "$far" pkg_last_month || fail "synthetic month"

mkdir -p "$dir/run" "$out_dir"
cp "$(dirname "$0")/browser/portal_console.mjs" "$dir/run/"
ln -s "$node_modules" "$dir/run/node_modules"
DUET_URL=$url WEB_ROOT=$web_root OUT_DIR=$out_dir \
  PORTAL_LOGIN=admin@portal-bank.example PORTAL_PASSWORD="correct horse battery" \
  OPERATOR_TOKEN=$(cat "$data/admin.token") AUDITOR_TOKEN=$(cat "$data/auditor.token") \
  CLAIM_MONTH=$claim_month SIGN_CMD="bash $dir/sign.sh" timeout 240 node "$dir/run/portal_console.mjs" ||
  fail "the browser checks failed"
# The Business API sees what the browser did: the claim approved, filed by the portal user.
claims=$("${prod[@]}" GET /api/v1/sla/claims | sed 1d)
[ "$(jq -r --arg m "$claim_month" '.claims[] | select(.month == $m) | .state' <<<"$claims")" = approved ] ||
  fail "the claim is not approved over the Business API: $claims"
jq -e --arg m "$claim_month" '.claims[] | select(.month == $m) | .filed_by | startswith("usr_")' <<<"$claims" >/dev/null ||
  fail "the claim was not filed by the portal user: $claims"
claim_id=$(jq -r --arg m "$claim_month" '.claims[] | select(.month == $m) | .claim_id' <<<"$claims")
# The filing is an audited action of the portal user, with the claim as its target (the auditor reads it).
curl -sS --fail-with-body --cacert "$ca" -H "Authorization: Bearer $(cat "$data/auditor.token")" \
  "$url/admin/v1/audit/events?limit=500" >"$dir/audit.json" || fail "audit events"
jq -e --arg t "claim_id:$claim_id" '.events[] | select(.action == "POST /portal/v1/sla/claims" and .actor_type == "portal_user"
  and .outcome == "ok" and .target == $t)' "$dir/audit.json" >/dev/null || fail "no audit event of the portal claim"
# The operator's CLI for portal users (docs/portal.md "Account care"): after
# the browser changed the password, a disabled user's sign-in is refused
# with 401, enabling lets it in again, and a reset token sets a password once.
signin() {
  curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H 'Content-Type: application/json' \
    -X POST "$url/portal/v1/sessions" -d "{\"login\":\"admin@portal-bank.example\",\"password\":\"$1\"}"
}
user_id=$("${adm[@]}" portal-user list --tenant "$tenant" | jq -r '.users[0].user_id')
"${adm[@]}" portal-user disable --tenant "$tenant" --user "$user_id" >/dev/null || fail "portal-user disable"
"${adm[@]}" portal-user list --tenant "$tenant" | jq -e '.users[0].disabled == true' >/dev/null || fail "not listed disabled"
[ "$(signin 'a brand new portal passphrase')" = 401 ] || fail "a disabled portal user signed in"
"${adm[@]}" portal-user enable --tenant "$tenant" --user "$user_id" >/dev/null || fail "portal-user enable"
[ "$(signin 'a brand new portal passphrase')" = 201 ] || fail "the enabled portal user cannot sign in"
reset_token=$("${adm[@]}" portal-user reset --tenant "$tenant" --user "$user_id" 2>/dev/null | jq -r .reset_token)
reset() {
  curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H 'Content-Type: application/json' \
    -X POST "$url/portal/v1/password-reset" -d "{\"reset_token\":\"$reset_token\",\"new_password\":\"$1\"}"
}
[ "$(reset 'set by the reset token')" = 204 ] || fail "the reset token did not set the password"
[ "$(reset 'a second use of the token')" = 401 ] || fail "the reset token worked twice"
[ "$(signin 'set by the reset token')" = 201 ] || fail "the reset password does not sign in"
echo "browser_portal: screenshots in $out_dir"
