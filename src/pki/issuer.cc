#include "pki/issuer.h"

#include <algorithm>

#include "pki/csr.h"
#include "pki/identify_code.h"
#include "pki/ossl.h"
#include "pki/serial.h"

namespace duet::pki {
namespace {

// URLs go into textual extension configurations: only plain http(s) URLs.
Status check_url(const std::string& url, const char* what) {
  bool scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  bool clean = url.find_first_of(", \t\r\n;") == std::string::npos;
  if (!scheme || !clean) return make_error(ErrorCode::kInvalidArgument, std::string(what) + " must be a plain http(s) URL");
  return Status::Ok();
}

Result<ossl::X509Ptr> skeleton(const IssuingCa& ca, const crypto::Point& key, const DistinguishedName& subject,
                               Time not_before, Time not_after, ByteView serial) {
  DUET_ASSIGN_OR_RETURN(ossl::PkeyPtr pkey, ossl::public_pkey(key));
  DUET_ASSIGN_OR_RETURN(ossl::NamePtr name, ossl::build_name(subject));
  return ossl::new_certificate(serial, name.get(), X509_get_subject_name(ca.certificate.raw()), not_before, not_after,
                               pkey.get());
}

// certificatePolicies with one policy OID, no qualifiers.
Status add_policy(X509* x, const std::string& oid) {
  ossl::Ptr<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free> pols(CERTIFICATEPOLICIES_new());
  POLICYINFO* info = POLICYINFO_new();
  if (!pols || info == nullptr) return ossl::failure("POLICYINFO_new");
  ASN1_OBJECT_free(info->policyid);
  info->policyid = OBJ_txt2obj(oid.c_str(), 1);
  if (info->policyid == nullptr || !sk_POLICYINFO_push(pols.get(), info)) {
    POLICYINFO_free(info);
    return ossl::failure("policy OID");
  }
  if (X509_add1_ext_i2d(x, NID_certificate_policies, pols.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return ossl::failure("certificatePolicies");
  }
  return Status::Ok();
}

// The GM/T 0015 IdentifyCode extension, non-critical (pki/identify_code.h).
Status add_identify_code(X509* x, std::string_view number) {
  DUET_ASSIGN_OR_RETURN(Bytes der, encode_identify_code(number));
  ossl::ObjPtr oid(OBJ_txt2obj(kIdentifyCodeOid, 1));
  ossl::OctetPtr value(ASN1_OCTET_STRING_new());
  bool ok = oid && value && ASN1_OCTET_STRING_set(value.get(), der.data(), static_cast<int>(der.size())) == 1;
  std::fill(der.begin(), der.end(), 0);
  ossl::ExtPtr ext(ok ? X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()) : nullptr);
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1) {
    ossl::clear_errors();
    return make_error(ErrorCode::kInternal, "the identity-code extension could not be added");
  }
  return Status::Ok();
}

}  // namespace

