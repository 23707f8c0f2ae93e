#include "core/timestamp_service.h"

#include <chrono>
#include <vector>

#include "crypto/sm2_evp.h"
#include "pki/issuer.h"
#include "store/ids.h"

namespace duet::core {
namespace {

constexpr std::string_view kTsa = "tsa";
constexpr auto kTsaValidity = std::chrono::days(1827);   // 5 years, cut to the issuing CA's
constexpr auto kRenewBefore = std::chrono::days(30);
constexpr size_t kSerialBytes = 16;

pki::Time to_time(UnixSeconds t) { return pki::Time(std::chrono::seconds(t)); }
// The KEK context of a CA record's key, the same as the CA's own keys'.
std::string seal_context(std::string_view ca_id) { return "ca_key:" + std::string(ca_id); }

// The failure a refused request names: parse_timestamp_request and
// issue_timestamp put the RFC's name first in kInvalidArgument messages.
pki::TimestampFailure failure_of(const Error& e) {
  if (e.code == ErrorCode::kBadEncoding) return pki::TimestampFailure::kBadDataFormat;
  if (e.code != ErrorCode::kInvalidArgument) return pki::TimestampFailure::kSystemFailure;
  const std::string& m = e.message;
  if (m.rfind("badAlg", 0) == 0) return pki::TimestampFailure::kBadAlg;
  if (m.rfind("badDataFormat", 0) == 0) return pki::TimestampFailure::kBadDataFormat;
  if (m.rfind("unacceptedPolicy", 0) == 0) return pki::TimestampFailure::kUnacceptedPolicy;
  if (m.rfind("unacceptedExtension", 0) == 0) return pki::TimestampFailure::kUnacceptedExtension;
  return pki::TimestampFailure::kBadRequest;
}

}  // namespace

TimestampService::TimestampService(const CoreDeps& deps, keys::Kek& kek, const CertificateService& certs)
    : deps_(deps), cas_(deps.store), kek_(kek), certs_(certs) {}

TimestampService::~TimestampService() = default;

const pki::Certificate* TimestampService::certificate() const {
  return authority_ ? &authority_->certificate : nullptr;
}

Status TimestampService::bootstrap(UnixSeconds now) {
  const pki::IssuingCa* issuing = certs_.issuing_ca();
  if (issuing == nullptr) return make_error(ErrorCode::kUnavailable, "the CA is not ready");
  DUET_ASSIGN_OR_RETURN(std::vector<store::CaRecord> cas, cas_.list_cas());
  const store::CaRecord* newest = nullptr;  // list_cas is oldest first
  for (const auto& c : cas)
    if (c.active && c.role == kTsa && !c.sealed_private_key.empty()) newest = &c;
  if (newest != nullptr) {
    DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(newest->certificate_der));
    if (cert.issuer() == issuing->certificate.subject() && cert.not_after() > to_time(now) + kRenewBefore) {
      return load(*newest);
    }
  }
  // None yet, or due: a new unit (its certificate may be as short as the
  // issuing CA's remaining life; it is used as it is).
  DUET_ASSIGN_OR_RETURN(store::CaRecord fresh, issue(now));
  return load(fresh);
}

Status TimestampService::load(const store::CaRecord& record) {
  DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(record.certificate_der));
  DUET_ASSIGN_OR_RETURN(SecretBytes raw, kek_.unwrap(seal_context(record.ca_id), record.sealed_private_key));
  DUET_ASSIGN_OR_RETURN(crypto::Scalar key, crypto::Scalar::from_bytes_nonzero(raw.view()));
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::mul_base(key));
  DUET_ASSIGN_OR_RETURN(crypto::Point cert_pub, cert.public_key());
  if (!(pub == cert_pub)) return make_error(ErrorCode::kInternal, "the TSA key does not match its certificate");
  key_ = std::make_unique<crypto::Scalar>(std::move(key));
  tsa_id_ = record.ca_id;
  const crypto::Scalar* k = key_.get();
  authority_ = std::make_unique<pki::TimestampAuthority>(pki::TimestampAuthority{
      std::move(cert), [k](const crypto::Digest& e) { return crypto::evp_sm2_sign_digest(*k, e); },
      certs_.config().tsa_policy_oid});
  return Status::Ok();
}

Result<store::CaRecord> TimestampService::issue(UnixSeconds now) {
  const pki::IssuingCa* issuing = certs_.issuing_ca();
  const PkiConfig& config = certs_.config();
  const std::string org = config.subject_organization.empty() ? std::string("Duet") : config.subject_organization;
  crypto::Scalar key = crypto::Scalar::random_nonzero(deps_.rng);
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::mul_base(key));
  DUET_ASSIGN_OR_RETURN(pki::Certificate cert,
                        pki::issue_tsa_certificate(*issuing, pub, {config.subject_country, org, "", org + " Time Stamping Unit", ""},
                                                   kTsaValidity, deps_.rng, to_time(now)));
  store::CaRecord rec;
  rec.ca_id = store::new_id("ca_");
  rec.role = std::string(kTsa);
  rec.certificate_der = cert.der();
  DUET_ASSIGN_OR_RETURN(rec.sealed_private_key,
                        kek_.wrap(seal_context(rec.ca_id), ByteView(key.bytes().data(), key.bytes().size())));
  rec.created_at = now;
  rec.active = true;
  DUET_TRY_STATUS(cas_.put_ca({}, rec));
  return rec;
}

Result<Bytes> TimestampService::grant(const pki::TimestampRequest& request, UnixSeconds now) {
  if (!authority_) return make_error(ErrorCode::kUnavailable, "the time-stamping unit is not ready");
  Bytes serial(kSerialBytes);
  deps_.rng.fill(serial);
  serial[0] &= 0x7f;  // positive, and at most 16 bytes in DER's INTEGER magnitude
  serial[0] |= 0x40;  // no leading zero byte: always 16 bytes
  return pki::issue_timestamp(request, *authority_, serial, to_time(now));
}

Bytes TimestampService::respond(ByteView request_der, UnixSeconds now) {
  auto request = pki::parse_timestamp_request(request_der);
  if (!request.ok()) return pki::timestamp_rejection(failure_of(request.error()), request.error().message);
  auto granted = grant(*request, now);
  if (granted.ok()) return std::move(*granted);
  if (granted.code() == ErrorCode::kInvalidArgument) {
    return pki::timestamp_rejection(failure_of(granted.error()), granted.error().message);
  }
  // The detail of an internal failure stays here (errors carry no internals).
  return pki::timestamp_rejection(pki::TimestampFailure::kSystemFailure, "the time-stamping unit failed");
}

Result<Bytes> TimestampService::stamp(const crypto::Digest& imprint, UnixSeconds now) {
  pki::TimestampRequest request;
  request.imprint.assign(imprint.begin(), imprint.end());
  request.cert_req = true;
  DUET_ASSIGN_OR_RETURN(Bytes response, grant(request, now));
  return pki::timestamp_token_of_response(response);
}

Result<Bytes> TimestampService::stamp_signature(ByteView cms_der, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(crypto::Digest imprint, pki::signature_timestamp_imprint(cms_der));
  DUET_ASSIGN_OR_RETURN(Bytes token, stamp(imprint, now));
  return pki::add_signature_timestamp(cms_der, token);
}

}  // namespace duet::core
