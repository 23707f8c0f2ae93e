#include "pki/ossl.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <ctime>

#include "crypto/openssl_util.h"

namespace duet::pki::ossl {

std::string errors() { return crypto::openssl_errors(); }

void clear_errors() { ERR_clear_error(); }

Unexpected failure(const std::string& what) {
  std::string detail = errors();
  return make_error(ErrorCode::kCryptoFailure, detail.empty() ? what : what + ": " + detail);
}

namespace {

using ParamBldPtr = Ptr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = Ptr<OSSL_PARAM, OSSL_PARAM_free>;
struct SecretBnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};

Result<PkeyPtr> make_pkey(const crypto::Point& pub, const crypto::Scalar* priv) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  crypto::Point::Encoded enc = pub.to_sec1();
  std::unique_ptr<BIGNUM, SecretBnFree> d;
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, enc.data(), enc.size()) != 1) {
    return failure("OSSL_PARAM_BLD");
  }
  if (priv != nullptr) {
    d.reset(BN_secure_new());
    if (!d || BN_bin2bn(priv->bytes().data(), 32, d.get()) == nullptr ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
      return failure("private key parameter");
    }
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* pkey = nullptr;
  int selection = priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, selection, params.get()) != 1) {
    return failure("EVP_PKEY_fromdata(SM2)");
  }
  return PkeyPtr(pkey);
}

}  // namespace

Result<PkeyPtr> public_pkey(const crypto::Point& pub) { return make_pkey(pub, nullptr); }

Result<PkeyPtr> private_pkey(const crypto::Scalar& priv) {
  if (priv.is_zero()) return make_error(ErrorCode::kBadScalar, "private key is zero");
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::mul_base(priv));
  return make_pkey(pub, &priv);
}

Result<crypto::Point> point_of(const EVP_PKEY* pkey) {
  char group[64] = {0};
  size_t glen = 0;
  if (pkey == nullptr ||
      EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1 ||
      std::string_view(group, glen) != "SM2") {
    clear_errors();
    return make_error(ErrorCode::kBadPoint, "not an SM2 public key");
  }
  unsigned char buf[crypto::Point::kSize + 8];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) != 1) {
    return failure("public key octets");
  }
  if (len != crypto::Point::kSize) return make_error(ErrorCode::kBadPoint, "public key must be uncompressed");
  return crypto::Point::from_sec1(ByteView(buf, len));
}

Result<MdCtxPtr> sm2_sign_ctx(EVP_PKEY* key, std::string_view id) {
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md) return failure("EVP_MD_CTX_new");
  // The ID must be on the pkey ctx before the digest starts: _ex init with a
  // NULL ctx creates it; set the ID right after (3.0 rejects "distid" params
  // at init), and only then does Z_A get computed at the first update.
  if (EVP_DigestSignInit_ex(md.get(), &pctx, "SM3", nullptr, nullptr, key, nullptr) != 1 || pctx == nullptr ||
      EVP_PKEY_CTX_set1_id(pctx, id.data(), id.size()) != 1) {
    return failure("SM2 signing context");
  }
  return md;
}

OctetPtr id_octets(std::string_view id) {
  OctetPtr o(ASN1_OCTET_STRING_new());
  if (o) ASN1_OCTET_STRING_set(o.get(), reinterpret_cast<const unsigned char*>(id.data()), static_cast<int>(id.size()));
  return o;
}

Bytes cert_der(const X509* cert) { return to_der<X509>(cert, i2d_X509); }

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string cert_pem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert)) != 1) return {};
  return bio_string(bio.get());
}

Result<X509Ptr> parse_cert(ByteView pem_or_der) {
  BioPtr bio(BIO_new_mem_buf(pem_or_der.data(), static_cast<int>(pem_or_der.size())));
  X509* x = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (x == nullptr) {
    const unsigned char* p = pem_or_der.data();
    x = d2i_X509(nullptr, &p, static_cast<long>(pem_or_der.size()));
    if (x != nullptr && p != pem_or_der.data() + pem_or_der.size()) {
      X509_free(x);
      x = nullptr;
    }
  }
  clear_errors();
  if (x == nullptr) return make_error(ErrorCode::kBadEncoding, "not an X.509 certificate (PEM or DER)");
  return X509Ptr(x);
}

TimePtr asn1_time(Time t) {
  // ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime after (RFC 5280).
  return TimePtr(ASN1_TIME_set(nullptr, static_cast<time_t>(t.time_since_epoch().count())));
}

