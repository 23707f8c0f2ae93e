#include "http/http.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/bytes.h"

namespace duet::http {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return iequals(f.first, name); });
}

std::string_view Request::param(std::string_view name) const {
  auto it = path_params.find(name);
  return it == path_params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    if (key == name)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

Response Response::json(int status, std::string body) {
  Response r = empty(status);
  r.body = std::move(body);
  r.content_type = "application/json";
  return r;
}

Response Response::text(int status, std::string body) {
  Response r = empty(status);
  r.body = std::move(body);
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

Response json_error(int status, std::string_view code, std::string_view message,
                    std::string_view request_id) {
  nlohmann::json j;
  j["error"] = {{"code", code}, {"message", message}, {"request_id", request_id}};
  // `replace` keeps a response well-formed even if a message carries bad UTF-8.
  return Response::json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

int status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kBadEncoding:
    case ErrorCode::kBadScalar:
    case ErrorCode::kBadPoint:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotPdf:
    case ErrorCode::kPdfMalformed:
    case ErrorCode::kPdfEncrypted: return 400;
    case ErrorCode::kBadProof:
    case ErrorCode::kSignatureInvalid:
    case ErrorCode::kIdentityRejected:
    case ErrorCode::kPinInvalid: return 422;
    case ErrorCode::kClientUpgradeRequired: return 426;
    case ErrorCode::kRefreshRequired: return 409;
    case ErrorCode::kConsentRequired: return 409;
    case ErrorCode::kBadState:
    case ErrorCode::kRetry: return 409;
    case ErrorCode::kLocked: return 423;
    case ErrorCode::kUnsupportedVersion: return 426;
    case ErrorCode::kCryptoFailure:
    case ErrorCode::kInternal: return 500;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict:
    case ErrorCode::kExpired: return 409;  // expiry is a final state: a state conflict
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kForbidden:
    case ErrorCode::kTenantSuspended: return 403;
    case ErrorCode::kServiceNotActive:
    case ErrorCode::kQuotaExhausted: return 402;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kUnavailable: return 503;
  }
  return 500;
}

Response error_response(const Error& error, std::string_view request_id) {
  int status = status_for(error.code);
  // 5xx: internal details stay in the logs.
  if (status == 503)
    return json_error(status, "unavailable", "service temporarily unavailable", request_id);
  if (status >= 500) return json_error(status, "internal", "internal error", request_id);
  Response r = json_error(status, error_code_name(error.code), error.message, request_id);
  if (error.attempts_left >= 0) {
    nlohmann::json j;
    j["error"] = {{"code", error_code_name(error.code)},
                  {"message", error.message},
                  {"attempts_left", error.attempts_left},
                  {"request_id", request_id}};
    r = Response::json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return r;
}

std::string new_request_id() {
  uint8_t buf[16];
  if (RAND_bytes(buf, sizeof buf) != 1) std::abort();  // no safe fallback
  return to_hex(ByteView(buf, sizeof buf));
}

std::string percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace duet::http
