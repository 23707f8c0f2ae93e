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

Result<CrlAnswer> crl_lookup(ByteView der, ByteView serial) {
  const unsigned char* p = der.data();
  ossl::CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  ossl::clear_errors();
  if (!crl || p != der.data() + der.size()) return make_error(ErrorCode::kBadEncoding, "not a DER CRL");
  if (serial.empty() || serial.size() > 20) return make_error(ErrorCode::kInvalidArgument, "bad serial");
  CrlAnswer out;
  DUET_ASSIGN_OR_RETURN(out.this_update, ossl::from_asn1_time(X509_CRL_get0_lastUpdate(crl.get())));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()); next != nullptr) {
    DUET_ASSIGN_OR_RETURN(Time t, ossl::from_asn1_time(next));
    out.next_update = t;
  }
  ossl::BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  ossl::IntegerPtr sn(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!sn) return ossl::failure("serial");
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_serial(crl.get(), &entry, sn.get()) == 1 && entry != nullptr) {
    RevokedEntry r;
    r.serial = Bytes(serial.begin(), serial.end());
    DUET_ASSIGN_OR_RETURN(r.revoked_at, ossl::from_asn1_time(X509_REVOKED_get0_revocationDate(entry)));
    EnumPtr code(static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
    if (code) r.reason = static_cast<RevocationReason>(ASN1_ENUMERATED_get(code.get()));
    out.revoked = r;
  }
  ossl::clear_errors();
  return out;
}

std::string crl_distribution_point(const Certificate& cert) {
  using DistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, decltype([](CRL_DIST_POINTS* d) { CRL_DIST_POINTS_free(d); })>;
  DistPointsPtr points(
      static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(cert.raw(), NID_crl_distribution_points, nullptr, nullptr)));
  ossl::clear_errors();
  if (!points) return "";
  for (int i = 0; i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points.get(), i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;  // 0: fullName
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, j);
      if (n->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = n->d.uniformResourceIdentifier;
      return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)), ASN1_STRING_length(uri));
    }
  }
  return "";
}

}  // namespace duet::pki
