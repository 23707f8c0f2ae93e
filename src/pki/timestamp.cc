#include "pki/timestamp.h"

#include <openssl/cms.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "pki/ossl.h"

namespace duet::pki {
namespace {

constexpr const char* kTstInfoOid = "1.2.840.113549.1.9.16.1.4";             // id-ct-TSTInfo
constexpr const char* kSignatureTimeStampOid = "1.2.840.113549.1.9.16.2.14";  // id-aa-signatureTimeStampToken
constexpr size_t kImprintSize = 32;  // SM3 and SHA-256

using TsReqPtr = ossl::Ptr<TS_REQ, TS_REQ_free>;
using TstInfoPtr = ossl::Ptr<TS_TST_INFO, TS_TST_INFO_free>;
using MsgImprintPtr = ossl::Ptr<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>;
using AccuracyPtr = ossl::Ptr<TS_ACCURACY, TS_ACCURACY_free>;
using GeneralNamePtr = ossl::Ptr<GENERAL_NAME, GENERAL_NAME_free>;
using AlgorPtr = ossl::Ptr<X509_ALGOR, X509_ALGOR_free>;
using GenTimePtr = ossl::Ptr<ASN1_GENERALIZEDTIME, ASN1_GENERALIZEDTIME_free>;
using BitStringPtr = ossl::Ptr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using Utf8Ptr = ossl::Ptr<ASN1_UTF8STRING, ASN1_UTF8STRING_free>;
struct SeqAnyFree {
  void operator()(ASN1_SEQUENCE_ANY* s) const { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
};
using SeqAnyPtr = std::unique_ptr<ASN1_SEQUENCE_ANY, SeqAnyFree>;

int hash_nid(ImprintHash h) { return h == ImprintHash::kSm3 ? NID_sm3 : NID_sha256; }

Unexpected refused(std::string_view failure, std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument, std::string(failure) + ": " + std::string(what));
}

Bytes integer_bytes(const ASN1_INTEGER* i) {
  ossl::BnPtr bn(ASN1_INTEGER_to_BN(i, nullptr));
  if (!bn) return {};
  Bytes out(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

Result<ossl::IntegerPtr> integer_of(ByteView magnitude) {
  ossl::BnPtr bn(BN_bin2bn(magnitude.data(), static_cast<int>(magnitude.size()), nullptr));
  if (!bn) return ossl::failure("BN_bin2bn");
  ossl::IntegerPtr i(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!i) return ossl::failure("BN_to_ASN1_INTEGER");
  return i;
}

// Appends `der` (a whole SEQUENCE) to `seq` as one element.
bool push_sequence(ASN1_SEQUENCE_ANY* seq, ByteView der) {
  ossl::Ptr<ASN1_STRING, ASN1_STRING_free> s(ASN1_STRING_type_new(V_ASN1_SEQUENCE));
  ASN1_TYPE* t = ASN1_TYPE_new();
  if (!s || t == nullptr || ASN1_STRING_set(s.get(), der.data(), static_cast<int>(der.size())) != 1) {
    ASN1_TYPE_free(t);
    return false;
  }
  ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s.release());
  if (sk_ASN1_TYPE_push(seq, t) <= 0) {
    ASN1_TYPE_free(t);
    return false;
  }
  return true;
}

Bytes sequence_der(const ASN1_SEQUENCE_ANY* seq) { return ossl::to_der<ASN1_SEQUENCE_ANY>(seq, i2d_ASN1_SEQUENCE_ANY); }

// PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText
// OPTIONAL, failInfo PKIFailureInfo OPTIONAL } (RFC 3161 §2.4.2).
Bytes status_info(int status, std::string_view text, std::optional<TimestampFailure> failure) {
  SeqAnyPtr seq(sk_ASN1_TYPE_new_null());
  ossl::IntegerPtr st(ASN1_INTEGER_new());
  ASN1_TYPE* st_t = ASN1_TYPE_new();
  if (!seq || !st || st_t == nullptr || ASN1_INTEGER_set(st.get(), status) != 1) {
    ASN1_TYPE_free(st_t);
    return {};
  }
  ASN1_TYPE_set(st_t, V_ASN1_INTEGER, st.release());
  sk_ASN1_TYPE_push(seq.get(), st_t);
  if (!text.empty()) {
    SeqAnyPtr free_text(sk_ASN1_TYPE_new_null());
    Utf8Ptr u(ASN1_UTF8STRING_new());
    ASN1_TYPE* u_t = ASN1_TYPE_new();
    if (!free_text || !u || u_t == nullptr || ASN1_STRING_set(u.get(), text.data(), static_cast<int>(text.size())) != 1) {
      ASN1_TYPE_free(u_t);
      return {};
    }
    ASN1_TYPE_set(u_t, V_ASN1_UTF8STRING, u.release());
    sk_ASN1_TYPE_push(free_text.get(), u_t);
    if (!push_sequence(seq.get(), sequence_der(free_text.get()))) return {};
  }
  if (failure) {
    BitStringPtr bits(ASN1_BIT_STRING_new());
    ASN1_TYPE* b_t = ASN1_TYPE_new();
    if (!bits || b_t == nullptr || ASN1_BIT_STRING_set_bit(bits.get(), static_cast<int>(*failure), 1) != 1) {
      ASN1_TYPE_free(b_t);
      return {};
    }
    ASN1_TYPE_set(b_t, V_ASN1_BIT_STRING, bits.release());
    sk_ASN1_TYPE_push(seq.get(), b_t);
  }
  return sequence_der(seq.get());
}

// TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL }.
Bytes response(ByteView status, std::optional<ByteView> token) {
  SeqAnyPtr seq(sk_ASN1_TYPE_new_null());
  if (!seq || status.empty() || !push_sequence(seq.get(), status)) return {};
  if (token && !push_sequence(seq.get(), *token)) return {};
  return sequence_der(seq.get());
}

// The one SignerInfo of a DER SignedData with the PKCS #7 OIDs.
struct ParsedCms {
  ossl::CmsPtr cms;
  CMS_SignerInfo* signer = nullptr;
};

Result<ParsedCms> parse_one_signer(ByteView der) {
  const unsigned char* p = der.data();
  ParsedCms out;
  out.cms.reset(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  ossl::clear_errors();
  if (!out.cms || p != der.data() + der.size() || OBJ_obj2nid(CMS_get0_type(out.cms.get())) != NID_pkcs7_signed) {
    return make_error(ErrorCode::kBadEncoding, "not a DER CMS SignedData (PKCS #7 OIDs)");
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(out.cms.get());
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) != 1) {
    return make_error(ErrorCode::kBadEncoding, "expected exactly one SignerInfo");
  }
  out.signer = sk_CMS_SignerInfo_value(infos, 0);
  return out;
}

// The TSTInfo inside a token, and the token's SignedData.
struct ParsedToken {
  ParsedCms signed_data;
  TstInfoPtr tst;
};

Result<ParsedToken> parse_token(ByteView token_der) {
  ParsedToken out;
  DUET_ASSIGN_OR_RETURN(out.signed_data, parse_one_signer(token_der));
  ossl::ObjPtr tst_oid(OBJ_txt2obj(kTstInfoOid, 1));
  if (OBJ_cmp(CMS_get0_eContentType(out.signed_data.cms.get()), tst_oid.get()) != 0) {
    return make_error(ErrorCode::kBadEncoding, "the token's content is not a TSTInfo");
  }
  ASN1_OCTET_STRING** content = CMS_get0_content(out.signed_data.cms.get());
  if (content == nullptr || *content == nullptr) return make_error(ErrorCode::kBadEncoding, "the token has no TSTInfo");
  const unsigned char* p = ASN1_STRING_get0_data(*content);
  const long n = ASN1_STRING_length(*content);
  out.tst.reset(d2i_TS_TST_INFO(nullptr, &p, n));
  ossl::clear_errors();
  if (!out.tst || p != ASN1_STRING_get0_data(*content) + n) return make_error(ErrorCode::kBadEncoding, "TSTInfo does not parse");
  return out;
}

Result<ImprintHash> imprint_hash_of(const X509_ALGOR* algo) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, algo);
  switch (OBJ_obj2nid(obj)) {
    case NID_sm3: return ImprintHash::kSm3;
    case NID_sha256: return ImprintHash::kSha256;
    default: return refused("badAlg", "the imprint's hash must be SM3 or SHA-256");
  }
}

Result<Bytes> signature_value(ByteView cms_der) {
  DUET_ASSIGN_OR_RETURN(ParsedCms parsed, parse_one_signer(cms_der));
  const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(parsed.signer);
  if (sig == nullptr || ASN1_STRING_length(sig) <= 0) return make_error(ErrorCode::kBadEncoding, "no signature value");
  return Bytes(ASN1_STRING_get0_data(sig), ASN1_STRING_get0_data(sig) + ASN1_STRING_length(sig));
}

}  // namespace

