#!/usr/bin/env bash
# Identity checks from the command line (issue 4 item 2): `duet admin app
# settings` turns on the SMS one-time code for a sandbox credential; the code
# lands in duetd's development SMS sink (<data_dir>/sms-outbox.jsonl, mode
# 0600, phone masked); `duet holder enroll --otp` with a wrong code fails and
# leaves the activation code usable; with the right one the holder is enrolled
# (with its certificate). Then a cms-detached order (GM/T OIDs, the app's
# setting) signed with `duet holder sign` and checked by `duet verify --server`.
# Usage: identity_cli_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
command -v jq >/dev/null || { echo "identity_cli_test: needs jq" >&2; exit 1; }
dir=$(mktemp -d)
data=$dir/data
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "identity_cli_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

"$duetd" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
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

tenant=$("${adm[@]}" tenant create --name "OTP bank" | jq -r .tenant_id)
apps=$("${adm[@]}" app create --tenant "$tenant" 2>/dev/null)
app=$(jq -r .sandbox.app_id <<<"$apps")
jq -r .sandbox.secret <<<"$apps" >"$dir/secret"
out=$("${adm[@]}" app settings --tenant "$tenant" --app "$app" --sms-otp on --cms-oid-style gmt)
[ "$(jq -r .sms_otp_required <<<"$out")" = true ] || fail "settings: $out"
[ "$(jq -r .cms_oid_style <<<"$out")" = gmt ] || fail "settings: $out"
[ "$(jq -r .identity_mode <<<"$out")" = attested ] || fail "settings changed identity_mode: $out"
if "${adm[@]}" app settings --tenant "$tenant" --app app_nope --sms-otp off >/dev/null 2>&1; then
  fail "settings of an unknown app succeeded"
fi

api=("$duet" api --server "$url" --ca "$ca" --app-id "$app" --secret-file "$dir/secret")
holder=$("${api[@]}" holder create --name "张三" --id-number 110101199003071234 --phone 13812345678)
[ "$(jq -r .identity_verification <<<"$holder")" = attested ] || fail "holder: $holder"
[ "$(jq -r .identity_verified_by <<<"$holder")" = "$app" ] || fail "holder: $holder"
holder_id=$(jq -r .holder_id <<<"$holder")
code_json=$("${api[@]}" activation-code "$holder_id")
[ "$(jq -r .otp_required <<<"$code_json")" = true ] || fail "activation code: $code_json"
code=$(jq -r .code <<<"$code_json")

sink=$data/sms-outbox.jsonl
[ "$(stat -c %a "$sink")" = 600 ] || fail "the SMS sink is not mode 0600"
grep -q 13812345678 "$sink" && fail "the SMS sink holds the full phone number"
[ "$(jq -r .phone "$sink")" = "138****5678" ] || fail "phone not masked"
otp=$(jq -r .text "$sink" | grep -o '[0-9]\{6\}$')
[ -n "$otp" ] || fail "no one-time code in the sink"
wrong=000000; [ "$otp" = 000000 ] && wrong=000001

hold=("$duet" holder --server "$url" --ca "$ca" --state "$dir/device")
if "${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --accept-agreements --otp "$wrong" --pin 246810 \
     --kdf-iterations 1000 --no-certificate >"$dir/wrong.log" 2>&1; then
  fail "enrollment with a wrong one-time code succeeded"
fi
grep -q "one-time code" "$dir/wrong.log" || fail "no one-time-code error: $(cat "$dir/wrong.log")"
"${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --accept-agreements --otp "$otp" --pin 246810 --kdf-iterations 1000 \
  --force >"$dir/enroll.log" 2>&1 || fail "enrollment with the right code: $(cat "$dir/enroll.log")"
[ "$("${api[@]}" holder get "$holder_id" | jq -r '.public_key | length')" = 130 ] || fail "not enrolled"

printf 'CMS from the command line' >"$dir/msg"
order_id=$("${api[@]}" order create --holder "$holder_id" --title "CMS" --file "$dir/msg" --output cms-detached |
  jq -r .order_id)
"${hold[@]}" sign "$order_id" --pin 246810 >"$dir/sign.log" 2>&1 || fail "holder sign: $(cat "$dir/sign.log")"
"${api[@]}" order get "$order_id" | jq -r '.items[0].signature' | xxd -r -p >"$dir/sig.p7s"
"$duet" verify --data "$dir/msg" --signature "$dir/sig.p7s" --server "$url" --ca "$ca" --environment sandbox >"$dir/verify.json" ||
  fail "duet verify --server: $(cat "$dir/verify.json")"
[ "$(jq -r .chain_ok "$dir/verify.json")" = true ] || fail "chain: $(cat "$dir/verify.json")"
if "$duet" verify --data "$dir/secret" --signature "$dir/sig.p7s" --server "$url" --ca "$ca" --environment sandbox >/dev/null 2>&1; then
  fail "the CMS verified over other data"
fi
echo "identity CLI: settings, SMS one-time code and enrollment OK"
