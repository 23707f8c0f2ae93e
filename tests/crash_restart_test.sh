#!/usr/bin/env bash
# Crash test: duetd killed with SIGKILL in the middle of a `duet bench` load,
# restarted on the same data directory, then checked through the Business API:
#   - the SQLite database passes PRAGMA integrity_check (after the crash and at the end);
#   - every order whose creation the bench saw acknowledged still exists, and every
#     order whose signature the bench saw acknowledged is still signed;
#   - every order is final (signed/rejected/cancelled/expired/failed) or still open
#     (pending/signing); every open one is signed now, end to end, with `duet holder`
#     and the bench's kept device state (one of them is cancelled instead, through
#     `duet api order cancel`);
#   - every signed order's signature verifies with the openssl command line over
#     the data the bench sent (DER output, SM2 with the default ID).
# The bench itself must survive the server vanishing: it prints its report and
# exits 4 (transport errors), not with a crash.
# Usage: crash_restart_test.sh DUET DUETD
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/flip_byte.sh"
duet=$1
duetd=$2
for tool in jq openssl sqlite3 xxd; do
  command -v "$tool" >/dev/null || { echo "crash_restart_test: needs $tool" >&2; exit 1; }
done

dir=$(mktemp -d)
data=$dir/data
keep=$dir/holders
pid=""
bench_pid=""
cleanup() {
  [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null || true
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ "${KEEP_CRASH_DIR:-0}" = 1 ]; then echo "left $dir"; else rm -rf "$dir" || true; fi
}
trap cleanup EXIT
fail() {
  echo "crash_restart_test: FAIL: $*" >&2
  echo "--- duetd log (tail) ---" >&2; tail -n 20 "$dir/duetd.log" >&2 || true
  echo "--- bench log (tail) ---" >&2; tail -n 30 "$dir/bench.log" >&2 || true
  exit 1
}

