// PKCS#10 certification requests for a holder key that is never in one place:
// the request is built here, its signature comes from an ExternalSigner.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/sm2.h"
#include "pki/external_signer.h"
#include "pki/name.h"

namespace duet::pki {

// DER PKCS#10 request for `public_key` with `subject`, SM2-with-SM3, signed by
// `signer` over e = SM3(Z_A(public_key, sm2_id) ‖ CertificationRequestInfo).
// The signature is checked before returning (a wrong signer is kSignatureInvalid).
Result<Bytes> build_csr(const crypto::Point& public_key, const DistinguishedName& subject, const ExternalSigner& signer,
                        std::string_view sm2_id = crypto::kDefaultSm2Id);

struct VerifiedCsr {
  crypto::Point public_key;
  std::string subject;  // RFC 2253
  DistinguishedName subject_fields;
};

// Parses a DER request (or PEM "CERTIFICATE REQUEST") and verifies its
// signature with the ID. kBadEncoding: not a request; kInvalidArgument: not
// SM2 / not SM2-with-SM3; kSignatureInvalid: the signature does not verify.
Result<VerifiedCsr> verify_csr(ByteView der_or_pem, std::string_view sm2_id = crypto::kDefaultSm2Id);

// PEM form of a DER request.
std::string csr_pem(ByteView der);

}  // namespace duet::pki
