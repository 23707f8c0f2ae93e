#!/usr/bin/env bash
# ctest "browser_portal" (label browser): the tenant portal and the operator
# console in Debian's headless chromium (playwright-core), against a real
# duetd: a tenant user signs in (keyboard only), sees the usage chart grow
# after a production signature, opens every page (accessibility checks and
# a screenshot each, PNG in $DUET_TEST_OUT or the build's browser-shots/);
# the SLA page's claim button and the console's approval run when a credit is
# there; an auditor is refused the tenants page by the server; the auditor's
# chain verification passes.
# Args: duet duetd WEB_ROOT (built portal/ and console/) NODE_MODULES OUT_DIR.
# Exits 77 (skipped) when the web build or chromium is missing.
set -euo pipefail
duet=$1
duetd=$2
web_root=$3
node_modules=$4
out_dir=$5
[ -f "$web_root/portal/index.html" ] && [ -f "$web_root/console/index.html" ] || { echo "browser_portal: no web build in $web_root: skipped"; exit 77; }
[ -x /usr/bin/chromium ] || { echo "browser_portal: no /usr/bin/chromium: skipped"; exit 77; }
[ -d "$node_modules/playwright-core" ] || { echo "browser_portal: no playwright-core in $node_modules: skipped"; exit 77; }
for tool in jq curl node; do command -v $tool >/dev/null || { echo "browser_portal: needs $tool" >&2; exit 1; }; done
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

mkdir -p "$dir/run" "$out_dir"
cp "$(dirname "$0")/browser/portal_console.mjs" "$dir/run/"
ln -s "$node_modules" "$dir/run/node_modules"
DUET_URL=$url WEB_ROOT=$web_root OUT_DIR=$out_dir \
  PORTAL_LOGIN=admin@portal-bank.example PORTAL_PASSWORD="correct horse battery" \
  OPERATOR_TOKEN=$(cat "$data/admin.token") AUDITOR_TOKEN=$(cat "$data/auditor.token") \
  SIGN_CMD="bash $dir/sign.sh" timeout 240 node "$dir/run/portal_console.mjs" || fail "the browser checks failed"
echo "browser_portal: screenshots in $out_dir"
