#!/usr/bin/env bash
# The alert rules an operator loads into Prometheus (deploy/prometheus,
# docs/operations.md §6): promtool checks them and runs their unit tests, and
# every duet_* series they name is one a real duetd exports on /metrics (a rule
# over a series nobody exports never fires, and promtool cannot tell).
# Usage: prometheus_rules_test.sh DUETD
set -euo pipefail
duetd=$1
root=$(cd "$(dirname "$0")/.." && pwd)
rules=$root/deploy/prometheus
dir=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; rm -rf "$dir" || true; }
trap cleanup EXIT
fail() { echo "prometheus_rules_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus, scripts/packages.txt)"
promtool check rules "$rules/duet-alerts.yml" || fail "promtool check rules"
(cd "$rules" && promtool test rules duet-alerts_test.yml) || fail "promtool test rules"

data=$dir/data
"$duetd" --dev --data-dir "$data" --listen 127.0.0.1:0 >"$dir/duetd.out" 2>"$dir/duetd.log" &
pid=$!
for _ in $(seq 1 600); do
  [[ -s "$data/duetd.port" ]] && break
  kill -0 "$pid" 2>/dev/null || fail "duetd exited at start"
  sleep 0.1
done
port=$(tr -dc '0-9' <"$data/duetd.port")
url="https://127.0.0.1:$port"
ca="$data/tls/dev-cert.pem"
for _ in $(seq 1 160); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$url/readyz")" == 200 ]] && break
  sleep 0.25
done
# One business-shaped request, so that the per-route series exist.
curl -s -o /dev/null --cacert "$ca" "$url/api/v1/orders" || true
curl -sf --cacert "$ca" "$url/metrics" >"$dir/metrics" || fail "GET /metrics"

exported=$(grep -v '^#' "$dir/metrics" | grep -o '^duet_[a-z0-9_]*' | sort -u)
named=$(grep -v '^ *#' "$rules/duet-alerts.yml" | grep -o 'duet_[a-z0-9_]*' | sort -u)
[[ -n "$named" ]] || fail "the rules name no duet_* series"
missing=0
for m in $named; do
  if ! grep -qx "$m" <<<"$exported"; then
    echo "prometheus_rules_test: the rules use $m, which duetd does not export" >&2
    missing=1
  fi
done
((missing == 0)) || fail "rules over series duetd does not export"
# The readiness gauges say ready on a healthy node.
for g in duet_ready duet_kek_available duet_store_available; do
  grep -qx "$g 1" "$dir/metrics" || fail "$g is not 1 on a ready node: $(grep "^$g" "$dir/metrics" || echo absent)"
done
echo "prometheus_rules_test: OK ($(wc -w <<<"$named") series checked)"
