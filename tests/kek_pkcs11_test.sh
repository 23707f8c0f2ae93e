#!/usr/bin/env bash
# duetd on a real SoftHSM2 token (the production key path): ready with the
# token; /readyz fails once the token is gone; without the token a fresh
# start fails before anything is written.
set -euo pipefail
duetd=$1
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; rm -rf "$dir" || true; }
trap cleanup EXIT

eval "$("$root/scripts/softhsm-token" "$dir/hsm" duet)"
export DUET_KEK=pkcs11 DUET_PKCS11_PIN_FILE="$dir/hsm/user.pin"

start() {  # start DATA_DIR → sets pid and port; 1 if duetd exited, 2 if it is still starting after 60 s
  "$duetd" --dev --data-dir "$1" --listen 127.0.0.1:0 >"$1.out" 2>"$1.log" &
  pid=$!
  for _ in $(seq 1 600); do
    [[ -s "$1/duetd.port" ]] && { port=$(cat "$1/duetd.port"); return 0; }
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 2
}
status() { curl -s -o /dev/null -w '%{http_code}' --cacert "$1/tls/dev-cert.pem" "https://127.0.0.1:$port$2"; }

start "$dir/data" || { cat "$dir/data.log" >&2; exit 1; }
[[ "$(status "$dir/data" /readyz)" == 200 ]] || { echo "not ready with the token" >&2; exit 1; }
[[ -f "$dir/data/datakeys.wrapped" ]] || { echo "no wrapped data-key record" >&2; exit 1; }
[[ ! -e "$dir/data/kek.key" && ! -e "$dir/data/kek-dev.key" ]] || { echo "a plain key file exists" >&2; exit 1; }
[[ "$(stat -c %a "$dir/data/datakeys.wrapped")" == 600 ]]

# The token goes away: readiness fails within the KEK's check interval (5 s).
softhsm2-util --delete-token --token duet >/dev/null
ready=200
for _ in $(seq 1 160); do
  ready=$(status "$dir/data" /readyz)
  [[ "$ready" == 503 ]] && break
  sleep 0.25
done
[[ "$ready" == 503 ]] || { echo "/readyz stayed $ready without the token" >&2; exit 1; }
[[ "$(status "$dir/data" /healthz)" == 200 ]]
kill -TERM "$pid"; wait "$pid" || true; pid=""

# Without the token a fresh start fails, and writes no database.
rc=0; start "$dir/fresh" || rc=$?
[[ $rc == 1 ]] || { echo "duetd without its KEK: start gave $rc, not an exit (0 = started, 2 = still starting)" >&2; exit 1; }
wait "$pid" 2>/dev/null || true; pid=""
[[ ! -e "$dir/fresh/duet.db" ]] || { echo "duet.db was written without the KEK" >&2; exit 1; }
grep -q "keys" "$dir/fresh.log"
echo "PKCS#11 KEK: ready with the token, not ready without it, nothing written without it"
