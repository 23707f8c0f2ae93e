// Signature verification for relying parties (issue 4 item 7): POST
// /api/v1/verify and `duet verify` (local) share this.
//
// Formats:
//  - raw (r‖s, 64 bytes) and der (SEQUENCE{r, s}): over data (e = SM3(Z_A ‖
//    data) with the signer's key) or over a digest e = SM3(Z_A ‖ M) given as
//    is. The key comes from public_key or the certificate.
//  - cms: SignedData (pki::verify_cms): attached (no data needed), detached with data, or
//    detached with the SM3 digest of the content. The signer's certificate
//    is the one inside; a certificate given too must be the same.
// With a certificate, its chain is checked against the trust anchors and its
// revocation at signing time (CMS signingTime; raw/der have none, so "unknown"
// when the certificate is revoked now) is asked of `revocation`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sm2.h"
#include "crypto/sm3.h"
#include "pki/certificate.h"
#include "store/records.h"

namespace duet::core {

struct VerifyRequest {
  std::optional<Bytes> data;
  std::optional<crypto::Digest> digest;  // raw/der: e; cms: SM3 of the content
  Bytes signature;
  std::string format = "der";            // raw | der | cms
  std::optional<crypto::Point> public_key;
  std::optional<pki::Certificate> certificate;
};

// What is known of a certificate by serial: nullopt = not one of ours
// (unknown); else its revocation time (nullopt = good).
using RevocationLookup = std::function<std::optional<std::optional<int64_t>>(const std::string& serial_hex)>;

struct VerifyTrust {
  std::vector<pki::Certificate> intermediates;
  std::vector<pki::Certificate> roots;
  RevocationLookup revocation;  // may be empty: revocation "unknown"
  // CAs known but not trusted here (the other environment's, issue 14 item
  // 1): a certificate one of them issued fails its chain as any stranger's,
  // and the verdict says why with `distrusted_reason`.
  std::vector<pki::Certificate> distrusted;
  std::string distrusted_reason;

  // distrusted_reason if `issuer` (a certificate's issuer name) is the
  // subject of a distrusted CA; empty otherwise.
  std::string distrust_reason_for(const std::string& issuer) const {
    for (const auto& ca : distrusted)
      if (ca.subject() == issuer) return distrusted_reason;
    return {};
  }
};

struct VerifyOutcome {
  bool valid = false;
  std::vector<std::string> reasons;       // why not valid (empty when valid)
  std::optional<std::string> signer_serial, signer_subject;
  std::string revoked_at_signing_time = "unknown";  // "true" | "false" | "unknown"
  std::optional<bool> chain_ok;            // nullopt: no certificate to check
  std::optional<int64_t> signing_time;     // CMS signingTime
};

// kInvalidArgument / kBadEncoding for unusable input (no key, malformed
// signature encoding, ...); a signature that does not verify is an outcome.
Result<VerifyOutcome> verify_signature(const VerifyRequest& request, const VerifyTrust& trust);

}  // namespace duet::core