Result<Certificate> issue_holder_certificate(const IssuingCa& ca, const crypto::Point& holder_key,
                                             const HolderProfile& profile, const IssuancePolicy& policy,
                                             crypto::RandomSource& rng, Time now) {
  if (!profile.crl_url.empty()) DUET_TRY_STATUS(check_url(profile.crl_url, "CRL URL"));
  if (!profile.ocsp_url.empty()) DUET_TRY_STATUS(check_url(profile.ocsp_url, "OCSP URL"));
  if (!profile.ca_issuers_url.empty()) DUET_TRY_STATUS(check_url(profile.ca_issuers_url, "caIssuers URL"));
  if (!profile.policy_oid.empty()) {
    ossl::ObjPtr oid(OBJ_txt2obj(profile.policy_oid.c_str(), 1));
    ossl::clear_errors();
    if (!oid) return make_error(ErrorCode::kInvalidArgument, "policy OID is not a dotted OID");
  }
  DUET_ASSIGN_OR_RETURN(Bytes serial, unique_serial(rng, policy.serial_is_unused));
  Time not_before = profile.not_before.value_or(now);
  DUET_ASSIGN_OR_RETURN(ossl::X509Ptr x, skeleton(ca, holder_key, profile.subject, not_before,
                                                   not_before + profile.validity, serial));
  X509* issuer = ca.certificate.raw();
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_basic_constraints, "CA:FALSE"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_subject_key_identifier, "hash"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_authority_key_identifier, "keyid:always"));
  if (!profile.crl_url.empty()) {
    DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_crl_distribution_points, ("URI:" + profile.crl_url).c_str()));
  }
  std::string aia;
  if (!profile.ocsp_url.empty()) aia = "OCSP;URI:" + profile.ocsp_url;
  if (!profile.ca_issuers_url.empty()) aia += (aia.empty() ? "" : ",") + ("caIssuers;URI:" + profile.ca_issuers_url);
  if (!aia.empty()) DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_info_access, aia.c_str()));
  if (!profile.policy_oid.empty()) {
    DUET_TRY_STATUS(add_policy(x.get(), profile.policy_oid));
  }
  if (!profile.identify_code.empty()) DUET_TRY_STATUS(add_identify_code(x.get(), profile.identify_code));
  DUET_TRY_STATUS(lint_certificate(x.get(), issuer, policy));
  DUET_TRY_STATUS(ossl::sign_certificate(x.get(), ca.private_key, ca.sm2_id));
  return Certificate::parse(ossl::cert_der(x.get()));
}

Result<Certificate> issue_holder_certificate_from_csr(const IssuingCa& ca, ByteView csr_der,
                                                      const HolderProfile& profile, const IssuancePolicy& policy,
                                                      crypto::RandomSource& rng, Time now,
                                                      std::string_view holder_sm2_id) {
  DUET_ASSIGN_OR_RETURN(VerifiedCsr csr, verify_csr(csr_der, holder_sm2_id));
  return issue_holder_certificate(ca, csr.public_key, profile, policy, rng, now);
}

Result<Certificate> issue_ocsp_signer_certificate(const IssuingCa& ca, const crypto::Point& responder_key,
                                                  const DistinguishedName& subject, std::chrono::seconds validity,
                                                  crypto::RandomSource& rng, Time now) {
  if (subject.common_name.empty()) return make_error(ErrorCode::kInvalidArgument, "OCSP signer needs a common name");
  Time not_after = std::min(now + validity, ca.certificate.not_after());
  DUET_ASSIGN_OR_RETURN(ossl::X509Ptr x, skeleton(ca, responder_key, subject, now, not_after, random_serial(rng)));
  X509* issuer = ca.certificate.raw();
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_basic_constraints, "CA:FALSE"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_key_usage, "critical,digitalSignature"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_ext_key_usage, "critical,OCSPSigning"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_id_pkix_OCSP_noCheck, "ignored"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_subject_key_identifier, "hash"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_authority_key_identifier, "keyid:always"));
  DUET_TRY_STATUS(ossl::sign_certificate(x.get(), ca.private_key, ca.sm2_id));
  return Certificate::parse(ossl::cert_der(x.get()));
}

Result<Certificate> issue_tsa_certificate(const IssuingCa& ca, const crypto::Point& tsa_key,
                                          const DistinguishedName& subject, std::chrono::seconds validity,
                                          crypto::RandomSource& rng, Time now) {
  if (subject.common_name.empty()) return make_error(ErrorCode::kInvalidArgument, "TSA needs a common name");
  Time not_after = std::min(now + validity, ca.certificate.not_after());
  DUET_ASSIGN_OR_RETURN(ossl::X509Ptr x, skeleton(ca, tsa_key, subject, now, not_after, random_serial(rng)));
  X509* issuer = ca.certificate.raw();
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_basic_constraints, "CA:FALSE"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_ext_key_usage, "critical,timeStamping"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_subject_key_identifier, "hash"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer, NID_authority_key_identifier, "keyid:always"));
  DUET_TRY_STATUS(ossl::sign_certificate(x.get(), ca.private_key, ca.sm2_id));
  return Certificate::parse(ossl::cert_der(x.get()));
}

}  // namespace duet::pki
