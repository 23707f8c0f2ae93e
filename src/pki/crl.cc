#include "pki/crl.h"

#include "pki/ossl.h"

namespace duet::pki {
namespace {
using RevokedPtr = ossl::Ptr<X509_REVOKED, X509_REVOKED_free>;
using EnumPtr = ossl::Ptr<ASN1_ENUMERATED, ASN1_ENUMERATED_free>;
}  // namespace

Result<Bytes> build_crl(const IssuingCa& ca, const std::vector<RevokedEntry>& revoked, const CrlParams& params) {
  ossl::CrlPtr crl(X509_CRL_new());
  ossl::TimePtr this_update = ossl::asn1_time(params.this_update);
  ossl::TimePtr next_update = ossl::asn1_time(params.this_update + params.next_update_after);
  if (!crl || !this_update || !next_update || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.certificate.raw())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return ossl::failure("building CRL");
  }
  for (const RevokedEntry& r : revoked) {
    if (r.serial.empty() || r.serial.size() > 20) return make_error(ErrorCode::kInvalidArgument, "bad serial in CRL entry");
    RevokedPtr entry(X509_REVOKED_new());
    ossl::BnPtr bn(BN_bin2bn(r.serial.data(), static_cast<int>(r.serial.size()), nullptr));
    ossl::IntegerPtr sn(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    ossl::TimePtr when = ossl::asn1_time(r.revoked_at);
    if (!entry || !sn || !when || X509_REVOKED_set_serialNumber(entry.get(), sn.get()) != 1 ||
        X509_REVOKED_set_revocationDate(entry.get(), when.get()) != 1) {
      return ossl::failure("CRL entry");
    }
    if (r.reason != RevocationReason::kUnspecified) {
      EnumPtr code(ASN1_ENUMERATED_new());
      if (!code || ASN1_ENUMERATED_set(code.get(), static_cast<int>(r.reason)) != 1 ||
          X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, code.get(), 0, 0) != 1) {
        return ossl::failure("CRL reason");
      }
    }
    if (X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) return ossl::failure("X509_CRL_add0_revoked");
    entry.release();
  }
  X509_CRL_sort(crl.get());
  ossl::IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_uint64(number.get(), params.crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    return ossl::failure("cRLNumber");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca.certificate.raw(), nullptr, nullptr, crl.get(), 0);
  ossl::ExtPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) return ossl::failure("CRL authorityKeyIdentifier");

  DUET_ASSIGN_OR_RETURN(ossl::PkeyPtr key, ossl::private_pkey(ca.private_key));
  DUET_ASSIGN_OR_RETURN(ossl::MdCtxPtr md, ossl::sm2_sign_ctx(key.get(), ca.sm2_id));
  if (X509_CRL_sign_ctx(crl.get(), md.get()) <= 0) return ossl::failure("X509_CRL_sign_ctx(SM2)");
  Bytes der = ossl::to_der<X509_CRL>(crl.get(), i2d_X509_CRL);
  if (der.empty()) return ossl::failure("i2d_X509_CRL");
  return der;
}

Status verify_crl(ByteView der, const Certificate& issuer, std::string_view sm2_id) {
  const unsigned char* p = der.data();
  ossl::CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  ossl::clear_errors();
  if (!crl || p != der.data() + der.size()) return make_error(ErrorCode::kBadEncoding, "not a DER CRL");
  const X509_ALGOR* outer = nullptr;
  X509_CRL_get0_signature(crl.get(), nullptr, &outer);
  if (!ossl::is_sm2_with_sm3(outer)) {
    return make_error(ErrorCode::kSignatureInvalid, "CRL is not signed with SM2-with-SM3");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer.raw())) != 0) {
    return make_error(ErrorCode::kSignatureInvalid, "CRL issuer is not this CA");
  }
  unsigned char* tbs = nullptr;
  int len = i2d_re_X509_CRL_tbs(crl.get(), &tbs);
  if (len <= 0) return ossl::failure("i2d_re_X509_CRL_tbs");
  Bytes tbs_bytes(tbs, tbs + len);
  OPENSSL_free(tbs);
  const ASN1_BIT_STRING* sig = nullptr;
  X509_CRL_get0_signature(crl.get(), &sig, nullptr);
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, issuer.public_key());
  return ossl::verify_sm2_der_signature(pub, tbs_bytes, sig, sm2_id, "CRL");
}

}  // namespace duet::pki