Result<Time> from_asn1_time(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return make_error(ErrorCode::kBadEncoding, "bad time");
  return Time(std::chrono::seconds(timegm(&tm)));
}

bool is_sm2_with_sm3(const X509_ALGOR* alg) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return obj != nullptr && OBJ_obj2nid(obj) == NID_SM2_with_SM3;
}

bool set_sm2_with_sm3(X509_ALGOR* alg) {
  return X509_ALGOR_set0(alg, OBJ_nid2obj(NID_SM2_with_SM3), V_ASN1_UNDEF, nullptr) == 1;
}

Status verify_sm2_der_signature(const crypto::Point& signer, ByteView tbs, const ASN1_STRING* sig,
                                std::string_view sm2_id, std::string_view what) {
  DUET_ASSIGN_OR_RETURN(crypto::Digest e, crypto::sm2_digest(signer, tbs, sm2_id));
  auto s = crypto::Sm2Signature::from_der(ByteView(ASN1_STRING_get0_data(sig), static_cast<size_t>(ASN1_STRING_length(sig))));
  if (!s.ok()) return make_error(ErrorCode::kSignatureInvalid, std::string(what) + " signature is not a DER SM2 signature");
  return crypto::sm2_verify_digest(signer, e, *s);
}

}  // namespace duet::pki::ossl

namespace duet::pki::ossl {

Result<NamePtr> build_name(const DistinguishedName& dn) {
  NamePtr name(X509_NAME_new());
  if (!name) return failure("X509_NAME_new");
  struct Field {
    int nid;
    const std::string& value;
    int type;
  };
  const Field fields[] = {{NID_countryName, dn.country, V_ASN1_PRINTABLESTRING},
                          {NID_organizationName, dn.organization, MBSTRING_UTF8},
                          {NID_organizationalUnitName, dn.organizational_unit, MBSTRING_UTF8},
                          {NID_commonName, dn.common_name, MBSTRING_UTF8},
                          {NID_serialNumber, dn.serial_number, V_ASN1_PRINTABLESTRING}};
  for (const Field& f : fields) {
    if (f.value.empty()) continue;
    if (X509_NAME_add_entry_by_NID(name.get(), f.nid, f.type, reinterpret_cast<const unsigned char*>(f.value.data()),
                                   static_cast<int>(f.value.size()), -1, 0) != 1) {
      clear_errors();
      return make_error(ErrorCode::kInvalidArgument,
                        std::string("subject field ") + OBJ_nid2sn(f.nid) + " is not acceptable");
    }
  }
  return name;
}

Status add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return failure(std::string("extension ") + OBJ_nid2sn(nid));
  return Status::Ok();
}

}  // namespace duet::pki::ossl

namespace duet::pki::ossl {

Result<X509Ptr> new_certificate(ByteView serial, const X509_NAME* subject, const X509_NAME* issuer,
                                Time not_before, Time not_after, EVP_PKEY* subject_key) {
  X509Ptr x(X509_new());
  BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  IntegerPtr sn(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  TimePtr nb = asn1_time(not_before), na = asn1_time(not_after);
  if (!x || !sn || !nb || !na || X509_set_version(x.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(x.get(), sn.get()) != 1 || X509_set_subject_name(x.get(), subject) != 1 ||
      X509_set_issuer_name(x.get(), issuer) != 1 || X509_set1_notBefore(x.get(), nb.get()) != 1 ||
      X509_set1_notAfter(x.get(), na.get()) != 1 || X509_set_pubkey(x.get(), subject_key) != 1) {
    return failure("building certificate");
  }
  return x;
}

Status sign_certificate(X509* cert, const crypto::Scalar& key, std::string_view id) {
  DUET_ASSIGN_OR_RETURN(PkeyPtr pkey, private_pkey(key));
  DUET_ASSIGN_OR_RETURN(MdCtxPtr md, sm2_sign_ctx(pkey.get(), id));
  if (X509_sign_ctx(cert, md.get()) <= 0) return failure("X509_sign_ctx(SM2)");
  return Status::Ok();
}

}  // namespace duet::pki::ossl

namespace duet::pki::ossl {
namespace {
std::string entry(const X509_NAME* name, int nid) {
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return {};
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

DistinguishedName dn_fields(const X509_NAME* name) {
  return {entry(name, NID_countryName), entry(name, NID_organizationName), entry(name, NID_organizationalUnitName),
          entry(name, NID_commonName), entry(name, NID_serialNumber)};
}

std::string name_string(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bio_string(bio.get());
}

}  // namespace duet::pki::ossl