# Starts duetd on $data with an ephemeral port; sets pid, url, ca.
start_duetd() {
  rm -f "$data/duetd.port"
  "$duetd" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    [ -s "$data/duetd.port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "duetd exited at start"
    sleep 0.1
  done
  [ -s "$data/duetd.port" ] || fail "duetd wrote no port file"
  port=$(tr -dc '0-9:' <"$data/duetd.port"); port=${port##*:}
  url="https://127.0.0.1:$port"
  ca="$data/tls/dev-cert.pem"
  for _ in $(seq 1 600); do
    if "$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token" tenant list >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "duetd exited before serving"
    sleep 0.1
  done
  fail "duetd did not serve in time"
}

integrity() {
  local out
  out=$(sqlite3 "$data/duet.db" 'PRAGMA integrity_check')
  [ "$out" = ok ] || fail "integrity_check after $1: $out"
  echo "integrity_check after $1: ok"
}

# Acknowledged events of one kind in the bench's order log.
count() { local n; n=$(grep -c "\"event\":\"$1\"" "$keep/orders.jsonl" 2>/dev/null) || true; echo "${n:-0}"; }

# ---- 1. load, then SIGKILL ---------------------------------------------------------
start_duetd
echo "duetd pid $pid on $url"
"$duet" bench --server "$url" --ca "$ca" --admin-token-file "$data/admin.token" --duetd-pid "$pid" \
  --holders 12 --duration 60 --floor-seconds 0 --give-up-after 4 --timeout-ms 20000 \
  --keep-holders "$keep" --json "$dir/bench.json" >"$dir/bench.log" 2>&1 &
bench_pid=$!

# Wait for the load to start (setup done), then ~3 s of load, and at least a few signatures.
for _ in $(seq 1 1200); do
  grep -q "^setup:" "$dir/bench.log" && break
  kill -0 "$bench_pid" 2>/dev/null || fail "the bench ended during setup"
  sleep 0.1
done
grep -q "^setup:" "$dir/bench.log" || fail "bench setup did not finish in 120 s"
sleep 3
for _ in $(seq 1 300); do
  [ "$(count signed)" -ge 5 ] && break
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
echo "killed duetd (SIGKILL) with $(count created) orders created, $(count signed) signed by the bench"
pid=""

set +e
wait "$bench_pid"
bench_status=$?
set -e
bench_pid=""
echo "bench exit status $bench_status"
grep -q "==== duet bench" "$dir/bench.log" || fail "the bench printed no report"
[ "$bench_status" -eq 4 ] || fail "the bench should exit 4 (transport errors), got $bench_status"
jq -e '.transport_errors > 0 and .cosignatures > 0' "$dir/bench.json" >/dev/null || fail "bench.json figures"

integrity "the crash"

# ---- 2. restart on the same data dir --------------------------------------------------
start_duetd
echo "restarted duetd pid $pid on $url"
api=("$duet" api --profile "$keep/profile.json" --server "$url" --ca "$ca")

# All orders of the bench's tenant, every page (Business API: GET /api/v1/orders).
list_orders() {  # FILE
  : >"$1"
  local cursor="" page
  while :; do
    if [ -n "$cursor" ]; then
      page=$("${api[@]}" order list --limit 200 --cursor "$cursor")
    else
      page=$("${api[@]}" order list --limit 200)
    fi
    jq -c '.orders[]' <<<"$page" >>"$1"
    cursor=$(jq -r '.next_cursor // empty' <<<"$page")
    [ -n "$cursor" ] || break
  done
}
list_orders "$dir/orders.json"
total=$(wc -l <"$dir/orders.json")
echo "orders after restart: $total; by state: $(jq -r .state "$dir/orders.json" | sort | uniq -c | tr '\n' ' ')"

# Every acknowledged create exists; every acknowledged signature is still signed.
jq -r 'select(.event=="created") | .order_id' "$keep/orders.jsonl" | sort -u >"$dir/acked_created"
jq -r 'select(.event=="signed") | .order_id' "$keep/orders.jsonl" | sort -u >"$dir/acked_signed"
jq -r .order_id "$dir/orders.json" | sort -u >"$dir/present"
missing=$(comm -23 "$dir/acked_created" "$dir/present" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing acknowledged orders are gone after the crash"
jq -r 'select(.state=="signed") | .order_id' "$dir/orders.json" | sort -u >"$dir/signed_now"
lost=$(comm -23 "$dir/acked_signed" "$dir/signed_now" | wc -l)
[ "$lost" -eq 0 ] || fail "$lost acknowledged signatures are gone after the crash"
[ "$(wc -l <"$dir/acked_signed")" -ge 1 ] || fail "no order was signed before the crash: nothing tested"

# Every order is final or open.
bad=$(jq -r 'select(.state | IN("pending","signing","signed","rejected","cancelled","expired","failed") | not) | .order_id + " " + .state' "$dir/orders.json")
[ -z "$bad" ] || fail "orders in unknown states: $bad"

pin=$(jq -r .pin "$keep/holders.json")

# SM2 SubjectPublicKeyInfo PEM from the holder's SEC1 public key (hex).
pub_pem() {
  local hex=$1 out=$2
  { printf '3059301306072a8648ce3d020106082a811ccf5501822d034200'; printf '%s' "$hex"; } | xxd -r -p >"$out.der"
  openssl pkey -pubin -inform DER -in "$out.der" -out "$out"
}
declare -A pubs
verify_order() {  # order_id signature_hex holder_id data_base64
  local id=$1 sig=$2 holder=$3 b64=$4
  if [ -z "${pubs[$holder]:-}" ]; then
    local hex
    hex=$("${api[@]}" holder get "$holder" | jq -r .public_key)
    pub_pem "$hex" "$dir/pub-$holder.pem"
    pubs[$holder]="$dir/pub-$holder.pem"
  fi
  printf '%s' "$b64" | base64 -d >"$dir/msg"
  printf '%s' "$sig" | xxd -r -p >"$dir/sig.der"
  openssl dgst -sm3 -verify "${pubs[$holder]}" -sigopt distid:1234567812345678 -signature "$dir/sig.der" \
    "$dir/msg" >"$dir/verify.out" 2>&1 || true
  grep -qx "Verified OK" "$dir/verify.out" || fail "the signature of $id does not verify: $(cat "$dir/verify.out")"
}

# The data of each order the bench saw created (order id -> base64).
declare -A data
while IFS=$'\t' read -r id b64; do data[$id]=$b64; done \
  < <(jq -r 'select(.event=="created") | [.order_id, .data_base64] | @tsv' "$keep/orders.jsonl")

# Open orders: one is cancelled, the others are signed now with the kept device state.
open_ids=$(jq -r 'select(.state=="pending" or .state=="signing") | .order_id' "$dir/orders.json")
n_open=$(printf '%s' "$open_ids" | grep -c . || true)
echo "open orders after restart: $n_open"
cancelled=""
for id in $open_ids; do
  holder=$(jq -r --arg id "$id" 'select(.order_id==$id) | .holder_id' "$dir/orders.json")
  state_file=$(jq -r --arg h "$holder" '.holders[] | select(.holder_id==$h) | .state_file' "$keep/holders.json")
  [ -n "$state_file" ] || fail "no kept device state for holder $holder"
  if [ -z "$cancelled" ] && [ "$(jq -r --arg id "$id" 'select(.order_id==$id) | .state' "$dir/orders.json")" = pending ]; then
    "${api[@]}" order cancel "$id" | jq -e '.state=="cancelled"' >/dev/null || fail "cancel $id"
    cancelled=$id
    continue
  fi
  "$duet" holder --server "$url" --ca "$ca" --state "$state_file" sign "$id" --pin "$pin" \
    --signature-out "$dir/sig-$id.der" >"$dir/sign.log" 2>&1 || { cat "$dir/sign.log" >&2; fail "signing $id after the restart"; }
  got=$("${api[@]}" order get "$id")
  [ "$(jq -r .state <<<"$got")" = signed ] || fail "$id is not signed after duet holder sign"
  # An order whose creation answer the crash swallowed is not in the bench's log:
  # take its data from what the holder app is shown.
  if [ -z "${data[$id]:-}" ]; then
    data[$id]=$("$duet" holder --server "$url" --ca "$ca" --state "$state_file" show "$id" | jq -r '.items[0].data_base64')
  fi
  [ "$(jq -r '.items[0].signature' <<<"$got" | xxd -r -p | xxd -p | tr -d '\n')" = "$(xxd -p "$dir/sig-$id.der" | tr -d '\n')" ] ||
    fail "$id: the service's signature is not the device's"
done
[ "$n_open" -eq 0 ] || echo "resumed: $n_open open orders (${cancelled:+1 cancelled, }the rest signed with duet holder)"

# Every order is final now; every signed one verifies (signed before the crash and
# just now): the signatures from a fresh listing, the data from the bench's log.
list_orders "$dir/final.json"
[ "$(wc -l <"$dir/final.json")" -eq "$total" ] || fail "the number of orders changed"
n_verified=0
last_pub=""
while IFS=$'\t' read -r id holder state sig; do
  case $state in
    signed) ;;
    rejected|cancelled|expired|failed) continue ;;
    *) fail "$id is still $state" ;;
  esac
  [ -n "${data[$id]:-}" ] || fail "signed order $id: no data known"
  verify_order "$id" "$sig" "$holder" "${data[$id]}"
  n_verified=$((n_verified + 1))
  last_pub=${pubs[$holder]}
done < <(jq -r '[.order_id, .holder_id, .state, (.items[0].signature // "")] | @tsv' "$dir/final.json")
[ "$n_verified" -ge "$(wc -l <"$dir/acked_signed")" ] || fail "fewer signed orders than the bench saw signed"
# The check can fail: the last signature over a changed message must not verify.
flip_byte "$dir/msg" 0
if openssl dgst -sm3 -verify "$last_pub" -sigopt distid:1234567812345678 -signature "$dir/sig.der" \
     "$dir/msg" >/dev/null 2>&1; then
  fail "a changed message verified"
fi
echo "verified $n_verified signatures with openssl; final states: $(jq -r .state "$dir/final.json" | sort | uniq -c | tr '\n' ' ')"

# ---- 3. clean stop, integrity again -----------------------------------------------------
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "duetd did not stop on SIGTERM"
wait "$pid" 2>/dev/null || true
pid=""
integrity "the restart"
echo "crash_restart_test: OK"
