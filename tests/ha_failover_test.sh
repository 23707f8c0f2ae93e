#!/usr/bin/env bash
# Failover test (issue 6 §3, ctest label `ha`): PostgreSQL, two duetd nodes and
# HAProxy on loopback; `duet bench` (production credentials, a per-signature
# package, a callback on every order) runs through HAProxy; node A is killed with
# SIGKILL in the middle of the run. Then, through HAProxy (node B only):
#   - every order reaches a final state: open ones are signed with the bench's kept
#     device states (any node serves any step), and every signature verifies with openssl;
#   - metering equals the number of signed orders exactly (package `used`, usage records);
#   - no callback is lost or recorded twice as delivered: every final order has
#     exactly one delivered callback job and the webhook sink saw every one of them;
#   - the availability accounting records the event: node A's probes stop at the kill
#     while node B's go on, and the per-minute request counts of the run are there.
# Usage: ha_failover_test.sh DUET DUETD   (env DUET_TEST_PG_DSN: a PostgreSQL server,
# as scripts/test and .ci/run provide with scripts/pg-test-server)
set -euo pipefail
duet=$1
duetd=$2
[ -n "${DUET_TEST_PG_DSN:-}" ] || { echo "ha_failover_test: DUET_TEST_PG_DSN is not set (scripts/pg-test-server start DIR)" >&2; exit 1; }
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
for tool in jq openssl xxd psql "$haproxy"; do
  command -v "$tool" >/dev/null || { echo "ha_failover_test: needs $tool" >&2; exit 1; }
done

