// The built-in time-stamping unit (issue 12: PAdES B-T, and the RFC 3161
// endpoint POST /pki/tsa): a TSA key and certificate issued by the built-in
// issuing CA (pki::issue_tsa_certificate), kept in the store as a CA record of
// role "tsa" with its key sealed by the KEK like the CA's own keys, and the
// stamping itself (pki/timestamp.h). Stateless after bootstrap(): tokens get
// random 128-bit serial numbers, unique without coordination between nodes.
#pragma once

#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "core/certificate_service.h"
#include "core/core_deps.h"
#include "keys/kek.h"
#include "pki/timestamp.h"
#include "store/ca_material.h"

namespace duet::core {

class TimestampService {
 public:
  // `certs` must be bootstrapped and outlive this object.
  TimestampService(const CoreDeps& deps, keys::Kek& kek, const CertificateService& certs);
  ~TimestampService();
  TimestampService(const TimestampService&) = delete;
  TimestampService& operator=(const TimestampService&) = delete;

  // Loads the newest active TSA record, or issues one (a fresh key, sealed
  // "ca_key:<ca_id>") when there is none, when it was issued by another
  // issuing CA than the active one, or when it expires within 30 days.
  Status bootstrap(UnixSeconds now);
  bool ready() const { return authority_ != nullptr; }
  const std::string& tsa_ca_id() const { return tsa_id_; }
  const pki::Certificate* certificate() const;

  // RFC 3161 §3.4: a DER TimeStampReq in, a DER TimeStampResp out — always
  // an answer: a granted token, or a rejection naming the failure
  // (badDataFormat for what does not parse, badAlg for a hash other than
  // SM3/SHA-256, unacceptedPolicy, unacceptedExtension, systemFailure).
  Bytes respond(ByteView request_der, UnixSeconds now);

  // The token for an SM3 imprint (what the PDF signer asks for; certReq set).
  Result<Bytes> stamp(const crypto::Digest& imprint, UnixSeconds now);

  // A one-signer SignedData with a signature timestamp added (PAdES B-T).
  Result<Bytes> stamp_signature(ByteView cms_der, UnixSeconds now);

 private:
  Result<store::CaRecord> issue(UnixSeconds now);  // a new unit, stored
  Status load(const store::CaRecord& record);
  Result<Bytes> grant(const pki::TimestampRequest& request, UnixSeconds now);

  ServiceDeps deps_;
  store::CaStore& cas_;
  keys::Kek& kek_;
  const CertificateService& certs_;
  std::string tsa_id_;
  std::unique_ptr<pki::TimestampAuthority> authority_;
  std::unique_ptr<crypto::Scalar> key_;
};

}  // namespace duet::core
