#include "pki/cms.h"

#include <openssl/asn1t.h>
#include <openssl/ess.h>

#include <algorithm>

#include "pki/ossl.h"

// SET OF Attribute, DER-sorted: the encoding the signature covers (RFC 5652
// §5.4: the [0] IMPLICIT tag of signedAttrs replaced by the SET tag).
typedef STACK_OF(X509_ATTRIBUTE) DUET_SIGNED_ATTRS;
DECLARE_ASN1_ITEM(DUET_SIGNED_ATTRS)
ASN1_ITEM_TEMPLATE(DUET_SIGNED_ATTRS) = ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, DUET_SIGNED_ATTRS, X509_ATTRIBUTE)
ASN1_ITEM_TEMPLATE_END(DUET_SIGNED_ATTRS)

namespace duet::pki {
namespace {

constexpr const char* kGmData = "1.2.156.10197.6.1.4.2.1";
constexpr const char* kGmSignedData = "1.2.156.10197.6.1.4.2.2";

struct SeqAnyFree {
  void operator()(ASN1_SEQUENCE_ANY* s) const { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
};
using SeqAnyPtr = std::unique_ptr<ASN1_SEQUENCE_ANY, SeqAnyFree>;
using EssV2Ptr = ossl::Ptr<ESS_SIGNING_CERT_V2, ESS_SIGNING_CERT_V2_free>;

// Replaces the outer ContentInfo.contentType OID; the [0] content stays as
// encoded. Returns the new DER and the OID that was there.
Result<Bytes> swap_outer_oid(ByteView der, const ASN1_OBJECT* to, std::string* was) {
  const unsigned char* p = der.data();
  SeqAnyPtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, static_cast<long>(der.size())));
  ossl::clear_errors();
  if (!seq || p != der.data() + der.size() || sk_ASN1_TYPE_num(seq.get()) != 2 ||
      ASN1_TYPE_get(sk_ASN1_TYPE_value(seq.get(), 0)) != V_ASN1_OBJECT) {
    return make_error(ErrorCode::kBadEncoding, "not a CMS ContentInfo");
  }
  ASN1_TYPE* first = sk_ASN1_TYPE_value(seq.get(), 0);
  if (was != nullptr) {
    char buf[80];
    OBJ_obj2txt(buf, sizeof buf, first->value.object, 1);
    *was = buf;
  }
  if (to != nullptr && ASN1_TYPE_set1(first, V_ASN1_OBJECT, to) != 1) return ossl::failure("ContentInfo OID");
  Bytes out = ossl::to_der<ASN1_SEQUENCE_ANY>(seq.get(), i2d_ASN1_SEQUENCE_ANY);
  if (out.empty()) return ossl::failure("i2d ContentInfo");
  return out;
}

// DER of SET OF signed attributes (sorted), as signed and verified.
Result<Bytes> signed_attrs_der(CMS_SignerInfo* si) {
  struct StackOnlyFree {  // the attributes stay owned by the SignerInfo
    void operator()(DUET_SIGNED_ATTRS* s) const { sk_X509_ATTRIBUTE_free(s); }
  };
  std::unique_ptr<DUET_SIGNED_ATTRS, StackOnlyFree> attrs(sk_X509_ATTRIBUTE_new_null());
  if (!attrs) return ossl::failure("attribute stack");
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    if (!sk_X509_ATTRIBUTE_push(attrs.get(), CMS_signed_get_attr(si, i))) return ossl::failure("attribute stack");
  }
  unsigned char* der = nullptr;
  int len = ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(attrs.get()), &der, ASN1_ITEM_rptr(DUET_SIGNED_ATTRS));
  if (len <= 0) return ossl::failure("encoding signed attributes");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> sign_impl(const std::optional<ByteView>& content, const crypto::Digest& content_sm3,
                        const Certificate& signer_cert, const ExternalSigner& signer, const CmsSignOptions& options) {
  if (!signer) return make_error(ErrorCode::kInvalidArgument, "no signer");
  if (!options.detached && !content) return make_error(ErrorCode::kInvalidArgument, "attached CMS needs the content");
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, signer_cert.public_key());
  X509* cert = signer_cert.raw();
  EVP_PKEY* cert_key = X509_get0_pubkey(cert);
  unsigned int flags = CMS_PARTIAL | CMS_BINARY | (options.detached ? CMS_DETACHED : 0);
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) return ossl::failure("CMS_sign(PARTIAL)");
  // Public key only: CMS_add1_signer checks it matches the certificate and
  // signs nothing under CMS_PARTIAL. No S/MIME capabilities attribute.
  const unsigned int signer_flags =
      CMS_PARTIAL | CMS_NOSMIMECAP | CMS_BINARY | (options.include_signer_certificate ? 0 : CMS_NOCERTS);
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), cert, cert_key, EVP_sm3(), signer_flags);
  if (si == nullptr) return ossl::failure("CMS_add1_signer");
  X509_ALGOR* sig_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, nullptr, &sig_alg);
  if (sig_alg == nullptr || !ossl::set_sm2_with_sm3(sig_alg)) return ossl::failure("signatureAlgorithm");

  ossl::ObjPtr content_type(!options.content_type_oid.empty() ? OBJ_txt2obj(options.content_type_oid.c_str(), 1)
                            : options.oids == CmsOids::kGmT0010 ? OBJ_txt2obj(kGmData, 1)
                                                                : OBJ_dup(OBJ_nid2obj(NID_pkcs7_data)));
  if (!content_type || CMS_set1_eContentType(cms.get(), content_type.get()) != 1) return ossl::failure("eContentType");
  if (!options.detached) {
    ASN1_OCTET_STRING** pos = CMS_get0_content(cms.get());
    if (pos == nullptr) return ossl::failure("CMS_get0_content");
    if (*pos == nullptr) *pos = ASN1_OCTET_STRING_new();
    if (*pos == nullptr ||
        ASN1_OCTET_STRING_set(*pos, content->data(), static_cast<int>(content->size())) != 1) {
      return ossl::failure("eContent");
    }
    (*pos)->flags &= ~ASN1_STRING_FLAG_CONT;
  }

  // Signed attributes.
  if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, content_type.get(), -1) != 1) {
    return ossl::failure("contentType attribute");
  }
  if (options.signing_time_attribute) {
    ossl::TimePtr when = ossl::asn1_time(options.signing_time.value_or(now_seconds()));
    if (!when || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, when->type, when.get(), -1) != 1) {
      return ossl::failure("signingTime attribute");
    }
  }
  if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, content_sm3.data(),
                                  static_cast<int>(content_sm3.size())) != 1) {
    return ossl::failure("messageDigest attribute");
  }
  EssV2Ptr ess(OSSL_ESS_signing_cert_v2_new_init(EVP_sm3(), cert, nullptr, 1));
  if (!ess) return ossl::failure("ESSCertIDv2");
  Bytes ess_der = ossl::to_der<ESS_SIGNING_CERT_V2>(ess.get(), i2d_ESS_SIGNING_CERT_V2);
  ossl::Ptr<ASN1_STRING, ASN1_STRING_free> seq(ASN1_STRING_new());
  if (ess_der.empty() || !seq || ASN1_STRING_set(seq.get(), ess_der.data(), static_cast<int>(ess_der.size())) != 1 ||
      CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE, seq.get(), -1) != 1) {
    return ossl::failure("signingCertificateV2");
  }

  // External signature over the DER SET OF attributes. No CMS_final: it
  // would try to sign with the (absent) private key.
  DUET_ASSIGN_OR_RETURN(Bytes attrs, signed_attrs_der(si));
  if (options.signed_attributes_out != nullptr) *options.signed_attributes_out = attrs;
  DUET_ASSIGN_OR_RETURN(crypto::Digest e, crypto::sm2_digest(pub, attrs, options.sm2_id));
  DUET_ASSIGN_OR_RETURN(crypto::Sm2Signature sig, signer(e));
  DUET_TRY_STATUS(crypto::sm2_verify_digest(pub, e, sig));
  Bytes sig_der = sig.to_der();
  if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig_der.data(), static_cast<int>(sig_der.size())) != 1) {
    return ossl::failure("signature value");
  }
  Bytes der = ossl::to_der<CMS_ContentInfo>(cms.get(), i2d_CMS_ContentInfo);
  if (der.empty()) return ossl::failure("i2d_CMS_ContentInfo");
  if (options.oids == CmsOids::kGmT0010) {
    ossl::ObjPtr gm(OBJ_txt2obj(kGmSignedData, 1));
    return swap_outer_oid(der, gm.get(), nullptr);
  }
  return der;
}

