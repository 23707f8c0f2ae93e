#!/usr/bin/env bash
# SLA from the command line (issue 5 §2, §3, §7) against a real duetd:
# a synthetic month of minutes (2025-01, +08:00) written into the service's
# SQLite file (45 minutes of failed probes: band A by availability, band B by
# the outage), `duet admin sla report --month 2025-01` in text, JSON and CSV,
# the credit proposed for the tenant's unlimited package, approved once
# (the second approval fails with 409), maintenance windows, the production
# rate limit, and a sandbox app over [limits] sandbox_requests_per_second
# answered 429 rate_limited with Retry-After; per-minute records of the
# requests appear in the database.
# Usage: sla_cli_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
command -v jq >/dev/null || { echo "sla_cli_test: needs jq" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sla_cli_test: needs sqlite3" >&2; exit 1; }
dir=$(mktemp -d)
data=$dir/data
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "sla_cli_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

cat >"$dir/duetd.toml" <<'TOML'
[limits]
sandbox_requests_per_second = 2
[sla]
flush_interval_ms = 200
holidays = ["2025-01-01"]
TOML
"$duetd" --config "$dir/duetd.toml" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -s "$data/duetd.port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "duetd exited at start"
  sleep 0.1
done
port=$(tr -dc '0-9:' <"$data/duetd.port"); port=${port##*:}
url="https://127.0.0.1:$port"
ca="$data/tls/dev-cert.pem"
adm=("$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token")
db=$data/duet.db

tenant=$("${adm[@]}" tenant create --name "SLA, Inc." | jq -r .tenant_id)
apps=$("${adm[@]}" app create --tenant "$tenant" 2>/dev/null)
app=$(jq -r .sandbox.app_id <<<"$apps")
jq -r .sandbox.secret <<<"$apps" >"$dir/secret"

# ---- a sandbox app over its limit: 429 rate_limited, Retry-After -------------------
api=("$duet" api --server "$url" --ca "$ca" --app-id "$app" --secret-file "$dir/secret")
"${api[@]}" holder list >/dev/null || fail "first request refused"
# A burst of signed requests sent at once (signed with openssl, as docs/api/openapi.yaml shows).
secret=$(cat "$dir/secret")
bodyhash=$(printf '' | openssl dgst -sm3 -hex | sed 's/.*= //')
ts=$(date +%s)
for i in 1 2 3 4 5 6 7 8; do
  nonce="sla-burst-$i-$RANDOM$RANDOM"
  # Request-signature v2: the fifth line is the Idempotency-Key, empty here (none sent).
  sig=$(printf 'GET\n/api/v1/holders\n%s\n%s\n\n%s' "$ts" "$nonce" "$bodyhash" | openssl dgst -sm3 -hmac "$secret" -hex | sed 's/.*= //')
  printf '%s %s\n' "$nonce" "$sig" >"$dir/req.$i"
done
curls=()
for i in 1 2 3 4 5 6 7 8; do
  read -r nonce sig <"$dir/req.$i"
  curl -s -D "$dir/headers.$i" -o "$dir/body.$i" --cacert "$ca" -H "X-Duet-App-Id: $app" -H "X-Duet-Timestamp: $ts" \
    -H "X-Duet-Nonce: $nonce" -H "X-Duet-Signature-Version: 2" -H "X-Duet-Signature: $sig" "$url/api/v1/holders" &
  curls+=($!)
done
wait "${curls[@]}"  # not duetd
limited=$(grep -l "^HTTP/1.1 429" "$dir"/headers.* || true)
[ -n "$limited" ] || fail "a burst of 8 got no 429 (limit 2 per second)"
first=$(head -1 <<<"$limited")
grep -qi "^Retry-After: 1" "$first" || fail "429 without Retry-After: $(cat "$first")"
[ "$(jq -r .error.code "${first/headers/body}")" = rate_limited ] || fail "429 body: $(cat "${first/headers/body}")"
grep -l "^HTTP/1.1 200" "$dir"/headers.* >/dev/null || fail "the burst had no 200 at all"
# The CLI reports the refusal with the server's code.
# (a burst again, so that the limit of 2 per second is passed whatever the machine's speed)
clis=()
for i in 1 2 3 4 5 6 7 8; do "${api[@]}" holder list >"$dir/cli.$i" 2>&1 & clis+=($!); done
for p in "${clis[@]}"; do wait "$p" || true; done
grep -l "HTTP 429 rate_limited" "$dir"/cli.* >/dev/null || fail "no CLI call of the burst reported 429 rate_limited: $(cat "$dir"/cli.*)"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$url/healthz")
[ "$code" = 200 ] || fail "healthz $code"

# ---- per-minute records of those requests ------------------------------------------
# The service's minutes count them; the tenant's do not: sandbox traffic is no
# tenant's (docs/sla.md "Recording", docs/metering.md "Sandbox").
for _ in $(seq 1 150); do
  n=$(sqlite3 -cmd ".timeout 10000" "$db" "SELECT COALESCE(SUM(requests),0) FROM availability_minutes WHERE tenant_id = ''")
  [ "$n" -ge 9 ] && break
  sleep 0.2
done
[ "$n" -ge 9 ] || fail "service minutes hold $n requests"
t=$(sqlite3 -cmd ".timeout 10000" "$db" "SELECT COALESCE(SUM(requests),0) FROM availability_minutes WHERE tenant_id = '$tenant'")
[ "$t" = 0 ] || fail "the tenant's minutes count $t sandbox requests"
probes=$(sqlite3 -cmd ".timeout 10000" "$db" "SELECT COALESCE(SUM(probes_ok),0) FROM availability_minutes WHERE tenant_id = ''")
[ "$probes" -ge 1 ] || fail "no probe recorded"

# ---- a synthetic January 2025 ----------------------------------------------------
from=$(( $(date -u -d 2025-01-01 +%s) - 8 * 3600 ))
pkg_end=$(( $(date +%s) + 100 * 86400 ))  # the unlimited package still runs: free days extend it
sqlite3 -cmd ".timeout 10000" "$db" <<SQL
BEGIN IMMEDIATE;
WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < 44639)
INSERT INTO availability_minutes (tenant_id, minute, probes_ok, probes_failed)
  SELECT '', $from + i * 60, CASE WHEN i BETWEEN 100 AND 144 THEN 0 ELSE 1 END,
         CASE WHEN i BETWEEN 100 AND 144 THEN 1 ELSE 0 END FROM m;
INSERT INTO availability_minutes (tenant_id, minute, requests, normal, total_us, max_us)
  VALUES ('$tenant', $from + 3000 * 60, 10, 10, 500000, 120000);
UPDATE availability_minutes SET requests = requests + 10, normal = normal + 10, total_us = total_us + 500000,
  max_us = 120000 WHERE tenant_id = '' AND minute = $from + 3000 * 60;
UPDATE tenants SET created_at = $from - 86400, production_active_from = $from - 86400 WHERE tenant_id = '$tenant';
INSERT INTO packages (tenant_id, package_id, kind, quantity, used, starts_at, expires_at, source, note, created_at)
  VALUES ('$tenant', 'pkg_sla_cli_test', 'unlimited', 0, 0, $from - 86400, $pkg_end, 'purchase', '', $from);
COMMIT;
SQL

json_report=$("${adm[@]}" sla report --month 2025-01 --tenant "$tenant" --format json)
[ "$(jq -r .final <<<"$json_report")" = true ] || fail "report not final: $json_report"
# 45 minutes of failed probes: both services down in each, summed (docs/sla.md "Availability").
[ "$(jq -r .overall.unavailable_minutes <<<"$json_report")" = 90 ] || fail "overall: $json_report"
[ "$(jq -r .overall.signing_unavailable_minutes <<<"$json_report")" = 45 ] || fail "signing minutes: $json_report"
[ "$(jq -r .overall.certificate_unavailable_minutes <<<"$json_report")" = 45 ] || fail "certificate minutes"
[ "$(jq -r .overall.longest_outage_minutes <<<"$json_report")" = 45 ] || fail "longest outage"
[ "$(jq -r .overall.availability_met <<<"$json_report")" = false ] || fail "availability target"
[ "$(jq -r '.tenants[0].band' <<<"$json_report")" = B ] || fail "band: $json_report"
[ "$(jq -r '.tenants[0].compensation[0].kind' <<<"$json_report")" = days ] || fail "compensation kind"
[ "$(jq -r '.tenants[0].compensation[0].amount' <<<"$json_report")" = 10 ] || fail "compensation amount"
[ "$(jq -r '.tenants[0].requests' <<<"$json_report")" = 10 ] || fail "tenant requests"
[ "$(jq -r '.tenants[0].avg_ms' <<<"$json_report")" = 50 ] || fail "tenant average: $(jq .tenants[0].avg_ms <<<"$json_report")"
[ "$(jq -r '.tenants[0].max_ms' <<<"$json_report")" = 120 ] || fail "tenant maximum"

csv=$("${adm[@]}" sla report --month 2025-01 --format csv)
head -1 <<<"$csv" | grep -q '^scope,tenant_id,name,availability_pct,available_minutes,unavailable_minutes,' || fail "csv header: $csv"
grep -q '^overall,,,99.7984,44550,90,0,45,' <<<"$csv" || fail "csv overall row: $csv"
grep -q "^tenant,$tenant,\"SLA, Inc.\",99.7984,.*,B,10 free days\$" <<<"$csv" || fail "csv tenant row: $csv"
[ "$(wc -l <<<"$csv")" -eq 3 ] || fail "csv rows: $csv"

text=$("${adm[@]}" sla report --month 2025-01 --format text)
grep -q "SLA report 2025-01 (month ended)" <<<"$text" || fail "text: $text"
grep -q "availability >= 99.95 %, average <= 100 ms, maximum <= 3000 ms" <<<"$text" || fail "text targets: $text"
grep -q "^overall .*99.7984 %" <<<"$text" || fail "text overall: $text"
grep -q "$tenant SLA, Inc\..*B  10 free days" <<<"$text" || fail "text tenant: $text"
grep -q "availability target NO" <<<"$text" || fail "text verdict: $text"

# ---- the credit: approved once -----------------------------------------------------
credits=$("${adm[@]}" sla credits --month 2025-01)
[ "$(jq '.credits | length' <<<"$credits")" = 1 ] || fail "credits: $credits"
credit=$(jq -r '.credits[0].credit_id' <<<"$credits")
[ "$(jq -r '.credits[0].state' <<<"$credits")" = proposed ] || fail "credit state"
approved=$("${adm[@]}" sla approve "$credit")
[ "$(jq -r .state <<<"$approved")" = approved ] || fail "approve: $approved"
[ "$(jq -r .package.kind <<<"$approved")" = unlimited ] || fail "bonus kind: $approved"
[ "$(jq -r .package.starts_at <<<"$approved")" = "$pkg_end" ] || fail "bonus start: $approved"
[ "$(jq -r .package.expires_at <<<"$approved")" = $((pkg_end + 10 * 86400)) ] || fail "bonus end: $approved"
if out=$("${adm[@]}" sla approve "$credit" 2>&1); then fail "second approval succeeded"; fi
grep -q "HTTP 409" <<<"$out" || fail "second approval: $out"
[ "$(sqlite3 -cmd ".timeout 10000" "$db" "SELECT COUNT(*) FROM packages WHERE tenant_id = '$tenant' AND source = 'sla_credit'")" = 1 ] \
  || fail "bonus packages"

# ---- maintenance windows and the production limit ----------------------------------------
start=$(( $(date +%s) + 30 * 86400 ))
w=$("${adm[@]}" sla maintenance add --starts-at "$start" --ends-at $((start + 3600)) --description "DB upgrade")
[ "$(jq -r .excluded <<<"$w")" = true ] || fail "window 30 days ahead not excluded: $w"
wid=$(jq -r .window_id <<<"$w")
[ "$("${adm[@]}" sla maintenance list | jq '.windows | length')" = 1 ] || fail "window list"
"${adm[@]}" sla maintenance delete "$wid" || fail "delete window"
[ "$("${adm[@]}" sla maintenance list | jq '.windows | length')" = 0 ] || fail "window not deleted"
[ "$("${adm[@]}" sla rate-limit --tenant "$tenant" | jq -r .requests_per_second)" = null ] || fail "default limit"
[ "$("${adm[@]}" sla rate-limit --tenant "$tenant" --rps 50 | jq -r .requests_per_second)" = 50 ] || fail "set limit"
[ "$("${adm[@]}" sla rate-limit --tenant "$tenant" | jq -r .requests_per_second)" = 50 ] || fail "read limit"
echo "sla_cli_test: OK"