dir=$(mktemp -d)
pids=()
db="ha_$(date +%s)_$$"
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  psql "$DUET_TEST_PG_DSN" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then echo "left $dir"; else rm -rf "$dir" || true; fi
}
trap cleanup EXIT
fail() {
  echo "ha_failover_test: FAIL: $*" >&2
  for f in a.log b.log haproxy.log bench.log; do echo "--- $f (tail)" >&2; tail -n 15 "$dir/$f" >&2 2>/dev/null || true; done
  exit 1
}
# HAProxy needs a port named in its configuration: one below the kernel's ephemeral
# range (32768 up on Debian), so no outgoing connection of a parallel test takes it
# between the probe and the bind; start_haproxy tries another if the bind fails.
free_port() {
  local p=$(( 20000 + RANDOM % 12000 ))
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

psql "$DUET_TEST_PG_DSN" -qc "CREATE DATABASE $db" || fail "create database"
# The same server, the test's own database.
dsn=$(sed -E "s/dbname=[^ ]*//" <<<"$DUET_TEST_PG_DSN")" dbname=$db"
sql() { psql "$dsn" -Atqc "$1"; }

# ---- webhook sink, two nodes, HAProxy -------------------------------------------------
"$duet" webhook-sink --out "$dir/hooks.jsonl" --port-file "$dir/sink.port" >"$dir/sink.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do [ -s "$dir/sink.port" ] && break; sleep 0.1; done
[ -s "$dir/sink.port" ] || fail "webhook sink did not start"
hook_url="http://127.0.0.1:$(cat "$dir/sink.port")/hooks"

# Each node listens on a port the kernel picks and writes it to <data dir>/duetd.port
# once it serves; node_port reads it back.
start_node() {  # NAME
  local name=$1
  DUET_STORE_BACKEND=postgres DUET_PG_DSN="$dsn" DUET_TLS_DEV_DIR="$dir/a/tls" DUET_NODE_ID="node-$name" \
    "$duetd" --data-dir "$dir/$name" --listen "127.0.0.1:0" --dev >>"$dir/$name.log" 2>&1 &
  local pid=$! port
  for _ in $(seq 1 600); do
    if [ -s "$dir/$name/duetd.port" ]; then
      port=$(node_port "$name")
      if curl -fsk "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then echo "$pid"; return 0; fi
    fi
    kill -0 "$pid" 2>/dev/null || fail "node $name exited at start"
    sleep 0.1
  done
  fail "node $name not ready"
}
node_port() { local p; p=$(tr -dc '0-9:' <"$dir/$1/duetd.port"); echo "${p##*:}"; }
# (start_node runs in a subshell: the caller records the pid it prints.)
pid_a=$(start_node a); pids+=("$pid_a"); port_a=$(node_port a)
# Node B shares the store, the KEK (here the --dev key files) and the wrapped data keys.
mkdir -p "$dir/b" && chmod 700 "$dir/b"
for f in datakeys.wrapped kek.key kek-dev.key; do [ -f "$dir/a/$f" ] && cp -p "$dir/a/$f" "$dir/b/$f"; done
pid_b=$(start_node b); pids+=("$pid_b"); port_b=$(node_port b)
ca=$dir/a/tls/dev-cert.pem

start_haproxy() {  # writes the configuration for port_lb and starts HAProxy; 1 if it exits
port_lb=$(free_port)
cat >"$dir/haproxy.cfg" <<CFG
global
    maxconn 1024
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option redispatch
    retries 2
frontend duet
    bind 127.0.0.1:$port_lb
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    default-server check check-ssl verify none inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
    server a 127.0.0.1:$port_a
    server b 127.0.0.1:$port_b
CFG
"$haproxy" -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
haproxy_pid=$!
url="https://127.0.0.1:$port_lb"
for _ in $(seq 1 300); do
  kill -0 "$haproxy_pid" 2>/dev/null || return 1
  curl -fsk "$url/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
}
for attempt in 1 2 3 4 5; do
  if start_haproxy; then pids+=("$haproxy_pid"); break; fi
  wait "$haproxy_pid" 2>/dev/null || true
  echo "HAProxy did not start on :$port_lb (attempt $attempt): $(tail -n 2 "$dir/haproxy.log" | tr '\n' ' ')"
done
curl -fsk "$url/readyz" >/dev/null || fail "HAProxy does not pass requests"
echo "PostgreSQL database $db; node A pid $pid_a :$port_a, node B pid $pid_b :$port_b; HAProxy :$port_lb"

# ---- load through HAProxy, node A killed in the middle ----------------------------------
keep=$dir/holders
"$duet" bench --server "$url" --ca "$ca" --admin-token-file "$dir/a/admin.token" \
  --package 10000 --callback-url "$hook_url" \
  --holders 8 --duration 24 --floor-seconds 0 --give-up-after 15 --timeout-ms 20000 \
  --keep-holders "$keep" --json "$dir/bench.json" >"$dir/bench.log" 2>&1 &
bench_pid=$!
bench_start=$(date +%s)
for _ in $(seq 1 1200); do
  grep -q "^setup:" "$dir/bench.log" && break
  kill -0 "$bench_pid" 2>/dev/null || fail "the bench ended during setup"
  sleep 0.1
done
grep -q "^setup:" "$dir/bench.log" || fail "bench setup did not finish"
sleep 8
kill -9 "$pid_a"
kill_time=$(date +%s)
wait "$pid_a" 2>/dev/null || true
# Out of the cleanup list: its number may be reused by another process before then.
alive=(); for p in "${pids[@]}"; do [ "$p" = "$pid_a" ] || alive+=("$p"); done; pids=("${alive[@]}")
echo "killed node A (SIGKILL) at $(date -u +%H:%M:%S), $(grep -c '"event":"signed"' "$keep/orders.jsonl" || true) orders signed so far"
set +e
wait "$bench_pid"
bench_status=$?
set -e
bench_end=$(date +%s)
echo "bench exit status $bench_status"
grep -q "==== duet bench" "$dir/bench.log" || fail "the bench printed no report"
[ "$bench_status" -le 4 ] || fail "bench crashed ($bench_status)"
jq -e '.cosignatures > 0' "$dir/bench.json" >/dev/null || fail "no co-signatures"
echo "bench: $(jq -r '"\(.cosignatures) co-signatures, \(.transport_errors) transport errors"' "$dir/bench.json")"

# ---- every order final ---------------------------------------------------------------------
api=("$duet" api --profile "$keep/profile.json" --server "$url" --ca "$ca")
tenant=$(jq -r .tenant_id "$keep/profile.json")
list_orders() {  # FILE
  : >"$1"
  local cursor="" page
  while :; do
    if [ -n "$cursor" ]; then page=$("${api[@]}" order list --limit 200 --cursor "$cursor");
    else page=$("${api[@]}" order list --limit 200); fi
    jq -c '.orders[]' <<<"$page" >>"$1"
    cursor=$(jq -r '.next_cursor // empty' <<<"$page")
    [ -n "$cursor" ] || break
  done
}
list_orders "$dir/orders.json"
pin=$(jq -r .pin "$keep/holders.json")
for id in $(jq -r 'select(.state=="pending" or .state=="signing") | .order_id' "$dir/orders.json"); do
  holder=$(jq -r --arg id "$id" 'select(.order_id==$id) | .holder_id' "$dir/orders.json")
  state_file=$(jq -r --arg h "$holder" '.holders[] | select(.holder_id==$h) | .state_file' "$keep/holders.json")
  "$duet" holder --server "$url" --ca "$ca" --state "$state_file" sign "$id" --pin "$pin" >"$dir/sign.log" 2>&1 ||
    fail "signing open order $id after the failover: $(cat "$dir/sign.log")"
done
list_orders "$dir/final.json"
total=$(wc -l <"$dir/final.json")
bad=$(jq -r 'select(.state=="pending" or .state=="signing") | .order_id' "$dir/final.json")
[ -z "$bad" ] || fail "orders not final: $bad"
signed=$(jq -r 'select(.state=="signed") | .order_id' "$dir/final.json" | wc -l)
echo "orders: $total, final states: $(jq -r .state "$dir/final.json" | sort | uniq -c | tr '\n' ' ')"
[ "$signed" -ge 10 ] || fail "too few signed orders to mean anything ($signed)"

# Every signature verifies with openssl (data from the bench's log, or from the holder app).
declare -A data pubs
while IFS=$'\t' read -r id b64; do data[$id]=$b64; done \
  < <(jq -r 'select(.event=="created") | [.order_id, .data_base64] | @tsv' "$keep/orders.jsonl")
n_verified=0
while IFS=$'\t' read -r id holder sig; do
  if [ -z "${pubs[$holder]:-}" ]; then
    { printf '3059301306072a8648ce3d020106082a811ccf5501822d034200'; "${api[@]}" holder get "$holder" | jq -j .public_key; } |
      xxd -r -p >"$dir/pub-$holder.der"
    openssl pkey -pubin -inform DER -in "$dir/pub-$holder.der" -out "$dir/pub-$holder.pem" 2>/dev/null
    pubs[$holder]=$dir/pub-$holder.pem
  fi
  if [ -z "${data[$id]:-}" ]; then
    state_file=$(jq -r --arg h "$holder" '.holders[] | select(.holder_id==$h) | .state_file' "$keep/holders.json")
    data[$id]=$("$duet" holder --server "$url" --ca "$ca" --state "$state_file" show "$id" | jq -r '.items[0].data_base64')
  fi
  printf '%s' "${data[$id]}" | base64 -d >"$dir/msg"
  printf '%s' "$sig" | xxd -r -p >"$dir/sig.der"
  openssl dgst -sm3 -verify "${pubs[$holder]}" -sigopt distid:1234567812345678 -signature "$dir/sig.der" "$dir/msg" 2>&1 |
    grep -qx "Verified OK" || fail "signature of $id does not verify"
  n_verified=$((n_verified + 1))
done < <(jq -r 'select(.state=="signed") | [.order_id, .holder_id, .items[0].signature] | @tsv' "$dir/final.json")
echo "verified $n_verified signatures with openssl"
[ "$n_verified" -eq "$signed" ] || fail "verified $n_verified signatures of $signed signed orders"

# ---- metering equals the signed orders ----------------------------------------------------
used=$("$duet" admin --server "$url" --ca "$ca" --token-file "$dir/a/admin.token" package list --tenant "$tenant" |
  jq '[.packages[].used] | add')
records=$(sql "SELECT count(*) FROM usage_records WHERE tenant_id = '$tenant'")
echo "metering: package used $used, usage records $records, signed orders $signed"
[ "$used" -eq "$signed" ] || fail "package used ($used) != signed orders ($signed)"
[ "$records" -eq "$signed" ] || fail "usage records ($records) != signed orders ($signed)"

# ---- callbacks: each final order's job delivered once, none lost ----------------------------
for _ in $(seq 1 120); do
  open_jobs=$(sql "SELECT count(*) FROM callback_jobs WHERE tenant_id = '$tenant' AND delivered_at IS NULL")
  [ "$open_jobs" -eq 0 ] && break
  sleep 0.5
done
[ "$open_jobs" -eq 0 ] || fail "$open_jobs callback jobs still undelivered after 60 s"
dup=$(sql "SELECT count(*) FROM (SELECT order_id FROM callback_jobs WHERE tenant_id = '$tenant' AND delivered_at IS NOT NULL GROUP BY order_id HAVING count(*) > 1) d")
[ "$dup" -eq 0 ] || fail "$dup orders have more than one delivered callback job"
jobs=$(sql "SELECT count(*) FROM callback_jobs WHERE tenant_id = '$tenant' AND delivered_at IS NOT NULL")
final_with_cb=$(jq -r 'select(.state!="pending" and .state!="signing") | .order_id' "$dir/final.json" | sort -u | wc -l)
[ "$jobs" -eq "$final_with_cb" ] || fail "delivered jobs ($jobs) != final orders ($final_with_cb)"
jq -r '.body.order_id // empty' "$dir/hooks.jsonl" | sort -u >"$dir/hooked"
jq -r 'select(.state!="pending" and .state!="signing") | .order_id' "$dir/final.json" | sort -u >"$dir/final_ids"
missing=$(comm -23 "$dir/final_ids" "$dir/hooked" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing final orders never reached the webhook sink"
echo "callbacks: $jobs jobs delivered once each; the sink saw all $final_with_cb final orders ($(wc -l <"$dir/hooks.jsonl") deliveries)"

# ---- availability accounting ------------------------------------------------------------------
# Each node adds its counts to the service row and to its own row "node:<id>" every
# few seconds. Node A's rows end at the kill (what it had not flushed died with it,
# from both rows alike); node B's go on after it; every minute of the run stayed
# available for the service (>= 90 % normal answers: node B carried the load).
sleep 6  # node B's last flush
kill_minute=$(( kill_time / 60 * 60 ))
# One statement, one snapshot: a flush of node B (one transaction for both of its rows)
# is either wholly in it or not at all.
IFS='|' read -r svc na nb a_last b_last < <(sql "SELECT
  coalesce(sum(requests) FILTER (WHERE tenant_id = ''), 0),
  coalesce(sum(requests) FILTER (WHERE tenant_id = 'node:node-a'), 0),
  coalesce(sum(requests) FILTER (WHERE tenant_id = 'node:node-b'), 0),
  coalesce(max(minute) FILTER (WHERE tenant_id = 'node:node-a'), 0),
  coalesce(max(minute) FILTER (WHERE tenant_id = 'node:node-b'), 0)
  FROM availability_minutes")
echo "availability: service $svc requests = node A $na + node B $nb; node A's last minute $a_last, node B's $b_last, kill in $kill_minute"
[ "$svc" -gt 0 ] && [ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "per-node request counts missing"
[ "$svc" -eq $((na + nb)) ] || fail "service row ($svc) != node A + node B ($na + $nb)"
[ "$a_last" -le "$kill_minute" ] || fail "node A has counts after it was killed"
[ "$b_last" -ge "$kill_minute" ] || fail "node B has no counts from the kill on"
# Judged over the bench's minutes: outside them a minute holds only a few of this
# script's own calls, where one slow answer on a loaded machine would decide it.
bad_minutes=$(sql "SELECT count(*) FROM availability_minutes WHERE tenant_id = '' AND requests > 0
  AND minute >= $(( bench_start / 60 * 60 )) AND minute <= $bench_end AND normal * 10 < requests * 9")
[ "$bad_minutes" -eq 0 ] || fail "$bad_minutes minutes under 90 % normal answers: the failover cost availability"
echo "ha_failover_test: OK"
