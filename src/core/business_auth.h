// Authentication of Business API requests (docs/api/openapi.yaml): app id → app and
// tenant; tenant not suspended; timestamp within ±window; HMAC-SM3 signature
// (core/request_signing.h: v2 with X-Duet-Signature-Version: 2, else v1)
// compared in constant time; nonce never seen before for this app; v1 only
// before the tenant's signature_v1_cutoff; production credentials only from
// the tenant's activation date. The nonce is recorded only after the
// signature verified, so forged requests cannot burn nonces.
#pragma once

#include <string>
#include <string_view>

#include "core/contexts.h"
#include "core/core_deps.h"
#include "store/write_context.h"

namespace duet::core {

struct SignedRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string app_id;     // X-Duet-App-Id
  std::string timestamp;  // X-Duet-Timestamp, Unix seconds
  std::string nonce;      // X-Duet-Nonce, 8..64 characters
  std::string signature;  // X-Duet-Signature, lowercase or uppercase hex
  std::string signature_version;  // X-Duet-Signature-Version: "2", or "" for v1
  std::string idempotency_key;    // Idempotency-Key ("" when absent), signed by v2
  std::string body;
};

// The fixed message of the 401 a v1 request gets from its tenant's cut-off
// on (docs/api/openapi.yaml, signedRequest).
inline constexpr std::string_view kSignatureV1RetiredMessage =
    "request-signature v1 is no longer accepted for this tenant: sign with X-Duet-Signature-Version: 2";

// kUnauthenticated (message says which check; kSignatureV1RetiredMessage for
// v1 past the cut-off), kTenantSuspended, kServiceNotActive.
//
// With `defer` null the nonce is recorded here (a replay is refused with
// kUnauthenticated "nonce already used"). With `defer` set, the nonce is
// NOT recorded: once the signature has verified and the tenant is not
// suspended, `*defer` is filled (even if a later check fails) and the
// caller must record it, in the request's first write transaction (its
// store::WriteContext, store/write_context.h) or on its own before
// answering, whatever the outcome.
Result<AppContext> authenticate_business_request(CoreDeps& deps, const SignedRequest& request,
                                                 store::PendingNonce* defer = nullptr);

// Records a deferred nonce that no write transaction recorded:
// kUnauthenticated "nonce already used" if it was seen before. Call once
// the request's writes are done (no write given the nonce committed).
Status record_deferred_nonce(CoreDeps& deps, store::PendingNonce& nonce);

}  // namespace duet::core
