#!/usr/bin/env bash
# Availability as the agreement's §4.3 defines it, against a real duetd
# (issue 14 item 3, docs/sla.md "Availability", "Incidents"):
#  - production requests land in the tenant's row of the service their route
#    belongs to (signing / certificate), sandbox requests in none;
#  - a synthetic month (2025-01, +08:00) of ten tenants judged per tenant, not
#    per request; the signing and certificate services' minutes summed;
#  - incidents entered with `duet admin incident`: a third party's outage and
#    a cause on one customer's side leave the availability, the provider's own
#    fault does not; their times against §4.1 in the report; each change in
#    the audit log; the tenant's view over the Business API (signed with the
#    openssl CLI, as docs/api/openapi.yaml describes) shows every tenant's and
#    its own, never another tenant's; bad input is a 400;
#  - a fault drill announced a month ahead is excluded.
# Usage: sla_availability_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
command -v jq >/dev/null || { echo "sla_availability_test: needs jq" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sla_availability_test: needs sqlite3" >&2; exit 1; }
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "sla_availability_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

duetd_extra_config=$'[sla]\nflush_interval_ms = 200\n'
tenant_name="Availability, Inc."
# shellcheck source=tests/duetd_sandbox.sh
source "$(dirname "$0")/duetd_sandbox.sh"
db=$data/duet.db
q() { sqlite3 -cmd ".timeout 10000" "$db" "$@"; }
prod_app=$(jq -r .production.app_id <<<"$apps")
jq -r .production.secret <<<"$apps" >"$dir/prod_secret"

# A signed Business API GET (request-signature v2, no Idempotency-Key).
signed_get() {  # APP_ID SECRET_FILE PATH
  local ts nonce sig bodyhash
  ts=$(date +%s)
  nonce="avail-$RANDOM$RANDOM$RANDOM"
  bodyhash=$(printf '' | openssl dgst -sm3 -hex | sed 's/.*= //')
  sig=$(printf 'GET\n%s\n%s\n%s\n\n%s' "$3" "$ts" "$nonce" "$bodyhash" |
    openssl dgst -sm3 -hmac "$(cat "$2")" -hex | sed 's/.*= //')
  curl -s --cacert "$ca" -H "X-Duet-App-Id: $1" -H "X-Duet-Timestamp: $ts" -H "X-Duet-Nonce: $nonce" \
    -H "X-Duet-Signature-Version: 2" -H "X-Duet-Signature: $sig" "$url$3"
}

# ---- live rows: one per tenant and service -----------------------------------------
"${adm[@]}" tenant activate "$tenant" --from now >/dev/null || fail "activate production"
# (a 4xx — 402 without a package — is a normal answer, and it is the tenant's)
signed_get "$prod_app" "$dir/prod_secret" /api/v1/holders >/dev/null
signed_get "$prod_app" "$dir/prod_secret" /api/v1/holders/hld_nobody/certificates >/dev/null  # 404: normal
signed_get "$app" "$dir/secret" /api/v1/holders >/dev/null                                    # sandbox: no tenant's
for _ in $(seq 1 150); do
  n=$(q "SELECT COALESCE(SUM(requests),0) FROM availability_minutes WHERE tenant_id = 'svc:certificate:$tenant'")
  [ "$n" -ge 1 ] && break
  sleep 0.2
done
[ "$n" = 1 ] || fail "certificate row of the tenant holds $n requests"
[ "$(q "SELECT SUM(requests) || '/' || SUM(normal) FROM availability_minutes WHERE tenant_id = 'svc:signing:$tenant'")" = 1/1 ] \
  || fail "signing row of the tenant: $(q "SELECT * FROM availability_minutes WHERE tenant_id LIKE 'svc:%'")"

# ---- ten tenants, a synthetic January 2025 -----------------------------------------
tenants=("$tenant")
for k in 1 2 3 4 5 6 7 8 9; do tenants+=("$("${adm[@]}" tenant create --name "tenant $k" | jq -r .tenant_id)"); done
from=$(( $(date -u -d 2025-01-01 +%s) - 8 * 3600 ))
{
  echo "BEGIN IMMEDIATE;"
  # (judged from the service activation date, docs/sla.md: all active before January)
  echo "UPDATE tenants SET created_at = $from - 86400, production_active_from = $from - 86400;"
  # The probe every minute, failed in minutes 400-404.
  echo "WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < 44639)
        INSERT INTO availability_minutes (tenant_id, minute, probes_ok, probes_failed)
        SELECT '', $from + i * 60, CASE WHEN i BETWEEN 400 AND 404 THEN 0 ELSE 1 END,
               CASE WHEN i BETWEEN 400 AND 404 THEN 1 ELSE 0 END FROM m;"
  for k in $(seq 0 9); do
    t=${tenants[$k]}
    for i in $(seq 100 109); do  # signing: t0 got 1,000 failures, the nine others normal answers
      if [ "$k" = 0 ]; then r=1000; n=0; else r=1; n=1; fi
      echo "INSERT INTO availability_minutes (tenant_id, minute, requests, normal) VALUES ('svc:signing:$t', $from + $i * 60, $r, $n);"
    done
    for i in $(seq 200 219); do  # signing: t0 and t1 failed
      if [ "$k" -le 1 ]; then n=0; else n=1; fi
      echo "INSERT INTO availability_minutes (tenant_id, minute, requests, normal) VALUES ('svc:signing:$t', $from + $i * 60, 1, $n);"
    done
    if [ "$k" -le 2 ]; then
      for i in $(seq 300 309); do  # certificate: t0, t1, t2 active, all failed
        echo "INSERT INTO availability_minutes (tenant_id, minute, requests, normal) VALUES ('svc:certificate:$t', $from + $i * 60, 2, 0);"
      done
    fi
  done
  echo "COMMIT;"
} | q

report() { "${adm[@]}" sla report --month 2025-01 --format json; }
r=$(report)
# Minutes 100-109: 9 of 1,009 requests normal, but 9 tenants + the probe of 11 participants: available.
# Signing: 200-219 (8 + probe of 11) and 400-404 (probe); certificate: 300-309 and 400-404.
[ "$(jq -r .overall.signing_unavailable_minutes <<<"$r")" = 25 ] || fail "signing minutes: $(jq .overall <<<"$r")"
[ "$(jq -r .overall.certificate_unavailable_minutes <<<"$r")" = 15 ] || fail "certificate minutes: $(jq .overall <<<"$r")"
[ "$(jq -r .overall.unavailable_minutes <<<"$r")" = 40 ] || fail "summed minutes"
[ "$(jq -r .overall.longest_outage_minutes <<<"$r")" = 20 ] || fail "longest outage"
[ "$(jq -r .overall.available_minutes <<<"$r")" = $((44640 - 40)) ] || fail "available minutes"
[ "$(jq -r '.tenants | length' <<<"$r")" = 10 ] || fail "tenants in the report"
[ "$(jq -r '.incidents | length' <<<"$r")" = 0 ] || fail "incidents before any"

# ---- incidents -----------------------------------------------------------------------
if out=$("${adm[@]}" incident add --services both --cause customer_side --description "no tenant" \
           --started-at $((from + 200 * 60)) 2>&1); then fail "customer_side without a tenant accepted"; fi
grep -q "HTTP 400" <<<"$out" || fail "customer_side without tenant: $out"
if out=$("${adm[@]}" incident add --services both --cause service --description "future" \
           --started-at $(( $(date +%s) + 86400 )) 2>&1); then fail "a future incident accepted"; fi
grep -q "HTTP 400" <<<"$out" || fail "future incident: $out"

# A cloud provider's outage of the certificate service, minutes 300-309: excluded for everyone.
tp=$("${adm[@]}" incident add --services certificate --cause third_party --description "cloud provider network outage" \
       --started-at $((from + 300 * 60)) --response-started-at $((from + 305 * 60)))
tp_id=$(jq -r .incident_id <<<"$tp")
[ "$(jq -r .excluded <<<"$tp")" = false ] || fail "an open incident is excluded: $tp"
[ "$(jq -r .promises.response.met <<<"$tp")" = true ] || fail "response in 5 minutes: $tp"
[ "$(jq -r .promises.resolution.met <<<"$tp")" = false ] || fail "unresolved long after 2 h is late: $tp"
[ "$(jq -r .overall.certificate_unavailable_minutes <<<"$(report)")" = 15 ] || fail "an open incident excluded minutes"
up=$("${adm[@]}" incident update "$tp_id" --resolved-at $((from + 310 * 60)))
[ "$(jq -r .excluded <<<"$up")" = true ] || fail "resolved third-party incident not excluded: $up"
[ "$(jq -r .promises.resolution.met <<<"$up")" = true ] || fail "fixed in 10 minutes: $up"
[ "$(jq -r .created_by <<<"$up")" = bootstrap ] || fail "created_by (the admin token's operator): $up"
r=$(report)
[ "$(jq -r .overall.certificate_unavailable_minutes <<<"$r")" = 5 ] || fail "third party not excluded: $(jq .overall <<<"$r")"
[ "$(jq -r .overall.unavailable_minutes <<<"$r")" = 30 ] || fail "after the third party: $(jq .overall <<<"$r")"

# Tenant 1's own network, minutes 200-219: tenant 1 is no participant then (8 of 9 tenants
# + the probe: 90 %, available), and its own report leaves those minutes out.
t1=${tenants[1]}
cs=$("${adm[@]}" incident add --tenant "$t1" --services both --cause customer_side \
       --description "customer's gateway lost its uplink" --started-at $((from + 200 * 60)) \
       --response-started-at $((from + 203 * 60)) --resolved-at $((from + 220 * 60)))
cs_id=$(jq -r .incident_id <<<"$cs")
[ "$(jq -r .tenant_id <<<"$cs")" = "$t1" ] && [ "$(jq -r .excluded <<<"$cs")" = true ] || fail "customer side: $cs"
# The provider's own fault, minutes 400-404: counted; answered late, fixed and switched in time.
sv=$("${adm[@]}" incident add --services both --cause service --description "database failover" \
       --started-at $((from + 400 * 60)) --response-started-at $((from + 420 * 60)) \
       --dr-switched-at $((from + 425 * 60)) --resolved-at $((from + 430 * 60)))
[ "$(jq -r .excluded <<<"$sv")" = false ] || fail "own fault excluded: $sv"
[ "$(jq -r .promises.response.met <<<"$sv")" = false ] || fail "response after 20 minutes is late: $sv"
[ "$(jq -r .promises.response.took_seconds <<<"$sv")" = 1200 ] || fail "response time: $sv"
[ "$(jq -r .promises.resolution.met <<<"$sv")" = true ] || fail "resolution: $sv"
[ "$(jq -r .promises.dr_switch.met <<<"$sv")" = true ] || fail "DR switch: $sv"

r=$(report)
[ "$(jq -r .overall.signing_unavailable_minutes <<<"$r")" = 5 ] || fail "customer side not excluded: $(jq .overall <<<"$r")"
[ "$(jq -r .overall.unavailable_minutes <<<"$r")" = 10 ] || fail "summed after the exclusions"
[ "$(jq -r .overall.longest_outage_minutes <<<"$r")" = 5 ] || fail "longest outage after the exclusions"
[ "$(jq -r '.incidents | length' <<<"$r")" = 3 ] || fail "incidents in the report: $(jq .incidents <<<"$r")"
[ "$(jq -r --arg t "$t1" '.tenants[] | select(.tenant_id == $t) | .excluded_minutes' <<<"$r")" = 20 ] \
  || fail "tenant 1's own exclusion: $(jq --arg t "$t1" '.tenants[] | select(.tenant_id == $t)' <<<"$r")"
[ "$(jq -r --arg t "${tenants[2]}" '.tenants[] | select(.tenant_id == $t) | .excluded_minutes' <<<"$r")" = 0 ] \
  || fail "tenant 2 has no exclusion of its own"
text=$("${adm[@]}" sla report --month 2025-01 --format text)
grep -q "unavailable minutes: signing 5, certificate 5" <<<"$text" || fail "text report: $text"
grep -q "^$tp_id .*third_party .*certificate .*excluded .*response 5 min ok .*fixed 10 min ok" <<<"$text" \
  || fail "text report incident: $text"
grep -q "service .*counted .*response 20 min LATE .*fixed 30 min ok *DR 25 min ok" <<<"$text" \
  || fail "text report own fault: $text"

# Another operator's stale change loses nothing: the update is conditional (409 is for a
# writer that lost a race; here the plain update path and a clear with "none").
c=$("${adm[@]}" incident update "$cs_id" --response-started-at none)
[ "$(jq -r .response_started_at <<<"$c")" = null ] || fail "clear a time: $c"
[ "$(jq -r '.incidents | length' <<<"$("${adm[@]}" incident list --from 0 --tenant "${tenants[2]}")")" = 2 ] \
  || fail "incident list for tenant 2"
[ "$(jq -r .incident_id <<<"$("${adm[@]}" incident get "$tp_id")")" = "$tp_id" ] || fail "incident get"

# Audited: every create and change.
n=$(q "SELECT COUNT(*) FROM audit_events WHERE action LIKE '%/admin/v1/incidents%' AND outcome = 'ok'")
[ "$n" -ge 5 ] || fail "audit events of incident changes: $n ($(q "SELECT action, outcome FROM audit_events ORDER BY seq DESC LIMIT 8"))"

# The tenant's view: every tenant's incidents and its own, never another tenant's.
mine=$(signed_get "$app" "$dir/secret" "/api/v1/incidents?from=0")
[ "$(jq -r '.incidents | length' <<<"$mine")" = 2 ] || fail "tenant 0 sees: $mine"
jq -e --arg t "$t1" 'all(.incidents[]; .tenant_id != $t and (has("created_by") | not))' <<<"$mine" >/dev/null \
  || fail "tenant 0 sees tenant 1's incident or operator names: $mine"

# ---- a fault drill announced a month ahead is excluded --------------------------------
start=$(( $(date +%s) + 30 * 86400 ))
w=$("${adm[@]}" sla maintenance add --kind fault_drill --starts-at "$start" --ends-at $((start + 3600)) \
      --description "DR switch drill")
[ "$(jq -r .kind <<<"$w")" = fault_drill ] && [ "$(jq -r .excluded <<<"$w")" = true ] || fail "fault drill: $w"
echo "sla_availability_test: OK"