Result<TimestampRequest> parse_timestamp_request(ByteView der) {
  const unsigned char* p = der.data();
  TsReqPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size())));
  ossl::clear_errors();
  if (!req || p != der.data() + der.size()) return make_error(ErrorCode::kBadEncoding, "not a DER TimeStampReq");
  if (TS_REQ_get_version(req.get()) != 1) return refused("badRequest", "TimeStampReq version must be 1");
  TS_MSG_IMPRINT* mi = TS_REQ_get_msg_imprint(req.get());
  TimestampRequest out;
  DUET_ASSIGN_OR_RETURN(out.hash, imprint_hash_of(TS_MSG_IMPRINT_get_algo(mi)));
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(mi);
  if (msg == nullptr || static_cast<size_t>(ASN1_STRING_length(msg)) != kImprintSize) {
    return refused("badDataFormat", "the imprint must be 32 bytes");
  }
  out.imprint.assign(ASN1_STRING_get0_data(msg), ASN1_STRING_get0_data(msg) + kImprintSize);
  if (const ASN1_INTEGER* nonce = TS_REQ_get_nonce(req.get())) out.nonce = integer_bytes(nonce);
  out.cert_req = TS_REQ_get_cert_req(req.get()) != 0;
  if (const ASN1_OBJECT* policy = TS_REQ_get_policy_id(req.get())) {
    char buf[128] = {0};
    OBJ_obj2txt(buf, sizeof buf, policy, 1);
    out.policy_oid = buf;
  }
  STACK_OF(X509_EXTENSION)* exts = TS_REQ_get_exts(req.get());
  if (exts != nullptr && sk_X509_EXTENSION_num(exts) > 0) {
    return refused("unacceptedExtension", "TimeStampReq extensions are not supported");
  }
  return out;
}

