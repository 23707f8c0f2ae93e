#include "pki/csr.h"

#include <openssl/pem.h>

#include "pki/ossl.h"

namespace duet::pki {
namespace {

Result<ossl::ReqPtr> parse_req(ByteView in) {
  ossl::BioPtr bio(BIO_new_mem_buf(in.data(), static_cast<int>(in.size())));
  X509_REQ* req = bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (req == nullptr) {
    const unsigned char* p = in.data();
    req = d2i_X509_REQ(nullptr, &p, static_cast<long>(in.size()));
    if (req != nullptr && p != in.data() + in.size()) {
      X509_REQ_free(req);
      req = nullptr;
    }
  }
  ossl::clear_errors();
  if (req == nullptr) return make_error(ErrorCode::kBadEncoding, "not a PKCS#10 request");
  return ossl::ReqPtr(req);
}

}  // namespace

Result<Bytes> build_csr(const crypto::Point& public_key, const DistinguishedName& subject, const ExternalSigner& signer,
                        std::string_view sm2_id) {
  if (!signer) return make_error(ErrorCode::kInvalidArgument, "no signer");
  DUET_ASSIGN_OR_RETURN(ossl::PkeyPtr pkey, ossl::public_pkey(public_key));
  DUET_ASSIGN_OR_RETURN(ossl::NamePtr name, ossl::build_name(subject));
  ossl::ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 || X509_REQ_set_pubkey(req.get(), pkey.get()) != 1) {
    return ossl::failure("building request");
  }
  // signatureAlgorithm = SM2-with-SM3, no parameters.
  ossl::Ptr<X509_ALGOR, X509_ALGOR_free> alg(X509_ALGOR_new());
  if (!alg || !ossl::set_sm2_with_sm3(alg.get()) || X509_REQ_set1_signature_algo(req.get(), alg.get()) != 1) {
    return ossl::failure("request signature algorithm");
  }
  unsigned char* tbs = nullptr;
  int tbs_len = i2d_re_X509_REQ_tbs(req.get(), &tbs);
  if (tbs_len <= 0) return ossl::failure("i2d_re_X509_REQ_tbs");
  Bytes tbs_bytes(tbs, tbs + tbs_len);
  OPENSSL_free(tbs);

  DUET_ASSIGN_OR_RETURN(crypto::Digest e, crypto::sm2_digest(public_key, tbs_bytes, sm2_id));
  DUET_ASSIGN_OR_RETURN(crypto::Sm2Signature sig, signer(e));
  DUET_TRY_STATUS(crypto::sm2_verify_digest(public_key, e, sig));
  Bytes sig_der = sig.to_der();
  ASN1_BIT_STRING* bits = ASN1_BIT_STRING_new();
  if (bits == nullptr || ASN1_BIT_STRING_set(bits, sig_der.data(), static_cast<int>(sig_der.size())) != 1) {
    ASN1_BIT_STRING_free(bits);
    return ossl::failure("signature bits");
  }
  bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;  // 0 unused bits
  X509_REQ_set0_signature(req.get(), bits);
  Bytes der = ossl::to_der<X509_REQ>(req.get(), i2d_X509_REQ);
  if (der.empty()) return ossl::failure("i2d_X509_REQ");
  return der;
}

Result<VerifiedCsr> verify_csr(ByteView der_or_pem, std::string_view sm2_id) {
  DUET_ASSIGN_OR_RETURN(ossl::ReqPtr req, parse_req(der_or_pem));
  const X509_ALGOR* alg = nullptr;
  X509_REQ_get0_signature(req.get(), nullptr, &alg);
  if (!ossl::is_sm2_with_sm3(alg)) return make_error(ErrorCode::kInvalidArgument, "request is not signed with SM2-with-SM3");
  EVP_PKEY* pkey = X509_REQ_get0_pubkey(req.get());
  auto pub = ossl::point_of(pkey);
  if (!pub.ok()) return make_error(ErrorCode::kInvalidArgument, "request key is not an SM2 public key");
  X509_REQ_set0_distinguishing_id(req.get(), ossl::id_octets(sm2_id).release());
  int rc = X509_REQ_verify(req.get(), pkey);
  ossl::clear_errors();
  if (rc != 1) return make_error(ErrorCode::kSignatureInvalid, "request signature does not verify");
  const X509_NAME* name = X509_REQ_get_subject_name(req.get());
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return VerifiedCsr{*pub, ossl::bio_string(bio.get()), ossl::dn_fields(name)};
}

std::string csr_pem(ByteView der) {
  auto req = parse_req(der);
  if (!req.ok()) return {};
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req->get());
  return ossl::bio_string(bio.get());
}

}  // namespace duet::pki
