// Authentication of Business API requests (DESIGN.md §6): app id → app and
// tenant; tenant not suspended; timestamp within ±window; HMAC-SM3 signature
// compared in constant time; nonce never seen before for this app; production
// credentials only from the tenant's activation date. The nonce is recorded
// only after the signature verified, so forged requests cannot burn nonces.
#pragma once

#include <string>

#include "core/contexts.h"
#include "core/core_deps.h"

namespace duet::core {

struct SignedRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string app_id;     // X-Duet-App-Id
  std::string timestamp;  // X-Duet-Timestamp, Unix seconds
  std::string nonce;      // X-Duet-Nonce, 8..64 characters
  std::string signature;  // X-Duet-Signature, lowercase or uppercase hex
  std::string body;
};

// kUnauthenticated (message says which check), kTenantSuspended,
// kServiceNotActive.
Result<AppContext> authenticate_business_request(CoreDeps& deps, const SignedRequest& request);

}  // namespace duet::core