void add_problem(CmsVerification& v, CmsProblem p, std::string reason) {
  if (!v.has(p)) v.problems.push_back(p);
  v.reasons.push_back(std::string(cms_problem_name(p)) + ": " + std::move(reason));
}

std::string obj_text(const ASN1_OBJECT* o) {
  char buf[80] = {0};
  if (o != nullptr) OBJ_obj2txt(buf, sizeof buf, o, 1);
  return buf;
}

Result<CmsVerification> verify_impl(ByteView der, const std::optional<ByteView>& detached,
                                    const std::optional<crypto::Digest>& detached_sm3, const CmsTrust& trust,
                                    std::string_view sm2_id, const CmsVerifyPolicy& policy) {
  CmsVerification v;
  std::string outer;
  DUET_ASSIGN_OR_RETURN(Bytes pkcs7_der, swap_outer_oid(der, nullptr, &outer));
  if (outer == kGmSignedData) {
    v.oids = CmsOids::kGmT0010;
    DUET_ASSIGN_OR_RETURN(pkcs7_der, swap_outer_oid(der, OBJ_nid2obj(NID_pkcs7_signed), nullptr));
  } else if (outer != "1.2.840.113549.1.7.2") {
    return make_error(ErrorCode::kBadEncoding, "not a SignedData ContentInfo");
  }
  const unsigned char* p = pkcs7_der.data();
  ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(pkcs7_der.size())));
  ossl::clear_errors();
  if (!cms || p != pkcs7_der.data() + pkcs7_der.size()) return make_error(ErrorCode::kBadEncoding, "CMS does not parse");
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) != 1) {
    return make_error(ErrorCode::kBadEncoding, "expected exactly one SignerInfo");
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);

  // The signer's certificate, from the certificates in the SignedData.
  ossl::X509StackPtr certs(CMS_get1_certs(cms.get()));
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    X509* c = sk_X509_value(certs.get(), i);
    if (CMS_SignerInfo_cert_cmp(si, c) == 0) {
      X509_up_ref(c);
      v.signer.emplace(c);
      break;
    }
  }
  if (!v.signer) return make_error(ErrorCode::kBadEncoding, "the signer's certificate is not in the SignedData");
  auto pub = v.signer->public_key();
  if (!pub.ok()) return make_error(ErrorCode::kBadEncoding, "the signer's key is not SM2");

  X509_ALGOR* dig_alg = nullptr;
  X509_ALGOR* sig_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig_alg, &sig_alg);
  const ASN1_OBJECT* dig_obj = nullptr;
  if (dig_alg != nullptr) X509_ALGOR_get0(&dig_obj, nullptr, nullptr, dig_alg);
  if (OBJ_obj2nid(dig_obj) != NID_sm3) add_problem(v, CmsProblem::kWrongAlgorithm, "digestAlgorithm is not SM3");
  if (sig_alg == nullptr || !ossl::is_sm2_with_sm3(sig_alg)) {
    add_problem(v, CmsProblem::kWrongAlgorithm, "signatureAlgorithm is not SM2-with-SM3");
  }

  // The content's digest.
  v.detached = CMS_is_detached(cms.get()) == 1;
  std::optional<crypto::Digest> content_sm3;
  if (!v.detached) {
    ASN1_OCTET_STRING** pos = CMS_get0_content(cms.get());
    if (pos == nullptr || *pos == nullptr) return make_error(ErrorCode::kBadEncoding, "no encapsulated content");
    content_sm3 = crypto::sm3(ByteView(ASN1_STRING_get0_data(*pos), static_cast<size_t>(ASN1_STRING_length(*pos))));
  } else if (detached) {
    content_sm3 = crypto::sm3(*detached);
  } else if (detached_sm3) {
    content_sm3 = *detached_sm3;
  } else {
    return make_error(ErrorCode::kInvalidArgument, "detached signature: the content is needed");
  }

  // Signed attributes.
  if (CMS_signed_get_attr_count(si) <= 0) return make_error(ErrorCode::kBadEncoding, "no signed attributes");
  auto* md = static_cast<ASN1_OCTET_STRING*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
  if (md == nullptr) {
    add_problem(v, CmsProblem::kMissingAttribute, "messageDigest attribute missing");
  } else if (!constant_time_equal(ByteView(ASN1_STRING_get0_data(md), static_cast<size_t>(ASN1_STRING_length(md))),
                                  *content_sm3)) {
    add_problem(v, CmsProblem::kMessageDigestMismatch, "messageDigest does not match SM3 of the content");
  }
  auto* ct = static_cast<ASN1_OBJECT*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT));
  if (ct == nullptr) {
    add_problem(v, CmsProblem::kMissingAttribute, "contentType attribute missing");
  } else if (OBJ_cmp(ct, CMS_get0_eContentType(cms.get())) != 0) {
    add_problem(v, CmsProblem::kContentTypeMismatch,
                "contentType " + obj_text(ct) + " != eContentType " + obj_text(CMS_get0_eContentType(cms.get())));
  }
  int st = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (st < 0) {
    if (policy.signing_time_required) add_problem(v, CmsProblem::kMissingAttribute, "signingTime attribute missing");
  } else {
    ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, st), 0);
    if (t != nullptr && (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME)) {
      auto when = ossl::from_asn1_time(t->value.utctime);
      if (when.ok()) v.signing_time = *when;
    }
    if (!v.signing_time) add_problem(v, CmsProblem::kMissingAttribute, "signingTime does not parse");
  }
  auto* ess_seq = static_cast<ASN1_STRING*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE));
  if (ess_seq == nullptr) {
    add_problem(v, CmsProblem::kSigningCertMismatch, "signingCertificateV2 attribute missing");
  } else {
    const unsigned char* q = ASN1_STRING_get0_data(ess_seq);
    EssV2Ptr ess(d2i_ESS_SIGNING_CERT_V2(nullptr, &q, ASN1_STRING_length(ess_seq)));
    ossl::X509StackPtr chain(sk_X509_new_null());
    X509_up_ref(v.signer->raw());
    sk_X509_push(chain.get(), v.signer->raw());
    if (!ess || OSSL_ESS_check_signing_certs(nullptr, ess.get(), chain.get(), 1) != 1) {
      add_problem(v, CmsProblem::kSigningCertMismatch, "signingCertificateV2 does not name the signer's certificate");
    }
    ossl::clear_errors();
  }

  // The signature over the DER SET OF signed attributes, with the SM2 ID.
  DUET_ASSIGN_OR_RETURN(Bytes attrs, signed_attrs_der(si));
  DUET_ASSIGN_OR_RETURN(crypto::Digest e, crypto::sm2_digest(*pub, attrs, sm2_id));
  ASN1_OCTET_STRING* sig_value = CMS_SignerInfo_get0_signature(si);
  auto sig = crypto::Sm2Signature::from_der(
      ByteView(ASN1_STRING_get0_data(sig_value), static_cast<size_t>(ASN1_STRING_length(sig_value))));
  if (!sig.ok() || !crypto::sm2_verify_digest(*pub, e, *sig).ok()) {
    add_problem(v, CmsProblem::kSignatureInvalid, "SM2 signature over the signed attributes does not verify");
  }

  // The chain.
  Time at = trust.at.value_or(v.signing_time.value_or(now_seconds()));
  Status chain = verify_chain(*v.signer, trust.intermediates, trust.roots, at);
  if (!chain.ok()) add_problem(v, CmsProblem::kChainInvalid, chain.error().message);
  return v;
}

}  // namespace

