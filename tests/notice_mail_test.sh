#!/usr/bin/env bash
# Notices that reach people (issue 14 item 6, docs/metering.md "Notices"), end to
# end against a real duetd and a real SMTP server (Debian's python3-aiosmtpd,
# its Mailbox handler writing a Maildir):
#  - a tenant's contact address set with `duet admin notice contact-email`;
#  - planned maintenance announced a month ahead: every tenant gets a
#    maintenance_planned notice (Business API); the tenant with an address is
#    mailed, the one without is recorded "none";
#  - the SMTP server is down at first: the attempt is recorded (pending,
#    "smtp: connect") and retried; once it is up, the message arrives, decoded
#    by Python's own email parser (subject, body with the window's times);
#  - withdrawing the window mails a maintenance_cancelled notice;
#  - maintenance announced too late is refused with 400 and writes nothing;
#  - a window changed: moved to start within 3 working days of the change it is
#    refused (400, nothing written); moved and extended a day later, every
#    tenant gets maintenance_changed, mailed with the new times; the change is
#    audited;
#  - the tenant suspended and resumed, and its contract pinned to an SLA-terms
#    version: one notice per change of state (none for a repeat), each mailed,
#    POSTed to the tenant's notify URL as a webhook whose HMAC-SM3 signature
#    openssl checks, and listed by the Business API once the tenant is resumed;
#  - the address is in neither duetd's log nor the audit log.
# Usage: notice_mail_test.sh DUET DUETD
set -euo pipefail
duet=$1
duetd=$2
py=/usr/bin/python3
command -v jq >/dev/null || { echo "notice_mail_test: needs jq" >&2; exit 1; }
"$py" -c "import aiosmtpd" 2>/dev/null || { echo "notice_mail_test: needs python3-aiosmtpd" >&2; exit 1; }
dir=$(mktemp -d)
pid=""
smtp_pid=""
hook_pid=""
cleanup() {
  [ -n "$smtp_pid" ] && kill "$smtp_pid" 2>/dev/null && wait "$smtp_pid" 2>/dev/null || true
  [ -n "$hook_pid" ] && kill "$hook_pid" 2>/dev/null && wait "$hook_pid" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir" || true
}
trap cleanup EXIT
fail() { echo "notice_mail_test: FAIL: $*" >&2; tail -n 20 "$dir/duetd.log" >&2 || true; exit 1; }

smtp_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
duetd_extra_config=$(printf '[notices]\nsmtp_url = "smtp://127.0.0.1:%s"\nmail_from = "notices@duet-ca.example"\ninterval_ms = 200\ntimeout_ms = 3000\n' "$smtp_port")
tenant_name="Mail Bank, Inc."
# shellcheck source=tests/duetd_sandbox.sh
source "$(dirname "$0")/duetd_sandbox.sh"
db=$data/duet.db
q() { sqlite3 -cmd ".timeout 10000" "$db" "$@"; }
addr="ops-team@mail-bank.example"
other=$("${adm[@]}" tenant create --name "No Address Ltd" | jq -r .tenant_id)

c=$("${adm[@]}" notice contact-email "$tenant" --email "$addr")
[ "$(jq -r .email <<<"$c")" = "$addr" ] || fail "contact email: $c"
[ "$("${adm[@]}" notice contact-email "$tenant" | jq -r .email)" = "$addr" ] || fail "contact email read back"
[ "$("${adm[@]}" notice contact-email "$other" | jq -r .email)" = null ] || fail "no address"
if out=$("${adm[@]}" notice contact-email "$tenant" --email "not an address" 2>&1); then fail "a bad address accepted"; fi
grep -q "HTTP 400" <<<"$out" || fail "bad address: $out"

# ---- too late: refused, nothing written ------------------------------------------------
if out=$("${adm[@]}" sla maintenance add --starts-at $(( $(date +%s) + 86400 )) --ends-at $(( $(date +%s) + 90000 )) \
           --description "tomorrow" 2>&1); then fail "maintenance tomorrow accepted"; fi
grep -q "HTTP 400" <<<"$out" && grep -q "3 whole working days" <<<"$out" || fail "late maintenance: $out"
[ "$(q "SELECT COUNT(*) FROM notices")" = 0 ] && [ "$(q "SELECT COUNT(*) FROM maintenance_windows")" = 0 ] \
  || fail "a refused window wrote something"

# ---- announced a month ahead, while the SMTP server is down ----------------------------
start=$(( $(date +%s) / 60 * 60 + 30 * 86400 ))
w=$("${adm[@]}" sla maintenance add --starts-at "$start" --ends-at $((start + 7200)) --description "HSM firmware upgrade")
wid=$(jq -r .window_id <<<"$w")
notices=$(q "SELECT tenant_id || ' ' || kind FROM notices ORDER BY tenant_id")
grep -q "^$tenant maintenance_planned$" <<<"$notices" && grep -q "^$other maintenance_planned$" <<<"$notices" \
  || fail "notices to every tenant: $notices"
