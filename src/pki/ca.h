// The built-in CA: a root (self-signed) and an issuing CA below it, both SM2
// with SM3. Private keys are returned as Scalars: the caller seals them (see
// keys/) and hands the issuing key back to the issuer when it signs.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "crypto/random.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"
#include "pki/certificate.h"
#include "pki/name.h"
#include "pki/pki_time.h"

namespace duet::pki {

struct CaProfile {
  DistinguishedName root_subject{"CN", "Duet", "", "Duet Root CA", ""};
  DistinguishedName issuing_subject{"CN", "Duet", "", "Duet Issuing CA", ""};
  std::chrono::seconds root_validity = std::chrono::days(3653);    // 10 years
  std::chrono::seconds issuing_validity = std::chrono::days(1827); // 5 years
  // The SM2 ID used by the CA's signatures (certificates, CRLs, OCSP).
  std::string sm2_id = std::string(crypto::kDefaultSm2Id);
};

// What the issuer needs: the issuing certificate, its key, the root above it.
struct IssuingCa {
  Certificate certificate;
  crypto::Scalar private_key;
  Certificate root;
  std::string sm2_id = std::string(crypto::kDefaultSm2Id);
};

struct CaHierarchy {
  Certificate root_certificate;
  crypto::Scalar root_private_key;
  Certificate issuing_certificate;
  crypto::Scalar issuing_private_key;
  std::string sm2_id = std::string(crypto::kDefaultSm2Id);

  IssuingCa issuing_ca() const { return {issuing_certificate, issuing_private_key, root_certificate, sm2_id}; }
};

// Root: self-signed, root_validity, basicConstraints CA:TRUE (critical),
// keyUsage keyCertSign+cRLSign (critical), SKI. Issuing CA: issuing_validity
// (cut to the root's notAfter), CA:TRUE pathlen:0 (critical), same keyUsage,
// SKI and AKI. Fresh keys from `rng`; serials from random_serial.
Result<CaHierarchy> create_ca_hierarchy(const CaProfile& profile, crypto::RandomSource& rng,
                                        Time now = now_seconds());

// Imports an existing issuing CA: its certificate and PKCS#8 private key PEM and
// the root certificate. Refused (kInvalidArgument) unless the key is SM2 and
// matches the certificate, both certificates are CAs (CA:TRUE, keyCertSign),
// and the issuing certificate verifies under the root with `sm2_id`.
Result<IssuingCa> import_issuing_ca(std::string_view root_cert_pem, std::string_view issuing_cert_pem,
                                    std::string_view issuing_key_pem,
                                    std::string_view sm2_id = crypto::kDefaultSm2Id);

// The same for a whole hierarchy whose root key is also at hand.
Result<CaHierarchy> import_ca_hierarchy(std::string_view root_cert_pem, std::string_view root_key_pem,
                                        std::string_view issuing_cert_pem, std::string_view issuing_key_pem,
                                        std::string_view sm2_id = crypto::kDefaultSm2Id);

}  // namespace duet::pki