Result<Bytes> encode_timestamp_request(const TimestampRequest& request) {
  if (request.imprint.size() != kImprintSize) return make_error(ErrorCode::kInvalidArgument, "imprint must be 32 bytes");
  TsReqPtr req(TS_REQ_new());
  MsgImprintPtr mi(TS_MSG_IMPRINT_new());
  AlgorPtr algo(X509_ALGOR_new());
  if (!req || !mi || !algo || TS_REQ_set_version(req.get(), 1) != 1 ||
      X509_ALGOR_set0(algo.get(), OBJ_nid2obj(hash_nid(request.hash)), V_ASN1_UNDEF, nullptr) != 1 ||
      TS_MSG_IMPRINT_set_algo(mi.get(), algo.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(mi.get(), const_cast<unsigned char*>(request.imprint.data()),
                             static_cast<int>(request.imprint.size())) != 1 ||
      TS_REQ_set_msg_imprint(req.get(), mi.get()) != 1 || TS_REQ_set_cert_req(req.get(), request.cert_req ? 1 : 0) != 1) {
    return ossl::failure("TimeStampReq");
  }
  if (request.nonce) {
    DUET_ASSIGN_OR_RETURN(ossl::IntegerPtr nonce, integer_of(*request.nonce));
    if (TS_REQ_set_nonce(req.get(), nonce.get()) != 1) return ossl::failure("nonce");
  }
  if (request.policy_oid) {
    ossl::ObjPtr policy(OBJ_txt2obj(request.policy_oid->c_str(), 1));
    if (!policy || TS_REQ_set_policy_id(req.get(), policy.get()) != 1) return ossl::failure("reqPolicy");
  }
  Bytes der = ossl::to_der<TS_REQ>(req.get(), i2d_TS_REQ);
  if (der.empty()) return ossl::failure("i2d_TS_REQ");
  return der;
}

Result<Bytes> issue_timestamp(const TimestampRequest& request, const TimestampAuthority& tsa, ByteView serial,
                              Time now) {
  if (request.imprint.size() != kImprintSize) return refused("badDataFormat", "the imprint must be 32 bytes");
  if (request.policy_oid && *request.policy_oid != tsa.policy_oid) {
    return refused("unacceptedPolicy", "this TSA stamps under policy " + tsa.policy_oid);
  }
  if (serial.empty()) return make_error(ErrorCode::kInvalidArgument, "a serial number is required");
  TstInfoPtr tst(TS_TST_INFO_new());
  MsgImprintPtr mi(TS_MSG_IMPRINT_new());
  AlgorPtr algo(X509_ALGOR_new());
  ossl::ObjPtr policy(OBJ_txt2obj(tsa.policy_oid.c_str(), 1));
  GenTimePtr gen_time(ASN1_GENERALIZEDTIME_set(nullptr, std::chrono::system_clock::to_time_t(now)));
  AccuracyPtr accuracy(TS_ACCURACY_new());
  ossl::IntegerPtr one_second(ASN1_INTEGER_new());
  GeneralNamePtr name(GENERAL_NAME_new());
  X509_NAME* subject = X509_NAME_dup(X509_get_subject_name(tsa.certificate.raw()));
  if (!tst || !mi || !algo || !policy || !gen_time || !accuracy || !one_second || !name || subject == nullptr) {
    X509_NAME_free(subject);
    return ossl::failure("TSTInfo");
  }
  GENERAL_NAME_set0_value(name.get(), GEN_DIRNAME, subject);
  DUET_ASSIGN_OR_RETURN(ossl::IntegerPtr serial_int, integer_of(serial));
  if (X509_ALGOR_set0(algo.get(), OBJ_nid2obj(hash_nid(request.hash)), V_ASN1_UNDEF, nullptr) != 1 ||
      TS_MSG_IMPRINT_set_algo(mi.get(), algo.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(mi.get(), const_cast<unsigned char*>(request.imprint.data()),
                             static_cast<int>(request.imprint.size())) != 1 ||
      TS_TST_INFO_set_version(tst.get(), 1) != 1 || TS_TST_INFO_set_policy_id(tst.get(), policy.get()) != 1 ||
      TS_TST_INFO_set_msg_imprint(tst.get(), mi.get()) != 1 ||
      TS_TST_INFO_set_serial(tst.get(), serial_int.get()) != 1 ||
      TS_TST_INFO_set_time(tst.get(), gen_time.get()) != 1 || ASN1_INTEGER_set(one_second.get(), 1) != 1 ||
      TS_ACCURACY_set_seconds(accuracy.get(), one_second.get()) != 1 ||
      TS_TST_INFO_set_accuracy(tst.get(), accuracy.get()) != 1 || TS_TST_INFO_set_tsa(tst.get(), name.get()) != 1) {
    return ossl::failure("TSTInfo");
  }
  if (request.nonce) {
    DUET_ASSIGN_OR_RETURN(ossl::IntegerPtr nonce, integer_of(*request.nonce));
    if (TS_TST_INFO_set_nonce(tst.get(), nonce.get()) != 1) return ossl::failure("TSTInfo nonce");
  }
  Bytes tst_der = ossl::to_der<TS_TST_INFO>(tst.get(), i2d_TS_TST_INFO);
  if (tst_der.empty()) return ossl::failure("i2d_TS_TST_INFO");

  CmsSignOptions options;
  options.detached = false;
  options.signing_time = now;
  options.content_type_oid = kTstInfoOid;
  options.include_signer_certificate = request.cert_req;
  DUET_ASSIGN_OR_RETURN(Bytes token, cms_sign(tst_der, tsa.certificate, tsa.signer, options));
  Bytes status = status_info(0, "", std::nullopt);  // granted
  Bytes out = response(status, ByteView(token));
  if (out.empty()) return ossl::failure("TimeStampResp");
  return out;
}

Bytes timestamp_rejection(TimestampFailure failure, std::string_view text) {
  return response(status_info(2, text, failure), std::nullopt);  // rejection
}

Result<Bytes> timestamp_token_of_response(ByteView response_der) {
  const unsigned char* p = response_der.data();
  SeqAnyPtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, static_cast<long>(response_der.size())));
  ossl::clear_errors();
  if (!seq || p != response_der.data() + response_der.size() || sk_ASN1_TYPE_num(seq.get()) < 1 ||
      sk_ASN1_TYPE_num(seq.get()) > 2 || ASN1_TYPE_get(sk_ASN1_TYPE_value(seq.get(), 0)) != V_ASN1_SEQUENCE) {
    return make_error(ErrorCode::kBadEncoding, "not a TimeStampResp");
  }
  const ASN1_STRING* status_der = sk_ASN1_TYPE_value(seq.get(), 0)->value.sequence;
  const unsigned char* q = ASN1_STRING_get0_data(status_der);
  SeqAnyPtr status(d2i_ASN1_SEQUENCE_ANY(nullptr, &q, ASN1_STRING_length(status_der)));
  ossl::clear_errors();
  if (!status || sk_ASN1_TYPE_num(status.get()) < 1 ||
      ASN1_TYPE_get(sk_ASN1_TYPE_value(status.get(), 0)) != V_ASN1_INTEGER) {
    return make_error(ErrorCode::kBadEncoding, "TimeStampResp status does not parse");
  }
  const long code = ASN1_INTEGER_get(sk_ASN1_TYPE_value(status.get(), 0)->value.integer);
  if (code != 0 && code != 1) {  // granted, grantedWithMods
    std::string text = "the time-stamping authority refused (status " + std::to_string(code) + ")";
    return make_error(ErrorCode::kUnavailable, text);
  }
  if (sk_ASN1_TYPE_num(seq.get()) != 2 || ASN1_TYPE_get(sk_ASN1_TYPE_value(seq.get(), 1)) != V_ASN1_SEQUENCE) {
    return make_error(ErrorCode::kBadEncoding, "a granted TimeStampResp without a token");
  }
  const ASN1_STRING* token = sk_ASN1_TYPE_value(seq.get(), 1)->value.sequence;
  return Bytes(ASN1_STRING_get0_data(token), ASN1_STRING_get0_data(token) + ASN1_STRING_length(token));
}

