#include "cosign/wire.h"

#include "cosign/json_fields.h"

namespace duet::cosign {

using namespace json_fields;
using crypto::Point;
using crypto::Scalar;

std::string to_json(const KeygenRequest& m) {
  return json{{"p1", m.p1.to_hex()}, {"proof", proof_json(m.proof)}}.dump();
}
std::string to_json(const KeygenResponse& m) {
  return json{{"public_key", m.public_key.to_hex()}, {"proof", proof_json(m.proof)}}.dump();
}
std::string to_json(const SignRequest& m) {
  return json{{"q1", m.q1.to_hex()}, {"proof", proof_json(m.proof)}}.dump();
}
std::string to_json(const SignSessionRequest& m) {
  json items = json::array();
  for (const auto& item : m.items) items.push_back(json{{"q1", item.q1.to_hex()}, {"proof", proof_json(item.proof)}});
  return json{{"items", std::move(items)}, {"pin_proof", proof_json(m.pin_proof)}}.dump();
}
std::string to_json(const SignResponse& m) {
  return json{{"r", m.r.to_hex()}, {"s2", m.s2.to_hex()}, {"s3", m.s3.to_hex()}}.dump();
}
std::string to_json(const SignFinish& m) { return json{{"s", m.s.to_hex()}}.dump(); }
std::string to_json(const RefreshRequest& m) {
  return json{{"rho", m.rho.to_hex()}, {"proof", proof_json(m.proof)}}.dump();
}
std::string to_json(const RefreshResponse& m) { return json{{"proof", proof_json(m.proof)}}.dump(); }
std::string to_json(const RefreshConfirm& m) { return json{{"proof", proof_json(m.proof)}}.dump(); }

Result<KeygenRequest> parse_keygen_request(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(Point p1, get_point(j, "p1"));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, get_proof(j, "proof"));
  return KeygenRequest{std::move(p1), std::move(proof)};
}

Result<KeygenResponse> parse_keygen_response(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(Point p, get_point(j, "public_key"));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, get_proof(j, "proof"));
  return KeygenResponse{std::move(p), std::move(proof)};
}

Result<SignRequest> parse_sign_request(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(Point q1, get_point(j, "q1"));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, get_proof(j, "proof"));
  return SignRequest{std::move(q1), std::move(proof)};
}

Result<SignSessionRequest> parse_sign_session_request(std::string_view text, size_t max_items) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  auto items = j.find("items");
  if (items == j.end() || !items->is_array()) return make_error(ErrorCode::kBadEncoding, "field \"items\": must be an array");
  if (items->empty()) return make_error(ErrorCode::kInvalidArgument, "field \"items\": at least one item");
  if (items->size() > max_items) return make_error(ErrorCode::kInvalidArgument, "field \"items\": too many items");
  if (j.find("pin_proof") == j.end()) {
    return make_error(ErrorCode::kClientUpgradeRequired,
                      "protocol v1 signing (no pin_proof) is no longer served: update the holder app");
  }
  DUET_ASSIGN_OR_RETURN(SchnorrProof pin_proof, get_proof(j, "pin_proof"));
  SignSessionRequest out{{}, std::move(pin_proof)};
  for (size_t i = 0; i < items->size(); ++i) {
    const json& item = (*items)[i];
    if (!item.is_object()) return make_error(ErrorCode::kBadEncoding, "items[" + std::to_string(i) + "]: must be an object");
    auto q1 = get_point(item, "q1");
    if (!q1.ok()) return make_error(q1.code(), "items[" + std::to_string(i) + "]: " + q1.error().message);
    auto proof = get_proof(item, "proof");
    if (!proof.ok()) return make_error(proof.code(), "items[" + std::to_string(i) + "]: " + proof.error().message);
    out.items.push_back(SignRequest{std::move(*q1), std::move(*proof)});
  }
  return out;
}

Result<SignResponse> parse_sign_response(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(Scalar r, get_scalar(j, "r", true));
  DUET_ASSIGN_OR_RETURN(Scalar s2, get_scalar(j, "s2", true));
  DUET_ASSIGN_OR_RETURN(Scalar s3, get_scalar(j, "s3", true));
  return SignResponse{r, s2, s3};
}

Result<SignFinish> parse_sign_finish(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(Scalar s, get_scalar(j, "s", true));
  return SignFinish{s};
}

Result<RefreshRequest> parse_refresh_request(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(Scalar rho, get_scalar(j, "rho", true));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, get_proof(j, "proof"));
  return RefreshRequest{rho, std::move(proof)};
}

Result<RefreshResponse> parse_refresh_response(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, get_proof(j, "proof"));
  return RefreshResponse{std::move(proof)};
}

Result<RefreshConfirm> parse_refresh_confirm(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, get_proof(j, "proof"));
  return RefreshConfirm{std::move(proof)};
}

}  // namespace duet::cosign