for _ in $(seq 1 100); do
  m=$("${adm[@]}" notice mails "$tenant")
  [ "$(jq -r '.notice_mails[0].attempts' <<<"$m")" -ge 1 ] && break
  sleep 0.2
done
[ "$(jq -r '.notice_mails[0].state' <<<"$m")" = pending ] || fail "first attempt: $m"
[ "$(jq -r '.notice_mails[0].last_error' <<<"$m")" = "smtp: connect" ] || fail "first attempt error: $m"
for _ in $(seq 1 50); do
  [ "$("${adm[@]}" notice mails "$other" | jq -r '.notice_mails[0].state')" = none ] && break
  sleep 0.2
done
[ "$("${adm[@]}" notice mails "$other" | jq -r '.notice_mails[0].state')" = none ] || fail "tenant without address"

# ---- the SMTP server comes up: the retry (after a minute) delivers ----------------------
"$py" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$dir/mail" >"$dir/smtp.log" 2>&1 &
smtp_pid=$!
for _ in $(seq 1 450); do
  [ -n "$(ls -A "$dir/mail/new" 2>/dev/null)" ] && break
  kill -0 "$smtp_pid" 2>/dev/null || fail "the SMTP server exited: $(cat "$dir/smtp.log")"
  sleep 0.2
done
msg=$(ls "$dir/mail/new" | head -1)
[ -n "$msg" ] || fail "no message arrived within 90 s: $("${adm[@]}" notice mails "$tenant")"
cat >"$dir/read.py" <<'PY'
import email, email.header, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print("TO", m["To"])
print("FROM", m["From"])
print("SUBJECT", str(email.header.make_header(email.header.decode_header(m["Subject"]))))
print(m.get_payload(decode=True).decode("utf-8"))
PY
text=$("$py" "$dir/read.py" "$dir/mail/new/$msg")
grep -q "^TO <$addr>" <<<"$text" || fail "recipient: $text"
grep -q "^FROM <notices@duet-ca.example>" <<<"$text" || fail "sender: $text"
grep -q "^SUBJECT Duet: planned maintenance / 计划维护" <<<"$text" || fail "subject: $text"
grep -q "HSM firmware upgrade" <<<"$text" || fail "body: $text"
grep -q "To Mail Bank, Inc." <<<"$text" || fail "body names the tenant: $text"
local_start=$(TZ=Asia/Shanghai date -d "@$start" '+%Y-%m-%d %H:%M')
grep -q "Starts / 开始: $local_start (UTC+08:00)" <<<"$text" || fail "start time ($local_start): $text"
m=$("${adm[@]}" notice mails "$tenant")
[ "$(jq -r '.notice_mails[0].state' <<<"$m")" = sent ] || fail "record after delivery: $m"
[ "$(jq -r '.notice_mails[0].attempts' <<<"$m")" = 2 ] || fail "attempts: $m"
[ "$(jq -r '.notice_mails[0].sent_at' <<<"$m")" != null ] || fail "sent_at: $m"

# ---- withdrawn: a maintenance_cancelled notice, mailed at once --------------------------
"${adm[@]}" sla maintenance delete "$wid" || fail "withdraw the window"
for _ in $(seq 1 100); do
  [ "$(ls "$dir/mail/new" | wc -l)" -ge 2 ] && break
  sleep 0.2