bool CmsVerification::has(CmsProblem p) const { return std::find(problems.begin(), problems.end(), p) != problems.end(); }

std::string_view cms_problem_name(CmsProblem p) {
  switch (p) {
    case CmsProblem::kWrongAlgorithm: return "wrong_algorithm";
    case CmsProblem::kMissingAttribute: return "missing_attribute";
    case CmsProblem::kContentTypeMismatch: return "content_type_mismatch";
    case CmsProblem::kMessageDigestMismatch: return "message_digest_mismatch";
    case CmsProblem::kSignatureInvalid: return "signature_invalid";
    case CmsProblem::kSigningCertMismatch: return "signing_certificate_mismatch";
    case CmsProblem::kChainInvalid: return "chain_invalid";
  }
  return "unknown";
}

Result<Bytes> cms_sign(ByteView content, const Certificate& signer_cert, const ExternalSigner& signer,
                       const CmsSignOptions& options) {
  return sign_impl(content, crypto::sm3(content), signer_cert, signer, options);
}

Result<Bytes> cms_sign_detached_digest(const crypto::Digest& content_sm3, const Certificate& signer_cert,
                                       const ExternalSigner& signer, const CmsSignOptions& options) {
  if (!options.detached) return make_error(ErrorCode::kInvalidArgument, "a digest can only be signed detached");
  return sign_impl(std::nullopt, content_sm3, signer_cert, signer, options);
}

Result<CmsVerification> verify_cms(ByteView der, std::optional<ByteView> detached_content, const CmsTrust& trust,
                                   std::string_view sm2_id, const CmsVerifyPolicy& policy) {
  return verify_impl(der, detached_content, std::nullopt, trust, sm2_id, policy);
}

Result<CmsVerification> verify_cms_detached_digest(ByteView der, const crypto::Digest& content_sm3,
                                                   const CmsTrust& trust, std::string_view sm2_id,
                                                   const CmsVerifyPolicy& policy) {
  return verify_impl(der, std::nullopt, content_sm3, trust, sm2_id, policy);
}

}  // namespace duet::pki
