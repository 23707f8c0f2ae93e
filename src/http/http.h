// The framework-neutral HTTP model used by upper layers (core, binaries):
// requests, responses, handlers and the §6 error model. This header is light
// on purpose: no Boost, no JSON library, so `core` never pulls in Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace duet::http {

// Header names compare case-insensitively (RFC 9110 §5.1).
bool iequals(std::string_view a, std::string_view b);

// An ordered list of header fields with case-insensitive lookup. Repeated
// fields are kept in order.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // The first value of `name`, if present.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  // Replaces every field called `name` with one field.
  void set(std::string name, std::string value);
  // Appends a field (keeps existing ones).
  void add(std::string name, std::string value);
  void remove(std::string_view name);

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  size_t size() const { return fields_.size(); }

 private:
  std::vector<Field> fields_;
};

struct Request {
  std::string method;       // "GET", "POST", … as sent (methods are case-sensitive)
  std::string path;         // target path without the query, not percent-decoded
  std::string query;        // raw query string without '?', may be empty
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP (no port)
  std::string request_id;      // random hex, echoed as X-Request-Id
  std::string route;           // the matched route pattern, e.g. "/api/v1/orders/{id}"
  std::map<std::string, std::string, std::less<>> path_params;  // percent-decoded

  // A `{name}` segment of the matched route; empty view when absent.
  std::string_view param(std::string_view name) const;
  // The first value of a query parameter, percent-decoded ('+' is a space).
  std::optional<std::string> query_param(std::string_view name) const;
  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  std::string content_type;  // empty: no Content-Type header
  // The tenant the request was served for, when the handler knew it (set by
  // the API's authentication wrappers). Not sent: given to
  // ServerOptions::on_request for per-tenant availability accounting.
  std::string tenant_id;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);
  static Response empty(int status);  // e.g. 204
};

using Handler = std::function<Response(const Request&)>;

// §6 error body: {"error": {"code": "...", "message": "...", "request_id": "..."}}
// with Content-Type application/json.
Response json_error(int status, std::string_view code, std::string_view message,
                    std::string_view request_id);

// The HTTP status that fits a base error code (400 bad input, 409 state,
// 422 proof failed, 423 locked, 500 internal …).
int status_for(ErrorCode code);

// json_error for a base Error: code name from error_code_name(); for 5xx the
// message is replaced by a generic one (internal details stay in the logs).
Response error_response(const Error& error, std::string_view request_id);

// 32 lowercase hex characters from the OS CSPRNG (128 bits).
std::string new_request_id();

// Percent-decodes `s`; with plus_as_space, '+' becomes ' ' (query strings).
// Malformed escapes are kept literally.
std::string percent_decode(std::string_view s, bool plus_as_space = false);

// The standard reason phrase for a status code ("Not Found"), or "".
std::string_view reason_phrase(int status);

}  // namespace duet::http
