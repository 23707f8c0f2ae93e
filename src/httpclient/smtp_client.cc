#include "httpclient/smtp_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace duet::httpclient {
namespace {

CURLcode global_init() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return rc;
}

struct Upload {
  const std::string* data = nullptr;
  size_t offset = 0;
};

extern "C" size_t duet_smtp_read(char* buffer, size_t size, size_t nitems, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t room = size * nitems;
  const size_t left = u->data->size() - u->offset;
  const size_t n = std::min(room, left);
  std::copy_n(u->data->data() + u->offset, n, buffer);
  u->offset += n;
  return n;
}

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

Unexpected unavailable(const char* stage) { return make_error(ErrorCode::kUnavailable, stage); }

// libcurl's result as a fixed, retryable message (no server text: it may echo the address).
Unexpected failure(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return unavailable("smtp: connect");
    case CURLE_OPERATION_TIMEDOUT:
      return unavailable("smtp: timeout");
    case CURLE_LOGIN_DENIED:
      return unavailable("smtp: auth");
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return unavailable("smtp: tls");
    default:
      return unavailable("smtp: rejected");
  }
}

}  // namespace

bool plausible_mail_address(std::string_view a) {
  if (a.empty() || a.size() > 254) return false;
  size_t at = a.find('@');
  if (at == 0 || at == a.npos || at + 1 >= a.size() || a.find('@', at + 1) != a.npos) return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == '"' || c == '\'' || c == '\\' ||
        c == '(' || c == ')' || c == ';')
      return false;
  return true;
}

Status send_mail(const SmtpServer& server, const MailMessage& message) {
  if (!(server.url.starts_with("smtp://") || server.url.starts_with("smtps://")))
    return make_error(ErrorCode::kInvalidArgument, "smtp: the server URL must be smtp:// or smtps://");
  if (!plausible_mail_address(message.from) || !plausible_mail_address(message.to))
    return make_error(ErrorCode::kInvalidArgument, "smtp: not a usable address");
  for (size_t i = 0; i < message.data.size(); ++i)
    if (message.data[i] == '\n' && (i == 0 || message.data[i - 1] != '\r'))
      return make_error(ErrorCode::kInvalidArgument, "smtp: the message must end its lines with CRLF");
  if (server.timeout_ms <= 0) return make_error(ErrorCode::kInvalidArgument, "smtp: timeout must be positive");
  if (global_init() != CURLE_OK) return make_error(ErrorCode::kInternal, "smtp: libcurl did not initialise");

  std::unique_ptr<CURL, CurlDeleter> h(curl_easy_init());
  if (!h) return make_error(ErrorCode::kInternal, "smtp: no libcurl handle");
  const std::string from = "<" + message.from + ">";
  const std::string to = "<" + message.to + ">";
  std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, to.c_str()));
  if (!rcpt) return make_error(ErrorCode::kInternal, "smtp: out of memory");
  Upload up{&message.data, 0};
  CURL* c = h.get();
  bool ok = true;
  auto set = [&](CURLcode rc) { ok = ok && rc == CURLE_OK; };
  set(curl_easy_setopt(c, CURLOPT_URL, server.url.c_str()));
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps"));
  set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, server.timeout_ms));
  set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, server.timeout_ms));
  set(curl_easy_setopt(c, CURLOPT_VERBOSE, 0L));
  set(curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str()));
  set(curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get()));
  set(curl_easy_setopt(c, CURLOPT_UPLOAD, 1L));
  set(curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.data.size())));
  set(curl_easy_setopt(c, CURLOPT_READFUNCTION, duet_smtp_read));
  set(curl_easy_setopt(c, CURLOPT_READDATA, &up));
  if (server.require_tls) set(curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL)));
  if (server.ca_file) set(curl_easy_setopt(c, CURLOPT_CAINFO, server.ca_file->c_str()));
  if (!server.username.empty()) {
    set(curl_easy_setopt(c, CURLOPT_USERNAME, server.username.c_str()));
    set(curl_easy_setopt(c, CURLOPT_PASSWORD, server.password.c_str()));
  }
  if (!ok) return make_error(ErrorCode::kInternal, "smtp: libcurl refused an option");
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return failure(rc);
  return Status::Ok();
}

}  // namespace duet::httpclient
