#!/usr/bin/env bash
# duet_store_seed (docs/performance.md "Cost as the store grows"): a small
# seeded SQLite store holds exactly the holders, keys, device tokens and signed
# orders asked for (counted by the sqlite3 CLI, not by duet code), passes
# PRAGMA integrity_check and the audit chain has one event per write; the
# report gives bytes per holder and per order; a duetd spawned on the seeded
# data directory serves a short `duet bench` with no error; and a store that
# would not fit the disk is refused before anything is written.
# Usage: store_seed_test.sh DUET_STORE_SEED DUET DUETD
set -euo pipefail
seed=$1
duet=$2
duetd=$3
for tool in jq sqlite3; do command -v "$tool" >/dev/null || { echo "store_seed_test: needs $tool" >&2; exit 1; }; done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "store_seed_test: FAIL: $*" >&2; tail -n 30 "$dir"/*.log >&2 || true; exit 1; }
q() { sqlite3 -cmd ".timeout 10000" "$dir/data/duet.db" "$1"; }

mkdir "$dir/data"
"$seed" --sqlite "$dir/data/duet.db" --holders 300 --orders 1200 --tenants 3 >"$dir/seed.log" 2>&1 || fail "seed exit $?"
[ "$(q "SELECT count(*) FROM tenants")" = 3 ] || fail "tenants"
[ "$(q "SELECT count(*) FROM holders")" = 300 ] || fail "holders: $(q "SELECT count(*) FROM holders")"
[ "$(q "SELECT count(*) FROM holder_keys")" = 300 ] || fail "holder keys"
[ "$(q "SELECT count(*) FROM device_tokens")" = 300 ] || fail "device tokens"
[ "$(q "SELECT count(*) FROM sign_orders WHERE state = 'signed'")" = 1200 ] || fail "signed orders: $(q "SELECT state, count(*) FROM sign_orders GROUP BY 1")"
[ "$(q "SELECT count(*) FROM sign_order_items WHERE length(input) = 256 AND length(signature) = 72")" = 1200 ] || fail "order items"
# Round robin: every holder has 4 orders.
[ "$(q "SELECT count(DISTINCT holder_id) FROM sign_orders")" = 300 ] || fail "orders not spread over the holders"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
# Audit events: holder create + activation (key, token) = 3, order create + sign start (2 writes) + finish + fetch = 5.
events=$(q "SELECT count(*) FROM audit_events")
[ "$events" -ge $((300 * 3 + 1200 * 5)) ] || fail "audit events: $events"
grep -Eq '^bytes per holder: [0-9]+$' "$dir/seed.log" || fail "no bytes per holder"
per_order=$(sed -n 's/^bytes per order: \([0-9]*\)$/\1/p' "$dir/seed.log")
# An order carries 256 bytes of data, a 72-byte signature and five audit events: above 1 KB, below 64 KB.
[ -n "$per_order" ] && [ "$per_order" -gt 1000 ] && [ "$per_order" -lt 65536 ] || fail "bytes per order: '$per_order'"

# duetd serves the seeded store.
"$duet" bench --spawn --duetd "$duetd" --data-dir "$dir/data" --holders 2 --duration 2 --floor-seconds 0 \
  --transport-floor-seconds 0 --json "$dir/bench.json" >"$dir/bench.log" 2>&1 || fail "bench on the seeded store exit $?"
jq -e '.cosignatures > 0 and .http_errors == 0 and .transport_errors == 0' "$dir/bench.json" >/dev/null || fail "bench figures"
[ "$(q "SELECT count(*) FROM holders")" -eq 302 ] || fail "the bench's holders are not in the seeded store"

# Refused before writing when the disk is too small for the estimate.
if "$seed" --sqlite "$dir/big.db" --holders 100000000 --orders 1000000000 >"$dir/big.log" 2>&1; then
  fail "a seed larger than the disk was not refused"
fi
grep -q "not enough free disk space" "$dir/big.log" || fail "no disk-space message"
[ ! -e "$dir/big.db" ] || fail "the refused seed created a database"
echo "store_seed_test: OK ($(grep -E '^bytes per' "$dir/seed.log" | tr '\n' ' '))"
