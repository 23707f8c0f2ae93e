#!/usr/bin/env bash
# `duet bench --json` carries every figure of issue 15 with sane values, and the
# open-loop mode keeps its schedule (docs/performance.md, `duet bench` reference):
#   1. closed loop, SQLite: the crypto floor from N batches (min <= median <=
#      max, N as asked), the transport floor, and the two ratios, recomputed
#      here from the raw figures;
#   2. open loop (--rate): the flows offered are the schedule's (rate x
#      duration), the achieved rate is near the offered one, and each flow's
#      time from when it was due is at least its create request's.
#   3. with DUET_TEST_PG_DSN (label pg: bench_figures_pg): the same load a second time on
#      PostgreSQL in one invocation, the server's CPU counted, and the ratio
#      (duetd + PostgreSQL) / duetd-on-SQLite recomputed.
# Usage: bench_figures_test.sh DUET DUETD [pg]
set -euo pipefail
duet=$1
duetd=$2
mode=${3:-sqlite}
command -v jq >/dev/null || { echo "bench_figures_test: needs jq" >&2; exit 1; }
dir=$(mktemp -d)
db=""
cleanup() {
  [ -n "$db" ] && psql "$DUET_TEST_PG_DSN" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "bench_figures_test: FAIL: $*" >&2; tail -n 40 "$dir"/*.log >&2 || true; exit 1; }
# jq -e with the file; fails the test with the expression shown.
check() { jq -e "$2" "$1" >/dev/null || fail "$1: $2 ($(jq -c "$3" "$1" 2>/dev/null))"; }

if [ "$mode" = sqlite ]; then
  # 1. Closed loop.
  "$duet" bench --spawn --duetd "$duetd" --holders 4 --duration 3 --floor-seconds 1 --floor-repetitions 5 \
    --transport-floor-seconds 1 --json "$dir/closed.json" >"$dir/closed.log" 2>&1 || fail "closed-loop bench exit $?"
  f=$dir/closed.json
  check "$f" '.mode == "closed" and .backend == "sqlite" and .cosignatures > 0 and .http_errors == 0' '{mode,backend,cosignatures,errors}'
  check "$f" '.crypto_floor_repetitions == 5 and .crypto_floor_us_min > 0
              and .crypto_floor_us_min <= .crypto_floor_us_median and .crypto_floor_us_median <= .crypto_floor_us_max
              and .crypto_floor_us_per_cosignature == .crypto_floor_us_median
              and .crypto_floor_us_median > 20 and .crypto_floor_us_median < 20000' '{crypto_floor_us_min,crypto_floor_us_median,crypto_floor_us_max}'
  check "$f" '.transport_floor_us_per_request > 0 and .transport_floor_requests > 0
              and (.transport_floor_us_per_cosignature - 4 * .transport_floor_us_per_request | fabs) < 1e-6' '{transport_floor_us_per_request,transport_floor_us_per_cosignature}'
  # duetd does the crypto of each co-signature itself, plus four requests: its CPU is above the floors.
  check "$f" '.duetd_cpu_us_per_cosignature > .crypto_floor_us_median' '{duetd_cpu_us_per_cosignature,crypto_floor_us_median}'
  check "$f" '(.ratio_duetd_cpu_to_both_floors - .duetd_cpu_us_per_cosignature
                / (.crypto_floor_us_median + .transport_floor_us_per_cosignature) | fabs) < 1e-9' '{ratio_duetd_cpu_to_both_floors}'
  check "$f" '(.ratio_duetd_cpu_beyond_floors_to_transport_floor - (.duetd_cpu_us_per_cosignature
                - .crypto_floor_us_median - .transport_floor_us_per_cosignature) / .transport_floor_us_per_cosignature | fabs) < 1e-9
              and .ratio_duetd_cpu_beyond_floors_to_transport_floor_target == 3' '{ratio_duetd_cpu_beyond_floors_to_transport_floor}'
  grep -q "ratio duetd CPU beyond its two floors / transport floor" "$dir/closed.log" || fail "the report prints no overhead ratio"

  # 2. Open loop, 20 flows/s for 3 s: 60 flows due; a light load on any machine.
  "$duet" bench --spawn --duetd "$duetd" --holders 4 --rate 20 --duration 3 --floor-seconds 0 \
    --transport-floor-seconds 0 --json "$dir/open.json" >"$dir/open.log" 2>&1 || fail "open-loop bench exit $?"
  f=$dir/open.json
  check "$f" '.mode == "open" and .offered_rate_per_s == 20 and .offered_flows == 60 and .http_errors == 0' '{mode,offered_flows,errors}'
  check "$f" '.flows + .not_started == 60 and .flows >= 54 and .cosignatures == .flows' '{flows,not_started,cosignatures}'
  # Paced by the schedule, not by the answers: never faster than offered (a
  # closed loop of 4 holders runs at well over 20/s), and not far below.
  check "$f" '.achieved_rate_per_s <= 20.5 and .achieved_rate_per_s >= 10' '{achieved_rate_per_s,duration_s}'
  check "$f" '.flow_latency_from_due.n == .cosignatures and .flow_latency_from_due.max_ms >= .latency.create.max_ms
              and .flow_latency_from_due.p50_ms >= .latency.create.p50_ms' '{flow_latency_from_due,create:.latency.create}'
  grep -q "flow (from due)" "$dir/open.log" || fail "the report prints no flow latency"
  echo "bench_figures_test: OK (sqlite: closed $(jq -c '{ratio_duetd_cpu_to_both_floors,ratio_duetd_cpu_beyond_floors_to_transport_floor}' "$dir/closed.json"), open $(jq -c '{achieved_rate_per_s,late_starts}' "$dir/open.json"))"
  exit 0
fi

# 3. PostgreSQL, in the same invocation as SQLite.
[ -n "${DUET_TEST_PG_DSN:-}" ] || fail "DUET_TEST_PG_DSN is not set (scripts/test starts a server)"
command -v psql >/dev/null || fail "needs psql"
db="duet_bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
psql "$DUET_TEST_PG_DSN" -qAt -c "CREATE DATABASE $db" >/dev/null || fail "cannot create database $db"
datadir=$(psql "$DUET_TEST_PG_DSN" -qAt -c "SHOW data_directory")
pgpid=$(head -n 1 "$datadir/postmaster.pid") || fail "cannot read $datadir/postmaster.pid"
"$duet" bench --spawn --duetd "$duetd" --holders 4 --duration 3 --floor-seconds 0.5 --transport-floor-seconds 0.5 \
  --postgres-dsn "$DUET_TEST_PG_DSN dbname=$db" --postgres-pid "$pgpid" --json "$dir/pg.json" >"$dir/pg.log" 2>&1 ||
  fail "bench with --postgres-dsn exit $?"
f=$dir/pg.json
check "$f" '.backend == "sqlite" and .cosignatures > 0 and .postgres.backend == "postgres" and .postgres.cosignatures > 0
            and .postgres.http_errors == 0' '{backend,cosignatures,pg:.postgres.cosignatures}'
check "$f" '(.postgres_cpu_us_per_cosignature // null) == null and .postgres.postgres_cpu_us_per_cosignature > 0' '{pg_cpu:.postgres.postgres_cpu_us_per_cosignature}'
check "$f" '(.ratio_postgres_total_cpu_to_sqlite_duetd_cpu - (.postgres.duetd_cpu_us_per_cosignature
              + .postgres.postgres_cpu_us_per_cosignature) / .duetd_cpu_us_per_cosignature | fabs) < 1e-9
            and .ratio_postgres_total_cpu_to_sqlite_duetd_cpu > 0.3' '{ratio_postgres_total_cpu_to_sqlite_duetd_cpu}'
# The orders went to PostgreSQL, not to a SQLite file.
n=$(psql "$DUET_TEST_PG_DSN dbname=$db" -qAt -c "SELECT count(*) FROM sign_orders")
[ "$n" -ge "$(jq .postgres.cosignatures "$f")" ] || fail "PostgreSQL holds $n orders"
echo "bench_figures_test: OK (pg: $(jq -c '{ratio_postgres_total_cpu_to_sqlite_duetd_cpu}' "$f"))"
