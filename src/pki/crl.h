// Certificate revocation lists (RFC 5280 v2) signed by the issuing CA.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "pki/ca.h"
#include "pki/pki_time.h"

namespace duet::pki {

// RFC 5280 CRLReason values (7 is unused by the standard).
enum class RevocationReason : int {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

struct RevokedEntry {
  Bytes serial;  // big-endian magnitude, as Certificate::serial_bytes()
  Time revoked_at;
  RevocationReason reason = RevocationReason::kUnspecified;
};

struct CrlParams {
  uint64_t crl_number = 1;  // monotonically increasing per CA (the store keeps it)
  Time this_update;
  std::chrono::seconds next_update_after = std::chrono::days(7);
};

// DER CRL: v2, issuer = the issuing CA, thisUpdate/nextUpdate, entries sorted by
// serial each with a reasonCode extension (none for kUnspecified, as RFC 5280
// recommends), cRLNumber and authorityKeyIdentifier extensions, SM2-with-SM3
// by the issuing CA's key with its ID.
Result<Bytes> build_crl(const IssuingCa& ca, const std::vector<RevokedEntry>& revoked, const CrlParams& params);

// Verifies a DER CRL's signature under the issuing CA's key with the ID
// (OpenSSL 3.0 cannot: X509_CRL carries no distinguishing ID).
Status verify_crl(ByteView der, const Certificate& issuer, std::string_view sm2_id = crypto::kDefaultSm2Id);

// What a CRL says of one serial (big-endian magnitude, as
// Certificate::serial_bytes()). Reads only: check the CRL with verify_crl
// first.
struct CrlAnswer {
  Time this_update{};
  std::optional<Time> next_update;
  std::optional<RevokedEntry> revoked;  // nullopt: not on the list
};
Result<CrlAnswer> crl_lookup(ByteView der, ByteView serial);

// The first URI of the certificate's CRL distribution points ("" when none).
std::string crl_distribution_point(const Certificate& cert);

}  // namespace duet::pki
