// The [notices] table of duetd's TOML config (docs/configuration.md): the
// SMTP server the notices are e-mailed through (issue 14 item 6). Without
// smtp_url no e-mail is sent (notices stay in the API and the webhook).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace duet::server {

struct NoticeMailConfig {
  std::string smtp_url;            // "smtp://host:port" or "smtps://host:port"; "" = no e-mail
  std::string mail_from;           // the sender address (required with smtp_url)
  std::string smtp_username;       // "" = no AUTH
  std::string smtp_password_file;  // the password, in a file of its own (mode 0600)
  bool smtp_require_tls = false;   // smtp://: STARTTLS required
  std::string smtp_ca_file;        // PEM bundle for the server's certificate ("" = the system's)
  int64_t interval_ms = 2000;      // how often due notices are looked for
  int64_t max_attempts = 8;        // then the notice's e-mail is "failed"
  int64_t timeout_ms = 15000;      // one delivery, connect included
  bool enabled() const { return !smtp_url.empty(); }
};

// Reads [notices] (an absent table keeps the defaults); unknown keys and bad
// values are kInvalidArgument.
Status parse_notice_mail_config(std::string_view toml_text, NoticeMailConfig& out);
// "notices.<key>" for every accepted key.
std::vector<std::string> notice_mail_config_keys();

}  // namespace duet::server
