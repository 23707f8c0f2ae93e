// Sending one e-mail over SMTP with libcurl (the service's notices to tenants,
// docs/metering.md "Notices"). Like http_client.h, nothing here logs: the
// recipient, the message and the password never reach a log or an error.
//
// Errors: a refused or failed delivery is kUnavailable with a fixed message
// naming the stage ("smtp: connect", "smtp: rejected", "smtp: tls",
// "smtp: timeout", "smtp: auth") — retryable by the caller; an unusable
// request (a URL that is not smtp:// or smtps://, an address with CR, LF, '<'
// or '>', a bare LF in the message) is kInvalidArgument and is never sent.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"

namespace duet::httpclient {

struct SmtpServer {
  std::string url;        // "smtp://host:port" (STARTTLS when require_tls) or "smtps://host:port"
  std::string username;   // empty: no AUTH
  std::string password;   // (from a secret file; never logged)
  bool require_tls = false;  // smtp:// only: STARTTLS, refuse to send without it
  std::optional<std::string> ca_file;
  long timeout_ms = 15000;
};

struct MailMessage {
  std::string from;  // the envelope sender (MAIL FROM), a bare address
  std::string to;    // one recipient (RCPT TO), a bare address
  std::string data;  // the whole RFC 5322 message, CRLF line ends, headers first
};

// Delivers `message` through `server` on a fresh connection. Thread-safe.
Status send_mail(const SmtpServer& server, const MailMessage& message);

// A bare address fit for an envelope and a header: one '@', no whitespace,
// control characters, '<', '>', ',' or quotes, at most 254 bytes.
bool plausible_mail_address(std::string_view address);

}  // namespace duet::httpclient
