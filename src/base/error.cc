#include "base/error.h"

namespace duet {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kBadEncoding: return "bad_encoding";
    case ErrorCode::kBadScalar: return "bad_scalar";
    case ErrorCode::kBadPoint: return "bad_point";
    case ErrorCode::kBadProof: return "bad_proof";
    case ErrorCode::kSignatureInvalid: return "signature_invalid";
    case ErrorCode::kRetry: return "retry";
    case ErrorCode::kBadState: return "bad_state";
    case ErrorCode::kUnsupportedVersion: return "unsupported_version";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kCryptoFailure: return "crypto_failure";
    case ErrorCode::kLocked: return "locked";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kServiceNotActive: return "service_not_active";
    case ErrorCode::kTenantSuspended: return "tenant_suspended";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kQuotaExhausted: return "quota_exhausted";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kExpired: return "expired";
    case ErrorCode::kIdentityRejected: return "identity_rejected";
    case ErrorCode::kPinInvalid: return "pin_invalid";
    case ErrorCode::kClientUpgradeRequired: return "client_upgrade_required";
    case ErrorCode::kRefreshRequired: return "refresh_required";
    case ErrorCode::kNotPdf: return "not_pdf";
    case ErrorCode::kPdfMalformed: return "pdf_malformed";
    case ErrorCode::kPdfEncrypted: return "pdf_encrypted";
    case ErrorCode::kConsentRequired: return "consent_required";
  }
  return "internal";
}

std::string Error::to_string() const {
  std::string out(error_code_name(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace duet
