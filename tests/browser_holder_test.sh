#!/usr/bin/env bash
# The holder web app in Debian's chromium against a real duetd (issue 13,
# docs/web.md): tests/browser/holder_app.mjs does the steps; this starts the
# duetd it talks to (tests/duetd_sandbox.sh) with web.root = the built front
# ends. Screenshots and figures.json go to OUT.
# Usage: browser_holder_test.sh DUET DUETD DEVICE_BENCH WEB_ROOT OUT
set -euo pipefail
duet=$1
duetd=$2
bench=$3
web_root=$4
out=$5
here=$(cd "$(dirname "$0")" && pwd)
for tool in jq openssl node /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "browser_holder_test: needs $tool" >&2; exit 1; }
done
[ -d "$here/../web/node_modules/playwright-core" ] || { echo "browser_holder_test: run scripts/build-web (npm ci)" >&2; exit 1; }
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "browser_holder_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }
[ -f "$web_root/app/index.html" ] || fail "the holder app is not built in $web_root (scripts/build-web)"

duetd_extra_config=$(printf '[web]\nroot = "%s"\n' "$web_root")
tenant_name="Browser bank"
# shellcheck source=tests/duetd_sandbox.sh
source "$here/duetd_sandbox.sh"

rm -rf "$out"
mkdir -p "$out"
api_json=$(printf '%s\n' "${api[@]}" | jq -R . | jq -sc .)
DUET_URL="$url" DUET_API="$api_json" DUET_DEVICE_BENCH="$bench" OUT="$out" PROFILE="$dir/profile" \
  WEB_DIR="$here/../web" timeout 900 node "$here/browser/holder_app.mjs" || fail "holder_app.mjs"
