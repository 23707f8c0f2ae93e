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
cleanup() {
  [ -n "$smtp_pid" ] && kill "$smtp_pid" 2>/dev/null && wait "$smtp_pid" 2>/dev/null || true
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

# ---- the address is business data, kept out of the logs ----------------------------------
! grep -q "$addr" "$dir/duetd.log" || fail "the contact address is in duetd's log"
[ "$(q "SELECT COUNT(*) FROM audit_events WHERE details LIKE '%mail-bank.example%' OR target LIKE '%mail-bank.example%'")" = 0 ] \
  || fail "the contact address is in the audit log"
echo "notice_mail_test: OK"