done
[ "$(ls "$dir/mail/new" | wc -l)" = 2 ] || fail "cancellation not mailed"
all=$(for f in "$dir"/mail/new/*; do "$py" "$dir/read.py" "$f"; done)
grep -q "^SUBJECT Duet: maintenance withdrawn" <<<"$all" || fail "cancellation subject: $all"
[ "$(q "SELECT COUNT(*) FROM notices WHERE kind = 'maintenance_cancelled'")" = 2 ] || fail "cancellation notices"
[ "$(q "SELECT COUNT(*) FROM audit_events WHERE action = 'worker.notice_mail'")" -ge 3 ] || fail "deliveries not audited"

# ---- notices of schema v30: each mailed, POSTed as a webhook, listed ---------------------
# The webhook receiver: each POST's event header, timestamp, signature and body in a file.
mkdir -p "$dir/hooks"
cat >"$dir/hooks.py" <<'PY'
import http.server, sys, os, itertools
out = sys.argv[1]
seq = itertools.count(1)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        n = next(seq)
        with open(os.path.join(out, "%03d.body" % n), "wb") as f: f.write(body)
        with open(os.path.join(out, "%03d.head" % n), "w") as f:
            f.write("%s\n%s\n%s\n" % (self.headers["X-Duet-Event"], self.headers["X-Duet-Timestamp"],
                                      self.headers["X-Duet-Signature"]))
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(os.path.join(out, "port"), "w").write(str(s.server_port))
s.serve_forever()
PY
"$py" "$dir/hooks.py" "$dir/hooks" >"$dir/hooks.log" 2>&1 &
hook_pid=$!
for _ in $(seq 1 50); do [ -s "$dir/hooks/port" ] && break; sleep 0.1; done
[ -s "$dir/hooks/port" ] || fail "the webhook receiver did not start: $(cat "$dir/hooks.log")"
secret=$("${adm[@]}" notify-url set --tenant "$tenant" --url "http://127.0.0.1:$(cat "$dir/hooks/port")/notices" \
           2>/dev/null | jq -r .notify_secret)
[ ${#secret} = 64 ] || fail "notify secret: $secret"
mails() { ls "$dir/mail/new" | wc -l; }
wait_mails() {  # N: until N messages are in the Maildir
  for _ in $(seq 1 150); do [ "$(mails)" -ge "$1" ] && break; sleep 0.2; done
  [ "$(mails)" = "$1" ] || fail "expected $1 messages, have $(mails): $("${adm[@]}" notice mails "$tenant")"
}
# The webhook of `event`: its body, once its HMAC-SM3 signature checks with openssl.
hook_of() {
  local h="" f ts sig digest mac
  for _ in $(seq 1 150); do
    h=$(grep -lx "$1" "$dir"/hooks/*.head 2>/dev/null | head -1) && [ -n "$h" ] && break
    sleep 0.2
  done
  [ -n "$h" ] || fail "no webhook $1"
  f=${h%.head}.body
  ts=$(sed -n 2p "$h"); sig=$(sed -n 3p "$h")
  digest=$(openssl dgst -sm3 -r "$f" | cut -d' ' -f1)
  mac=$(printf '%s\n%s' "$ts" "$digest" | openssl mac -digest SM3 -macopt "key:$secret" HMAC | tr 'A-F' 'a-f')
  [ "$mac" = "$sig" ] || fail "webhook $1: the signature does not check"
  cat "$f"
}
count_kind() { q "SELECT COUNT(*) FROM notices WHERE tenant_id = '$1' AND kind = '$2'"; }

# A window a month ahead, then changed.
start2=$(( $(date +%s) / 60 * 60 + 30 * 86400 ))
w2=$("${adm[@]}" sla maintenance add --starts-at "$start2" --ends-at $((start2 + 3600)) --description "HSM swap")
wid2=$(jq -r .window_id <<<"$w2")
wait_mails 3
# Moved to tomorrow: fewer than 3 working days after the change, refused, nothing written.
if out=$("${adm[@]}" sla maintenance change "$wid2" --starts-at $(( $(date +%s) + 86400 )) \
           --ends-at $(( $(date +%s) + 90000 )) 2>&1); then fail "a window moved to tomorrow accepted"; fi
grep -q "HTTP 400" <<<"$out" && grep -q "3 whole working days after the day of the change" <<<"$out" \
  || fail "late change: $out"
[ "$(count_kind "$tenant" maintenance_changed)" = 0 ] || fail "a refused change told a tenant"
[ "$("${adm[@]}" sla maintenance list | jq -r --arg w "$wid2" '.windows[] | select(.window_id == $w) | .starts_at')" \
  = "$start2" ] || fail "a refused change moved the window"
# The kind is not changed (nor anything unknown): 400, nothing written.
kind_out=$(curl -s --cacert "$ca" -X PATCH -H "Authorization: Bearer $(cat "$data/admin.token")" \
             -H "Content-Type: application/json" -d '{"kind":"fault_drill"}' "$url/admin/v1/maintenance-windows/$wid2")
[ "$(jq -r .error.code <<<"$kind_out")" = invalid_argument ] \
  && grep -q "kind cannot be changed" <<<"$kind_out" || fail "a kind change: $kind_out"
[ "$(count_kind "$tenant" maintenance_changed)" = 0 ] || fail "a refused kind change told a tenant"
# Moved a day later and extended to two hours: announced anew, every tenant told.
c2=$("${adm[@]}" sla maintenance change "$wid2" --starts-at $((start2 + 86400)) --ends-at $((start2 + 86400 + 7200)) \
       --description "HSM swap, moved")
[ "$(jq -r .starts_at <<<"$c2")" = $((start2 + 86400)) ] && [ "$(jq -r .excluded <<<"$c2")" = true ] \
  || fail "the change: $c2"
[ "$(count_kind "$tenant" maintenance_changed)" = 1 ] && [ "$(count_kind "$other" maintenance_changed)" = 1 ] \
  || fail "maintenance_changed to every tenant"
[ "$(q "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'PATCH /admin/v1/maintenance-windows%' AND outcome = 'ok'")" \
  -ge 1 ] || fail "the change is not audited"
wait_mails 4
all=$(for f in "$dir"/mail/new/*; do "$py" "$dir/read.py" "$f"; done)
grep -q "^SUBJECT Duet: planned maintenance changed / 计划维护变更" <<<"$all" || fail "changed subject: $all"
local_new=$(TZ=Asia/Shanghai date -d "@$((start2 + 86400 + 7200))" '+%Y-%m-%d %H:%M')
grep -q "Ends / 结束: $local_new (UTC+08:00)" <<<"$all" || fail "the new end ($local_new): $all"
grep -q "$wid2 has been changed" <<<"$all" || fail "the changed window's id: $all"
hook=$(hook_of notice.maintenance_changed)
[ "$(jq -r .subject_id <<<"$hook")" = "$wid2" ] && [ "$(jq -r .effective_at <<<"$hook")" = $((start2 + 86400)) ] \
  || fail "maintenance_changed webhook: $hook"

# Suspended (twice: one notice), then resumed.
"${adm[@]}" tenant suspend "$tenant" >/dev/null
"${adm[@]}" tenant suspend "$tenant" >/dev/null
[ "$(count_kind "$tenant" tenant_suspended)" = 1 ] || fail "tenant_suspended once"
[ "$(count_kind "$other" tenant_suspended)" = 0 ] || fail "another tenant told of a suspension"
wait_mails 5
hook=$(hook_of notice.tenant_suspended)
[ "$(jq -r .kind <<<"$hook")" = tenant_suspended ] && [ "$(jq -r .package_id <<<"$hook")" = null ] \
  || fail "tenant_suspended webhook: $hook"
if out=$("${api[@]}" GET /api/v1/notices 2>&1); then fail "a suspended tenant's API answered: $out"; fi
grep -q "tenant_suspended" <<<"$out" || fail "suspended API: $out"
"${adm[@]}" tenant resume "$tenant" >/dev/null
"${adm[@]}" tenant resume "$tenant" >/dev/null
[ "$(count_kind "$tenant" tenant_resumed)" = 1 ] || fail "tenant_resumed once"
wait_mails 6
hook_of notice.tenant_resumed >/dev/null

# The contract pinned to SLA-terms v1 (a change from the [sla] table), then again (none).
"${adm[@]}" sla terms add "$(dirname "$0")/../docs/sla-terms/v1.json" >/dev/null
"${adm[@]}" sla terms pin --tenant "$tenant" --version v1 >/dev/null
"${adm[@]}" sla terms pin --tenant "$tenant" --version v1 >/dev/null
[ "$(count_kind "$tenant" sla_terms_changed)" = 1 ] || fail "sla_terms_changed once"
wait_mails 7
hook=$(hook_of notice.sla_terms_changed)
[ "$(jq -r .subject_id <<<"$hook")" = v1 ] || fail "sla_terms_changed webhook: $hook"
all=$(for f in "$dir"/mail/new/*; do "$py" "$dir/read.py" "$f"; done)
grep -q "^SUBJECT Duet: service suspended / 服务已暂停" <<<"$all" || fail "suspension mail: $all"
grep -q "^SUBJECT Duet: service resumed / 服务已恢复" <<<"$all" || fail "resumption mail: $all"
grep -q "^SUBJECT Duet: SLA terms changed to v1" <<<"$all" || fail "terms mail: $all"
# Every delivery recorded as sent; the Business API lists them all once the tenant is back.
m=$("${adm[@]}" notice mails "$tenant")
[ "$(jq '[.notice_mails[] | select(.state != "sent")] | length' <<<"$m")" = 0 ] || fail "mail records: $m"
listed=$("${api[@]}" GET /api/v1/notices | sed -n '/^{/,$p')
for k in maintenance_changed tenant_suspended tenant_resumed sla_terms_changed; do
  [ "$(jq --arg k "$k" '[.notices[] | select(.kind == $k)] | length' <<<"$listed")" = 1 ] || fail "API lists $k: $listed"
done
[ "$(jq -r '.notices[] | select(.kind == "sla_terms_changed") | .subject_id' <<<"$listed")" = v1 ] \
  || fail "API subject_id: $listed"

# ---- the address is business data, kept out of the logs ----------------------------------
! grep -q "$addr" "$dir/duetd.log" || fail "the contact address is in duetd's log"
[ "$(q "SELECT COUNT(*) FROM audit_events WHERE details LIKE '%mail-bank.example%' OR target LIKE '%mail-bank.example%'")" = 0 ] \
  || fail "the contact address is in the audit log"
echo "notice_mail_test: OK"
