// Typed error codes shared by every layer. The snake_case names are the wire
// codes of docs/api/openapi.yaml and must not change once published.
#pragma once

#include <string>
#include <string_view>

namespace duet {

enum class ErrorCode {
  kOk = 0,
  // Encoding and validation of protocol inputs.
  kBadEncoding,       // malformed hex, wrong length, unparseable message
  kBadScalar,         // scalar zero or >= n where that is not allowed
  kBadPoint,          // not on the curve, the point at infinity, or not SEC1 uncompressed
  kBadProof,          // a Schnorr proof that does not verify
  kSignatureInvalid,  // a final SM2 signature that does not verify (e.g. wrong PIN)
  kRetry,             // r = 0 or s = 0 (probability ~2^-256): run the round again
  kBadState,          // a call out of protocol order, or a state blob that does not parse
  kUnsupportedVersion,
  kInvalidArgument,
  kCryptoFailure,     // OpenSSL reported an internal failure
  kLocked,            // too many failed attempts
  kInternal,
  // Service-level outcomes (HTTP mapping in the server layer, docs/api/openapi.yaml).
  kNotFound,          // no such thing, or not the caller's (other tenants' ids look absent)
  kConflict,          // state conflict: lost a race, wrong state, duplicate
  kUnauthenticated,   // missing or bad credentials, signature, timestamp or nonce
  kForbidden,         // authenticated but not allowed
  kServiceNotActive,  // production credentials before the tenant's activation date
  kTenantSuspended,   // the operator suspended the tenant
  kPayloadTooLarge,
  kRateLimited,
  kQuotaExhausted,
  kUnavailable,       // a dependency (store, KEK) is not available right now
  kExpired,           // the thing (code, order) has expired
  kIdentityRejected,  // the identity source does not confirm the claimed identity
  kPinInvalid,        // signing step 1: the PIN proof does not verify (a wrong PIN); the attempt counted
  kClientUpgradeRequired,  // a message of an older protocol version that is no longer served
  kRefreshRequired,   // the holder was unlocked: a share refresh must run before the next signature
  // Documents (src/pdf, docs/pdf.md). An over-size document is kPayloadTooLarge.
  kNotPdf,            // the bytes do not start with a PDF header (%PDF-)
  kPdfMalformed,      // a PDF header, but the file does not parse (xref, trailer, objects, no pages)
  kPdfEncrypted,      // an encrypted PDF (any password, even empty): it is neither stamped nor verified
  kConsentRequired,   // the holder has not accepted the current agreement texts (docs/consent.md)
};

// The stable snake_case name of a code, e.g. "bad_point".
std::string_view error_code_name(ErrorCode code);

// An error value: a code for programs and a message for people. Messages never
// carry secrets or personal data.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // For kPinInvalid and kLocked from a PIN use: the attempts left before the
  // key locks (the HTTP error body carries it as "attempts_left"); -1: none.
  int attempts_left = -1;

  std::string to_string() const;
};

}  // namespace duet
