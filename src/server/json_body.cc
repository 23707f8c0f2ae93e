#include "server/json_body.h"

#include <limits>

#include "base/json_limits.h"

namespace duet::server {

using json = nlohmann::json;

Unexpected invalid(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

Result<json> parse_body(const http::Request& req, bool allow_empty) {
  if (req.body.empty()) {
    if (allow_empty) return json::object();
    return make_error(ErrorCode::kBadEncoding, "the request body must be a JSON object");
  }
  // Bounded nesting: handlers dump and copy bodies, which recurse per level
  // (base/json_limits.h; a 100,000-deep body overflowed the stack).
  json j = parse_json_bounded(req.body);
  if (j.is_discarded()) return make_error(ErrorCode::kBadEncoding, "the request body is not valid JSON (or nested too deeply)");
  if (!j.is_object()) return invalid("the request body must be a JSON object");
  return j;
}

std::string field_name(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

Result<std::optional<std::string>> opt_string(const json& obj, std::string_view key, std::string_view prefix) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return invalid("field '" + field_name(prefix, key) + "' must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> req_string(const json& obj, std::string_view key, std::string_view prefix) {
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> v, opt_string(obj, key, prefix));
  if (!v) return invalid("field '" + field_name(prefix, key) + "' is required");
  return std::move(*v);
}

Result<std::optional<int64_t>> opt_int(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return invalid("field '" + std::string(key) + "' must be an integer");
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return invalid("field '" + std::string(key) + "' is out of range");
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<int64_t> req_int(const json& obj, std::string_view key) {
  DUET_ASSIGN_OR_RETURN(std::optional<int64_t> v, opt_int(obj, key));
  if (!v) return invalid("field '" + std::string(key) + "' is required");
  return *v;
}

Result<const json*> req_array(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return invalid("field '" + std::string(key) + "' is required");
  if (!it->is_array()) return invalid("field '" + std::string(key) + "' must be an array");
  return &*it;
}

Result<const json*> req_object(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return invalid("field '" + std::string(key) + "' is required");
  if (!it->is_object()) return invalid("field '" + std::string(key) + "' must be an object");
  return &*it;
}

json wire_message_json(const std::string& encoded) { return json::parse(encoded); }

Result<size_t> parse_limit(const http::Request& req, size_t def) {
  auto v = req.query_param("limit");
  if (!v) return def;
  if (v->empty() || v->size() > 4) return invalid("limit must be an integer from 1 to 200");
  size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return invalid("limit must be an integer from 1 to 200");
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n < 1 || n > 200) return invalid("limit must be an integer from 1 to 200");
  return n;
}

Result<int64_t> query_int(const http::Request& req, std::string_view name, int64_t def, int64_t min, int64_t max) {
  auto v = req.query_param(name);
  if (!v) return def;
  int64_t n = 0;
  bool neg = !v->empty() && (*v)[0] == '-';
  std::string_view digits = std::string_view(*v).substr(neg ? 1 : 0);
  if (digits.empty() || digits.size() > 18) return invalid(std::string(name) + " must be an integer");
  for (char c : digits) {
    if (c < '0' || c > '9') return invalid(std::string(name) + " must be an integer");
    n = n * 10 + (c - '0');
  }
  if (neg) n = -n;
  if (n < min || n > max) return invalid(std::string(name) + " is out of range");
  return n;
}

http::Response json_response(int status, const json& j) {
  return http::Response::json(status, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

http::Response binary_response(int status, std::string body, std::string content_type) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

}  // namespace duet::server
