// Reading the JSON bodies and query parameters of the three APIs under the
// error model of docs/api/openapi.yaml: malformed JSON is 400 bad_encoding; a
// missing field or a field of the wrong type is 400 invalid_argument naming
// the field (with `prefix`, e.g. "items[2].data_base64").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "http/http.h"

namespace duet::server {

// 400 invalid_argument with `message`.
Unexpected invalid(std::string message);

// The body as a JSON object (bounded nesting, base/json_limits.h). An empty
// body is {} when `allow_empty`, else bad_encoding.
Result<nlohmann::json> parse_body(const http::Request& req, bool allow_empty);

// "prefix.key", or "key" without a prefix.
std::string field_name(std::string_view prefix, std::string_view key);

// Absent and null are "not given" (nullopt); the req_* forms require the field.
Result<std::optional<std::string>> opt_string(const nlohmann::json& obj, std::string_view key,
                                              std::string_view prefix = {});
Result<std::string> req_string(const nlohmann::json& obj, std::string_view key, std::string_view prefix = {});
Result<std::optional<int64_t>> opt_int(const nlohmann::json& obj, std::string_view key);  // int64 range
Result<int64_t> req_int(const nlohmann::json& obj, std::string_view key);
Result<const nlohmann::json*> req_array(const nlohmann::json& obj, std::string_view key);
Result<const nlohmann::json*> req_object(const nlohmann::json& obj, std::string_view key);

// Protocol messages go through cosign's strict wire parsers (which take the
// message's JSON text); their errors (bad_encoding, bad_point, bad_scalar)
// keep their code and name the field `what`.
template <typename T>
Result<T> parse_wire(const nlohmann::json& j, Result<T> (*parse)(std::string_view), const std::string& what) {
  if (!j.is_object()) return invalid("'" + what + "' must be an object");
  auto r = parse(j.dump());
  if (!r.ok()) return make_error(r.code(), what + ": " + r.error().message);
  return r;
}

// The JSON value of a protocol message encoded by cosign's wire encoder
// (cosign::to_json), to embed in an answer. Only for our own encoder's output,
// which is always valid JSON (it throws otherwise).
nlohmann::json wire_message_json(const std::string& encoded);

// ?limit= of the list routes: 1..200, `def` when absent.
Result<size_t> parse_limit(const http::Request& req, size_t def);

// An integer query parameter in [min, max] (an optional leading '-'), `def`
// when absent.
Result<int64_t> query_int(const http::Request& req, std::string_view name, int64_t def, int64_t min, int64_t max);

// 2xx/4xx JSON answer; strings that are not UTF-8 are replaced, never thrown on.
http::Response json_response(int status, const nlohmann::json& j);

// An answer with a body of `content_type` (PKI files, QR images).
http::Response binary_response(int status, std::string body, std::string content_type);

}  // namespace duet::server
