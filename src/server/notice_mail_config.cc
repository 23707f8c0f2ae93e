#include "server/notice_mail_config.h"

#include <toml++/toml.h>

#include "base/toml_keys.h"
#include "httpclient/smtp_client.h"

namespace duet::server {

namespace {

Unexpected bad(std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); }

using Node = const toml::node&;
using Path = const std::string&;

Status string_of(Node v, Path full, std::string& out) {
  auto s = v.value<std::string>();
  if (!v.is_string() || !s) return bad(full + " must be a string");
  out = *s;
  return Status::Ok();
}

Status int_in(Node v, Path full, int64_t& out, int64_t lo, int64_t hi) {
  auto x = v.value<int64_t>();
  if (!v.is_integer() || !x || *x < lo || *x > hi)
    return bad(full + " must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  out = *x;
  return Status::Ok();
}

constexpr TomlKey<NoticeMailConfig> kNoticeKeys[] = {
    {"smtp_url", [](Node v, Path f, NoticeMailConfig& c) { return string_of(v, f, c.smtp_url); }},
    {"mail_from", [](Node v, Path f, NoticeMailConfig& c) { return string_of(v, f, c.mail_from); }},
    {"smtp_username", [](Node v, Path f, NoticeMailConfig& c) { return string_of(v, f, c.smtp_username); }},
    {"smtp_password_file", [](Node v, Path f, NoticeMailConfig& c) { return string_of(v, f, c.smtp_password_file); }},
    {"smtp_require_tls",
     [](Node v, Path f, NoticeMailConfig& c) -> Status {
       auto b = v.value<bool>();
       if (!v.is_boolean() || !b) return bad(f + " must be true or false");
       c.smtp_require_tls = *b;
       return Status::Ok();
     }},
    {"smtp_ca_file", [](Node v, Path f, NoticeMailConfig& c) { return string_of(v, f, c.smtp_ca_file); }},
    {"interval_ms", [](Node v, Path f, NoticeMailConfig& c) { return int_in(v, f, c.interval_ms, 100, 600000); }},
    {"max_attempts", [](Node v, Path f, NoticeMailConfig& c) { return int_in(v, f, c.max_attempts, 1, 100); }},
    {"timeout_ms", [](Node v, Path f, NoticeMailConfig& c) { return int_in(v, f, c.timeout_ms, 100, 120000); }},
};

}  // namespace

std::vector<std::string> notice_mail_config_keys() {
  std::vector<std::string> out;
  append_toml_key_names<NoticeMailConfig>("notices", kNoticeKeys, out);
  return out;
}

Status parse_notice_mail_config(std::string_view toml_text, NoticeMailConfig& out) {
  try {
    toml::table root = toml::parse(toml_text);
    if (const toml::node* n = root.get("notices")) {
      const toml::table* t = n->as_table();
      if (!t) return bad("[notices] must be a table");
      DUET_TRY_STATUS(read_toml_table<NoticeMailConfig>(*t, "notices", kNoticeKeys, out));
    }
  } catch (const toml::parse_error& e) {
    return bad(std::string("config: ") + std::string(e.description()));
  }
  if (out.enabled()) {
    if (!(out.smtp_url.starts_with("smtp://") || out.smtp_url.starts_with("smtps://")))
      return bad("notices.smtp_url must be smtp:// or smtps://");
    if (!httpclient::plausible_mail_address(out.mail_from))
      return bad("notices.mail_from must be a mail address (with smtp_url)");
    if (!out.smtp_username.empty() && out.smtp_password_file.empty())
      return bad("notices.smtp_password_file is required with smtp_username");
  }
  return Status::Ok();
}

}  // namespace duet::server
