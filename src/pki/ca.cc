#include "pki/ca.h"

#include "pki/ossl.h"
#include "pki/serial.h"

namespace duet::pki {
namespace {

struct NewCa {
  Certificate cert;
  crypto::Scalar key;
};

// issuer == nullptr: self-signed root.
Result<NewCa> make_ca(const DistinguishedName& subject, std::chrono::seconds validity, const NewCa* issuer,
                      const std::string& id, crypto::RandomSource& rng, Time now) {
  crypto::Scalar key = crypto::Scalar::random_nonzero(rng);
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::mul_base(key));
  DUET_ASSIGN_OR_RETURN(ossl::PkeyPtr pkey, ossl::public_pkey(pub));
  DUET_ASSIGN_OR_RETURN(ossl::NamePtr name, ossl::build_name(subject));
  Time not_after = now + validity;
  if (issuer != nullptr) not_after = std::min(not_after, issuer->cert.not_after());
  const X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer->cert.raw()) : name.get();
  DUET_ASSIGN_OR_RETURN(ossl::X509Ptr x,
                        ossl::new_certificate(random_serial(rng), name.get(), issuer_name, now, not_after, pkey.get()));
  X509* issuer_x = issuer != nullptr ? issuer->cert.raw() : x.get();
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer_x, NID_basic_constraints,
                                issuer != nullptr ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer_x, NID_key_usage, "critical,keyCertSign,cRLSign"));
  DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer_x, NID_subject_key_identifier, "hash"));
  if (issuer != nullptr) {
    DUET_TRY_STATUS(ossl::add_ext(x.get(), issuer_x, NID_authority_key_identifier, "keyid:always"));
  }
  DUET_TRY_STATUS(ossl::sign_certificate(x.get(), issuer != nullptr ? issuer->key : key, id));
  // Re-parsed from DER: a fresh object, no cache filled before signing.
  DUET_ASSIGN_OR_RETURN(Certificate cert, Certificate::parse(ossl::cert_der(x.get())));
  return NewCa{std::move(cert), key};
}

Status check_ca_key(const Certificate& cert, const crypto::Scalar& key, const char* what) {
  DUET_ASSIGN_OR_RETURN(crypto::Point cert_pub, cert.public_key());
  DUET_ASSIGN_OR_RETURN(crypto::Point key_pub, crypto::Point::mul_base(key));
  if (!(cert_pub == key_pub)) {
    return make_error(ErrorCode::kInvalidArgument, std::string(what) + ": private key does not match the certificate");
  }
  if (!cert.is_ca()) {
    return make_error(ErrorCode::kInvalidArgument, std::string(what) + ": certificate is not a CA (CA:TRUE, keyCertSign)");
  }
  return Status::Ok();
}

}  // namespace

Result<CaHierarchy> create_ca_hierarchy(const CaProfile& profile, crypto::RandomSource& rng, Time now) {
  if (profile.root_validity <= std::chrono::seconds(0) || profile.issuing_validity <= std::chrono::seconds(0)) {
    return make_error(ErrorCode::kInvalidArgument, "CA validity must be positive");
  }
  if (profile.root_subject.common_name.empty() || profile.issuing_subject.common_name.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "CA subjects need a common name");
  }
  DUET_ASSIGN_OR_RETURN(NewCa root, make_ca(profile.root_subject, profile.root_validity, nullptr, profile.sm2_id, rng, now));
  DUET_ASSIGN_OR_RETURN(NewCa issuing,
                        make_ca(profile.issuing_subject, profile.issuing_validity, &root, profile.sm2_id, rng, now));
  return CaHierarchy{std::move(root.cert), root.key, std::move(issuing.cert), issuing.key, profile.sm2_id};
}

Result<IssuingCa> import_issuing_ca(std::string_view root_cert_pem, std::string_view issuing_cert_pem,
                                    std::string_view issuing_key_pem, std::string_view sm2_id) {
  DUET_ASSIGN_OR_RETURN(Certificate root, Certificate::parse(root_cert_pem));
  DUET_ASSIGN_OR_RETURN(Certificate issuing, Certificate::parse(issuing_cert_pem));
  DUET_ASSIGN_OR_RETURN(crypto::Scalar key, private_key_from_pem(issuing_key_pem));
  DUET_TRY_STATUS(check_ca_key(issuing, key, "issuing CA"));
  if (!root.is_ca()) return make_error(ErrorCode::kInvalidArgument, "root: certificate is not a CA");
  Status chain = verify_chain(issuing, {}, {root}, issuing.not_before(), sm2_id);
  if (!chain.ok()) return make_error(ErrorCode::kInvalidArgument, "issuing CA does not chain to the root: " + chain.error().message);
  return IssuingCa{std::move(issuing), key, std::move(root), std::string(sm2_id)};
}

Result<CaHierarchy> import_ca_hierarchy(std::string_view root_cert_pem, std::string_view root_key_pem,
                                        std::string_view issuing_cert_pem, std::string_view issuing_key_pem,
                                        std::string_view sm2_id) {
  DUET_ASSIGN_OR_RETURN(IssuingCa ca, import_issuing_ca(root_cert_pem, issuing_cert_pem, issuing_key_pem, sm2_id));
  DUET_ASSIGN_OR_RETURN(crypto::Scalar root_key, private_key_from_pem(root_key_pem));
  DUET_TRY_STATUS(check_ca_key(ca.root, root_key, "root"));
  return CaHierarchy{std::move(ca.root), root_key, std::move(ca.certificate), ca.private_key, std::string(sm2_id)};
}

}  // namespace duet::pki
