// JSON wire forms of the protocol messages (docs/protocol.md §2): points and
// scalars as lowercase hex, proofs as {"t": hex(T), "z": hex(z)}. Parsers are
// strict: a missing field, a wrong type, truncated or oversized hex is
// kBadEncoding; an invalid point kBadPoint; an out-of-range scalar kBadScalar.
// Unknown fields are ignored (forward compatibility).
#pragma once

#include <string>
#include <string_view>

#include "cosign/messages.h"

namespace duet::cosign {

std::string to_json(const KeygenRequest& m);
std::string to_json(const KeygenResponse& m);
std::string to_json(const SignRequest& m);
std::string to_json(const SignSessionRequest& m);
std::string to_json(const SignResponse& m);
std::string to_json(const SignFinish& m);
std::string to_json(const RefreshRequest& m);
std::string to_json(const RefreshResponse& m);
std::string to_json(const RefreshConfirm& m);

Result<KeygenRequest> parse_keygen_request(std::string_view json);
Result<KeygenResponse> parse_keygen_response(std::string_view json);
Result<SignRequest> parse_sign_request(std::string_view json);
// {"items": [SignRequest…], "pin_proof": proof}. At most max_items items
// (kInvalidArgument beyond, and for none). A v1 session request (items without
// "pin_proof") is kClientUpgradeRequired: v1 is no longer served.
Result<SignSessionRequest> parse_sign_session_request(std::string_view json, size_t max_items);
Result<SignResponse> parse_sign_response(std::string_view json);
Result<SignFinish> parse_sign_finish(std::string_view json);
Result<RefreshRequest> parse_refresh_request(std::string_view json);
Result<RefreshResponse> parse_refresh_response(std::string_view json);
Result<RefreshConfirm> parse_refresh_confirm(std::string_view json);

}  // namespace duet::cosign
