// Internal: strict field readers over nlohmann::json for the cosign wire and
// state formats. Only .cc files of cosign include this (nlohmann is heavy).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "cosign/schnorr_proof.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace duet::cosign::json_fields {

using nlohmann::json;

// Parses without exceptions; anything but a JSON object, or one nested deeper
// than kMaxJsonDepth (base/json_limits.h), is kBadEncoding.
Result<json> parse_object(std::string_view text);

Result<std::string> get_string(const json& obj, const char* key);
Result<crypto::Point> get_point(const json& obj, const char* key);
// Scalar in [0, n) or, with nonzero, [1, n).
Result<crypto::Scalar> get_scalar(const json& obj, const char* key, bool nonzero);
Result<SchnorrProof> get_proof(const json& obj, const char* key);

json proof_json(const SchnorrProof& proof);

}  // namespace duet::cosign::json_fields
