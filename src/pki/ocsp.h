// OCSP responder core (RFC 6960): DER OCSPRequest in, DER OCSPResponse out.
// Transport (HTTP GET/POST) belongs to the service layer.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/bytes.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/pki_time.h"

namespace duet::pki {

enum class CertStatus { kGood, kRevoked, kUnknown };

struct StatusAnswer {
  CertStatus status = CertStatus::kUnknown;
  Time revoked_at{};                                       // kRevoked only
  RevocationReason reason = RevocationReason::kUnspecified;  // kRevoked only
};

// Status of a certificate of `issuer` by serial (big-endian magnitude). An
// error makes the whole response internalError.
using StatusLookup = std::function<Result<StatusAnswer>(ByteView serial)>;

struct OcspResponderConfig {
  Certificate issuer;          // the CA whose certificates are answered for
  Certificate signer;          // delegated responder (issue_ocsp_signer_certificate)
  crypto::Scalar signer_key;
  std::chrono::seconds validity = std::chrono::hours(24);  // nextUpdate - thisUpdate
  // The SM2 ID of the response signature. OpenSSL 3.0 clients (OCSP_basic_verify,
  // `openssl ocsp`) verify SM2 responses with an empty ID only; GM/T clients
  // expect the standard one.
  std::string sm2_id = std::string(crypto::kDefaultSm2Id);
};

// Answers every CertID of the request: good / revoked(time, reason) / unknown
// (unknown also for CertIDs of another issuer or an unsupported hash), echoes
// the nonce, signs with SM2-with-SM3 and includes the signer's certificate.
// A request that does not parse or holds no CertID gets malformedRequest;
// a lookup failure gets internalError. Always returns a DER OCSPResponse
// (kCryptoFailure only if OpenSSL cannot build one).
Result<Bytes> ocsp_respond(const OcspResponderConfig& config, ByteView request_der, const StatusLookup& lookup,
                           Time now = now_seconds());

// Client-side check of a response's signature by `responder` with the ID
// (what OCSP_basic_verify cannot do for SM2 in OpenSSL 3.0).
Status verify_ocsp_response_signature(ByteView response_der, const Certificate& responder,
                                      std::string_view sm2_id = crypto::kDefaultSm2Id);

}  // namespace duet::pki
