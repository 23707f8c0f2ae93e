// Authentication of Business API requests (DESIGN.md §6): app id → app and
// tenant; tenant not suspended; timestamp within ±window; HMAC-SM3 signature
// compared in constant time; nonce never seen before for this app; production
// credentials only from the tenant's activation date. The nonce is recorded
// only after the signature verified, so forged requests cannot burn nonces.
#pragma once

#include <string>

#include "store/nonce_scope.h"

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
//
// With `defer` null the nonce is recorded here (a replay is refused with
// kUnauthenticated "nonce already used"). With `defer` set, the nonce is
// NOT recorded: once the signature has verified and the tenant is not
// suspended, `*defer` is filled (even if a later check fails) and the
// caller must record it, in the request's first write transaction
// (store/nonce_scope.h) or on its own before answering, whatever the
// outcome.
Result<AppContext> authenticate_business_request(CoreDeps& deps, const SignedRequest& request,
                                                 store::PendingNonce* defer = nullptr);

// Records a deferred nonce that no write transaction recorded:
// kUnauthenticated "nonce already used" if it was seen before. Call with the
// nonce no longer bound (store::ScopedRequestNonce out of scope).
Status record_deferred_nonce(CoreDeps& deps, store::PendingNonce& nonce);

}  // namespace duet::core
