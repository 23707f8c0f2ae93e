#include "cosign/json_fields.h"

#include "base/json_limits.h"

namespace duet::cosign::json_fields {

static Unexpected field_error(ErrorCode code, const char* key, const std::string& what) {
  return make_error(code, std::string("field \"") + key + "\": " + what);
}

Result<json> parse_object(std::string_view text) {
  // Bounded nesting: a caller may dump or copy what it gets (base/json_limits.h).
  json j = parse_json_bounded(text);
  if (j.is_discarded()) return make_error(ErrorCode::kBadEncoding, "not valid JSON (or nested too deeply)");
  if (!j.is_object()) return make_error(ErrorCode::kBadEncoding, "expected a JSON object");
  return j;
}

Result<std::string> get_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return field_error(ErrorCode::kBadEncoding, key, "missing");
  if (!it->is_string()) return field_error(ErrorCode::kBadEncoding, key, "must be a string");
  return it->get<std::string>();
}

Result<crypto::Point> get_point(const json& obj, const char* key) {
  DUET_ASSIGN_OR_RETURN(std::string hex, get_string(obj, key));
  auto p = crypto::Point::from_hex(hex);
  if (!p.ok()) return field_error(p.code(), key, p.error().message);
  return p;
}

Result<crypto::Scalar> get_scalar(const json& obj, const char* key, bool nonzero) {
  DUET_ASSIGN_OR_RETURN(std::string hex, get_string(obj, key));
  auto s = nonzero ? crypto::Scalar::from_hex_nonzero(hex) : crypto::Scalar::from_hex(hex);
  secure_wipe(hex.data(), hex.size());
  if (!s.ok()) return field_error(s.code(), key, s.error().message);
  return s;
}

Result<SchnorrProof> get_proof(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return field_error(ErrorCode::kBadEncoding, key, "missing");
  if (!it->is_object()) return field_error(ErrorCode::kBadEncoding, key, "must be an object");
  DUET_ASSIGN_OR_RETURN(crypto::Point t, get_point(*it, "t"));
  DUET_ASSIGN_OR_RETURN(crypto::Scalar z, get_scalar(*it, "z", false));
  return SchnorrProof{std::move(t), z};
}

json proof_json(const SchnorrProof& proof) { return json{{"t", proof.t.to_hex()}, {"z", proof.z.to_hex()}}; }

}  // namespace duet::cosign::json_fields
