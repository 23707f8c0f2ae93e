#!/usr/bin/env bash
# Issue 14 item 5 against the real binaries (docs/consent.md):
#  - GET /app/v1/agreements serves the repository's files: each text byte for
#    byte, and its text_sm3 equals `openssl dgst -sm3` of the file;
#  - an enrollment without the holder's acceptance is refused with
#    consent_required and spends nothing: the same code then enrolls with
#    --accept-agreements (channel holder_app, attested by the holder), and the
#    certificate is issued;
#  - a holder whose acceptance the business system attested at creation
#    (channel business_system, attested by the app) enrolls without accepting
#    in the app;
#  - a wrong digest is 400 and records nothing; a holder needs no phone when
#    no SMS check uses it (data minimisation, item 8); the rows are in the database
#    as the API shows them (sqlite3), and the consent route is audited.
# Usage: consent_cli_test.sh DUET DUETD SOURCE_DIR
set -euo pipefail
duet=$1
duetd=$2
src=$3
for tool in jq openssl sqlite3; do command -v $tool >/dev/null || { echo "consent_cli_test: needs $tool" >&2; exit 1; }; done
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" "$dir/data.audit-witness.jsonl" || true
}
trap cleanup EXIT
fail() { echo "consent_cli_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

tenant_name="Consent bank"
# shellcheck source=tests/duetd_sandbox.sh
source "$(dirname "$0")/duetd_sandbox.sh"

# 1. The texts are the repository's files.
hold=("$duet" holder --server "$url" --ca "$ca" --state "$dir/device")
"${hold[@]}" agreements >"$dir/agreements.json"
for pair in subscriber_agreement:subscriber-agreement identity_check:identity-check; do
  doc=${pair%%:*}; file="$src/docs/agreements/${pair#*:}-v1.md"
  want=$(openssl dgst -sm3 -r "$file" | cut -d' ' -f1)
  got=$(jq -r --arg d "$doc" '.agreements[] | select(.document == $d and .current) | .text_sm3' "$dir/agreements.json")
  [ "$got" = "$want" ] || fail "$doc: text_sm3 $got, openssl says $want"
  jq -j --arg d "$doc" '.agreements[] | select(.document == $d and .current) | .text' "$dir/agreements.json" >"$dir/$doc.txt"
  cmp -s "$dir/$doc.txt" "$file" || fail "$doc: the served text is not the file"
done
sub_sm3=$(openssl dgst -sm3 -r "$src/docs/agreements/subscriber-agreement-v1.md" | cut -d' ' -f1)

# 2. No enrollment without consent; nothing spent.
holder_id=$("${api[@]}" holder create --name "张三" --id-number 110101199003071234 --phone 13812345678 | jq -r .holder_id)
code=$("${api[@]}" activation-code "$holder_id" | jq -r .code)
if "${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --pin 246810 --kdf-iterations 1000 \
  >"$dir/refused.log" 2>&1; then
  fail "enrolled without the holder's acceptance"
fi
grep -q consent_required "$dir/refused.log" || fail "refusal: $(cat "$dir/refused.log")"
[ "$("${api[@]}" holder consents "$holder_id" | jq -r '.current, (.consents | length)' | tr '\n' ' ')" = "false 0 " ] \
  || fail "consents recorded by a refused enrollment"
"${hold[@]}" enroll --holder-id "$holder_id" --code "$code" --pin 246810 --kdf-iterations 1000 --force \
  --accept-agreements >"$dir/enroll.json" 2>"$dir/enroll.log" || fail "enroll: $(cat "$dir/enroll.log")"
[ "$(jq -r .certificate.serial "$dir/enroll.json")" != null ] || fail "no certificate: $(cat "$dir/enroll.json")"
shown=$("${api[@]}" holder consents "$holder_id")
[ "$(jq -r .current <<<"$shown")" = true ] || fail "consents: $shown"
[ "$(jq -r '.consents | length' <<<"$shown")" = 2 ] || fail "consents: $shown"
[ "$(jq -r '[.consents[].channel] | unique | join(",")' <<<"$shown")" = holder_app ] || fail "channel: $shown"
[ "$(jq -r '[.consents[].attested_by] | unique | join(",")' <<<"$shown")" = "$holder_id" ] || fail "attester: $shown"
[ "$(jq -r '.consents[] | select(.document == "subscriber_agreement") | .text_sm3' <<<"$shown")" = "$sub_sm3" ] \
  || fail "digest: $shown"

# 3. The business system attests at creation: the app need not ask again.
before=$(date +%s)
second=$("${api[@]}" holder create --name "李四" --id-number 110101199003075678 --phone 13912345678 --attest-consent \
  | jq -r .holder_id)
shown=$("${api[@]}" holder consents "$second")
[ "$(jq -r '[.consents[].channel] | unique | join(",")' <<<"$shown")" = business_system ] || fail "channel: $shown"
[ "$(jq -r '[.consents[].attested_by] | unique | join(",")' <<<"$shown")" = "$app" ] || fail "attester: $shown"
at=$(jq -r '.consents[0].accepted_at' <<<"$shown")
[ "$at" -ge "$before" ] || fail "accepted_at $at before $before"
code2=$("${api[@]}" activation-code "$second" | jq -r .code)
"$duet" holder --server "$url" --ca "$ca" --state "$dir/device2" enroll --holder-id "$second" --code "$code2" \
  --pin 246810 --kdf-iterations 1000 --no-certificate >"$dir/enroll2.log" 2>&1 || fail "enroll 2: $(cat "$dir/enroll2.log")"

# 4. A wrong digest: 400, nothing recorded.
# (Data minimisation: no SMS check, so no phone.)
third_json=$("${api[@]}" holder create --name "王五" --id-number 110101199003079999)
[ "$(jq -r .phone <<<"$third_json")" = "" ] || fail "a holder without a phone: $third_json"
third=$(jq -r .holder_id <<<"$third_json")
bad=$(jq -n --arg s "$(printf '0%.0s' $(seq 64))" --argjson t "$(date +%s)" \
  '{consents: [{document: "subscriber_agreement", version: "v1", text_sm3: $s, accepted_at: $t}]}')
out=$("${api[@]}" --body "$bad" POST "/api/v1/holders/$third/consents" 2>&1 || true)
grep -q invalid_argument <<<"$out" || fail "wrong digest accepted: $out"
[ "$("${api[@]}" holder consents "$third" | jq -r '.consents | length')" = 0 ] || fail "a refused consent was recorded"
# Attested later (a holder created without it): recorded now.
[ "$("${api[@]}" holder consents "$third" --attest | jq -r .current)" = true ] || fail "attest later"

# 5. The database holds what the API shows (sqlite3 reads it on its own), and the route is audited.
q=(sqlite3 -cmd ".timeout 10000" "$data/duet.db")
rows=$("${q[@]}" \
  "SELECT channel || ' ' || attested_by || ' ' || lower(hex(text_sm3)) FROM holder_consents
   WHERE holder_id = '$holder_id' AND document = 'subscriber_agreement'")
[ "$rows" = "holder_app $holder_id $sub_sm3" ] || fail "database: $rows"
[ "$("${q[@]}" "SELECT count(*) FROM holder_consents")" = 6 ] || fail "row count"
[ "$("${q[@]}" "SELECT length(phone_ciphertext) FROM holders WHERE holder_id = '$third'")" = 0 ] \
  || fail "a phone was stored for a holder created without one"
audited=$("${q[@]}" "SELECT count(*) FROM audit_events WHERE action = 'POST /api/v1/holders/{holder_id}/consents'
  AND outcome = 'ok' AND target = 'holder_id:$third'")
[ "$audited" -ge 1 ] || fail "the consent route is not audited"
echo "consent CLI: texts, refusal, both channels and records OK"
