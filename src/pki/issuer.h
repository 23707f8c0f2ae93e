// Holder certificates: X.509 v3 end-entity certificates for SM2 keys whose
// private half is split between the holder's device and the service. The
// issuing CA signs with its own key (a Scalar the caller unsealed) after the
// to-be-signed certificate passed lint_certificate.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "pki/ca.h"
#include "pki/certificate.h"
#include "pki/lint.h"
#include "pki/name.h"
#include "pki/pki_time.h"

namespace duet::pki {

struct HolderProfile {
  // CN = the holder's full name; serialNumber = a keyed-hash-derived pseudonym
  // computed by the caller (never the raw ID number); O and C configurable.
  DistinguishedName subject;
  std::chrono::seconds validity = std::chrono::days(365);
  std::optional<Time> not_before;  // default: the issuance time
  std::string crl_url;             // CRL distribution point (URI)
  std::string ocsp_url;            // authorityInfoAccess OCSP (URI)
  std::string ca_issuers_url;      // authorityInfoAccess caIssuers (optional)
  std::string policy_oid;          // certificatePolicies
  // The holder's resident ID number for the GM/T 0015 IdentifyCode extension
  // (pki/identify_code.h; non-critical), written only when the tenant's
  // certificate identity policy is gmt0015. Empty: no such extension.
  std::string identify_code;
};

// Issues a certificate for `holder_key` with the subject and extensions of
// `profile` (keyUsage digitalSignature+nonRepudiation critical, basicConstraints
// CA:FALSE, SKI, AKI, CRL DP, AIA, certificatePolicies), a fresh serial that
// `policy.serial_is_unused` accepts, lint, then the CA's SM2-with-SM3 signature.
Result<Certificate> issue_holder_certificate(const IssuingCa& ca, const crypto::Point& holder_key,
                                             const HolderProfile& profile, const IssuancePolicy& policy,
                                             crypto::RandomSource& rng, Time now = now_seconds());

// The same from a PKCS#10 request: its signature is verified (with the
// holder's ID) and its key certified. The subject comes from `profile`, not
// the request (the CA decides what it attests).
Result<Certificate> issue_holder_certificate_from_csr(const IssuingCa& ca, ByteView csr_der,
                                                      const HolderProfile& profile, const IssuancePolicy& policy,
                                                      crypto::RandomSource& rng, Time now = now_seconds(),
                                                      std::string_view holder_sm2_id = crypto::kDefaultSm2Id);

// An OCSP responder certificate from the issuing CA: EKU id-kp-OCSPSigning
// (critical), keyUsage digitalSignature (critical), id-pkix-ocsp-nocheck, SKI/AKI.
Result<Certificate> issue_ocsp_signer_certificate(const IssuingCa& ca, const crypto::Point& responder_key,
                                                  const DistinguishedName& subject, std::chrono::seconds validity,
                                                  crypto::RandomSource& rng, Time now = now_seconds());

// A time-stamping unit certificate from the issuing CA (RFC 3161 §2.3): EKU
// id-kp-timeStamping only (critical), keyUsage digitalSignature +
// nonRepudiation (critical), SKI/AKI. Cut to the issuing CA's notAfter.
Result<Certificate> issue_tsa_certificate(const IssuingCa& ca, const crypto::Point& tsa_key,
                                          const DistinguishedName& subject, std::chrono::seconds validity,
                                          crypto::RandomSource& rng, Time now = now_seconds());

}  // namespace duet::pki
