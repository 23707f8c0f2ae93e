// Notices by e-mail (issue 14 item 6, docs/metering.md "Notices"): what the
// message of each notice says, the RFC 5322 text it is sent as, and when a
// failed delivery is tried again. Pure functions; the sending itself is the
// server's (server/notice_mail_worker.h over httpclient/smtp_client.h).
//
// Messages carry the tenant's name and the notice's facts, never personal
// data; the recipient is the tenant's contact address (business data, but
// kept out of logs all the same).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/notice_mail.h"

namespace duet::core {

struct NoticeMailText {
  std::string subject;  // UTF-8
  std::string body;     // UTF-8, LF line ends
};

// The subject and body of one notice; times as local dates at
// `utc_offset_minutes` (the SLA's calendar, default +08:00).
NoticeMailText notice_mail_text(const store::NoticeMail& mail, int utc_offset_minutes);

// The whole message, CRLF line ends: Date (`now`, UTC), From, To, Subject
// (RFC 2047 UTF-8 base64), Message-ID (<notice_id@domain of from>),
// MIME-Version, text/plain UTF-8 in base64 (lines of 76).
std::string render_mail(const std::string& from, const std::string& to, const std::string& message_id,
                        const NoticeMailText& text, int64_t now);

// When to try again after `attempts_done` failed attempts (1, 2, …): 1, 5,
// 15 minutes, then 1, 3, 6 hours, then every 12 hours; nullopt once
// `max_attempts` have been made (the notice's e-mail has failed).
std::optional<int64_t> next_mail_attempt(int64_t attempts_done, int64_t now, int64_t max_attempts);

}  // namespace duet::core
