#include "pki/ocsp.h"

#include "pki/ossl.h"

namespace duet::pki {
namespace {

Result<Bytes> encode(OCSP_RESPONSE* resp) {
  Bytes der = ossl::to_der<OCSP_RESPONSE>(resp, i2d_OCSP_RESPONSE);
  if (der.empty()) return ossl::failure("i2d_OCSP_RESPONSE");
  return der;
}

Result<Bytes> status_only(int status) {
  ossl::OcspRespPtr resp(OCSP_response_create(status, nullptr));
  if (!resp) return ossl::failure("OCSP_response_create");
  return encode(resp.get());
}

// Whether `id` names `issuer` (issuer name and key hashes with the CertID's
// own hash algorithm).
bool names_issuer(OCSP_CERTID* id, X509* issuer) {
  ASN1_OBJECT* md_obj = nullptr;
  if (OCSP_id_get0_info(nullptr, &md_obj, nullptr, nullptr, id) != 1) return false;
  const EVP_MD* md = EVP_get_digestbyobj(md_obj);
  if (md == nullptr) return false;
  ossl::OcspCertIdPtr ours(OCSP_cert_to_id(md, nullptr, issuer));
  return ours && OCSP_id_issuer_cmp(ours.get(), id) == 0;
}

}  // namespace

Result<Bytes> ocsp_respond(const OcspResponderConfig& config, ByteView request_der, const StatusLookup& lookup,
                           Time now) {
  const unsigned char* p = request_der.data();
  ossl::OcspReqPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())));
  ossl::clear_errors();
  if (!req || p != request_der.data() + request_der.size() || OCSP_request_onereq_count(req.get()) <= 0) {
    return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
  ossl::OcspBasicPtr basic(OCSP_BASICRESP_new());
  ossl::TimePtr this_update = ossl::asn1_time(now);
  ossl::TimePtr next_update = ossl::asn1_time(now + config.validity);
  if (!basic || !this_update || !next_update) return ossl::failure("OCSP_BASICRESP_new");
  for (int i = 0; i < OCSP_request_onereq_count(req.get()); ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
    StatusAnswer answer;
    ASN1_INTEGER* serial = nullptr;
    if (names_issuer(id, config.issuer.raw()) && OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, id) == 1) {
      ossl::BnPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
      if (bn && !BN_is_negative(bn.get())) {
        Bytes sn(static_cast<size_t>(BN_num_bytes(bn.get())));
        BN_bn2bin(bn.get(), sn.data());
        auto looked_up = lookup(sn);
        if (!looked_up.ok()) return status_only(OCSP_RESPONSE_STATUS_INTERNALERROR);
        answer = *looked_up;
      }
    }
    ossl::clear_errors();
    int status = answer.status == CertStatus::kGood      ? V_OCSP_CERTSTATUS_GOOD
                 : answer.status == CertStatus::kRevoked ? V_OCSP_CERTSTATUS_REVOKED
                                                         : V_OCSP_CERTSTATUS_UNKNOWN;
    ossl::TimePtr revoked_at;
    int reason = -1;
    if (answer.status == CertStatus::kRevoked) {
      revoked_at = ossl::asn1_time(answer.revoked_at);
      if (answer.reason != RevocationReason::kUnspecified) reason = static_cast<int>(answer.reason);
    }
    if (OCSP_basic_add1_status(basic.get(), id, status, reason, revoked_at.get(), this_update.get(),
                               next_update.get()) == nullptr) {
      return ossl::failure("OCSP_basic_add1_status");
    }
  }
  if (OCSP_copy_nonce(basic.get(), req.get()) <= 0) return ossl::failure("OCSP_copy_nonce");
  DUET_ASSIGN_OR_RETURN(ossl::PkeyPtr key, ossl::private_pkey(config.signer_key));
  DUET_ASSIGN_OR_RETURN(ossl::MdCtxPtr md, ossl::sm2_sign_ctx(key.get(), config.sm2_id));
  if (OCSP_basic_sign_ctx(basic.get(), config.signer.raw(), md.get(), nullptr, 0) != 1) {
    return ossl::failure("OCSP_basic_sign_ctx(SM2)");
  }
  ossl::OcspRespPtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!resp) return ossl::failure("OCSP_response_create");
  return encode(resp.get());
}

Status verify_ocsp_response_signature(ByteView response_der, const Certificate& responder, std::string_view sm2_id) {
  const unsigned char* p = response_der.data();
  ossl::OcspRespPtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(response_der.size())));
  ossl::OcspBasicPtr basic(resp ? OCSP_response_get1_basic(resp.get()) : nullptr);
  ossl::clear_errors();
  if (!basic) return make_error(ErrorCode::kBadEncoding, "not a successful basic OCSP response");
  if (!ossl::is_sm2_with_sm3(OCSP_resp_get0_tbs_sigalg(basic.get()))) {
    return make_error(ErrorCode::kSignatureInvalid, "OCSP response is not signed with SM2-with-SM3");
  }
  Bytes tbs = ossl::to_der<OCSP_RESPDATA>(OCSP_resp_get0_respdata(basic.get()), i2d_OCSP_RESPDATA);
  const ASN1_OCTET_STRING* sig = OCSP_resp_get0_signature(basic.get());
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, responder.public_key());
  return ossl::verify_sm2_der_signature(pub, tbs, sig, sm2_id, "OCSP");
}

}  // namespace duet::pki