Result<TimestampVerification> verify_timestamp_token(ByteView token_der, ImprintHash hash, ByteView expected_imprint,
                                                     const CmsTrust& trust) {
  DUET_ASSIGN_OR_RETURN(ParsedToken token, parse_token(token_der));
  TimestampVerification v;
  const ASN1_GENERALIZEDTIME* gen = TS_TST_INFO_get_time(token.tst.get());
  if (gen == nullptr) return make_error(ErrorCode::kBadEncoding, "TSTInfo has no genTime");
  DUET_ASSIGN_OR_RETURN(v.gen_time, ossl::from_asn1_time(gen));
  if (const ASN1_INTEGER* serial = TS_TST_INFO_get_serial(token.tst.get())) v.serial = integer_bytes(serial);
  if (const ASN1_OBJECT* policy = TS_TST_INFO_get_policy_id(token.tst.get())) {
    char buf[128] = {0};
    OBJ_obj2txt(buf, sizeof buf, policy, 1);
    v.policy_oid = buf;
  }
  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(token.tst.get());
  auto token_hash = imprint_hash_of(TS_MSG_IMPRINT_get_algo(mi));
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(mi);
  v.imprint_matches = token_hash.ok() && *token_hash == hash && msg != nullptr &&
                      constant_time_equal(ByteView(ASN1_STRING_get0_data(msg), static_cast<size_t>(ASN1_STRING_length(msg))),
                                          expected_imprint);
  if (!v.imprint_matches) v.problems.push_back("the token stamps another imprint");

  CmsTrust at_gen_time = trust;
  at_gen_time.at = v.gen_time;
  auto cms = verify_cms(token_der, std::nullopt, at_gen_time);
  if (!cms.ok()) {
    v.problems.push_back("the token's signature cannot be checked: " + cms.error().message);
    return v;
  }
  v.cms = std::move(*cms);
  for (const auto& reason : v.cms.reasons) v.problems.push_back(reason);
  v.tsa = v.cms.signer;
  if (v.tsa) {
    // RFC 3161 §2.3: exactly one extended key usage, id-kp-timeStamping, critical.
    X509* cert = v.tsa->raw();
    const int eku_index = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
    const bool critical = eku_index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, eku_index)) == 1;
    if (!critical || X509_get_extended_key_usage(cert) != XKU_TIMESTAMP) {
      v.problems.push_back("the signer's certificate is not a time-stamping certificate");
    }
  }
  return v;
}

Result<crypto::Digest> signature_timestamp_imprint(ByteView cms_der) {
  DUET_ASSIGN_OR_RETURN(Bytes sig, signature_value(cms_der));
  return crypto::sm3(sig);
}

Result<Bytes> add_signature_timestamp(ByteView cms_der, ByteView token_der) {
  DUET_ASSIGN_OR_RETURN(ParsedToken token, parse_token(token_der));
  DUET_ASSIGN_OR_RETURN(crypto::Digest imprint, signature_timestamp_imprint(cms_der));
  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(token.tst.get());
  auto token_hash = imprint_hash_of(TS_MSG_IMPRINT_get_algo(mi));
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(mi);
  if (!token_hash.ok() || *token_hash != ImprintHash::kSm3 || msg == nullptr ||
      !constant_time_equal(ByteView(ASN1_STRING_get0_data(msg), static_cast<size_t>(ASN1_STRING_length(msg))),
                           imprint)) {
    return make_error(ErrorCode::kInvalidArgument, "the token does not stamp this signature (SM3 of its value)");
  }
  DUET_ASSIGN_OR_RETURN(ParsedCms parsed, parse_one_signer(cms_der));
  if (CMS_unsigned_add1_attr_by_txt(parsed.signer, kSignatureTimeStampOid, V_ASN1_SEQUENCE, token_der.data(),
                                    static_cast<int>(token_der.size())) != 1) {
    return ossl::failure("unsigned attribute");
  }
  Bytes out = ossl::to_der<CMS_ContentInfo>(parsed.cms.get(), i2d_CMS_ContentInfo);
  if (out.empty()) return ossl::failure("i2d_CMS_ContentInfo");
  return out;
}

Result<std::vector<Bytes>> signature_timestamps(ByteView cms_der) {
  DUET_ASSIGN_OR_RETURN(ParsedCms parsed, parse_one_signer(cms_der));
  ossl::ObjPtr oid(OBJ_txt2obj(kSignatureTimeStampOid, 1));
  std::vector<Bytes> out;
  for (int i = CMS_unsigned_get_attr_by_OBJ(parsed.signer, oid.get(), -1); i >= 0;
       i = CMS_unsigned_get_attr_by_OBJ(parsed.signer, oid.get(), i)) {
    X509_ATTRIBUTE* attr = CMS_unsigned_get_attr(parsed.signer, i);
    for (int j = 0; j < X509_ATTRIBUTE_count(attr); ++j) {
      const ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(attr, j);
      if (t == nullptr || t->type != V_ASN1_SEQUENCE) return make_error(ErrorCode::kBadEncoding, "a malformed signature timestamp");
      out.emplace_back(ASN1_STRING_get0_data(t->value.sequence),
                       ASN1_STRING_get0_data(t->value.sequence) + ASN1_STRING_length(t->value.sequence));
    }
  }
  return out;
}

}  // namespace duet::pki
