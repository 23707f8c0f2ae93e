#include "crypto/sm2_evp.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/openssl_util.h"

namespace duet::crypto {
namespace {

struct ParamBldDeleter { void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); } };
struct ParamDeleter { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct BioDeleter { void operator()(BIO* b) const { BIO_free(b); } };

// Builds an SM2 EVP_PKEY from a public point and, optionally, the private scalar.
Result<PkeyPtr> make_pkey(const Point& pub, const Scalar* priv) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  Point::Encoded enc = pub.to_sec1();
  BnPtr d;
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, enc.data(), enc.size()) != 1) {
    return crypto_error("OSSL_PARAM_BLD");
  }
  if (priv != nullptr) {
    d = new_secret_bn();
    BN_bin2bn(priv->bytes().data(), 32, d.get());
    if (OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) return crypto_error("push priv");
  }
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* pkey = nullptr;
  int selection = priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, selection, params.get()) != 1) {
    return crypto_error("EVP_PKEY_fromdata(SM2)");
  }
  return PkeyPtr(pkey);
}

// EVP_MD_CTX_set_pkey_ctx leaves the pkey ctx owned by the caller: keep both
// together (md is destroyed first, being declared last).
struct Sm2DigestCtx {
  PkeyCtxPtr pctx;
  MdCtxPtr md;
};

Result<Sm2DigestCtx> digest_ctx(EVP_PKEY* pkey, std::string_view id, bool sign) {
  Sm2DigestCtx c;
  c.pctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!c.pctx || EVP_PKEY_CTX_set1_id(c.pctx.get(), id.data(), id.size()) != 1) return crypto_error("set SM2 ID");
  c.md.reset(EVP_MD_CTX_new());
  if (!c.md) openssl_fatal("EVP_MD_CTX_new");
  EVP_MD_CTX_set_pkey_ctx(c.md.get(), c.pctx.get());
  int rc = sign ? EVP_DigestSignInit(c.md.get(), nullptr, sm3_md(), nullptr, pkey)
                : EVP_DigestVerifyInit(c.md.get(), nullptr, sm3_md(), nullptr, pkey);
  if (rc != 1) return crypto_error("EVP_Digest*Init(SM2)");
  return c;
}

}  // namespace

Result<Bytes> public_key_spki_der(const Point& public_key) {
  DUET_ASSIGN_OR_RETURN(PkeyPtr pkey, make_pkey(public_key, nullptr));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey.get(), &der);
  if (len <= 0) return crypto_error("i2d_PUBKEY");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<std::string> public_key_spki_pem(const Point& public_key) {
  DUET_ASSIGN_OR_RETURN(PkeyPtr pkey, make_pkey(public_key, nullptr));
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) return crypto_error("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<Point> public_key_from_spki(ByteView pem_or_der) {
  EVP_PKEY* pkey = nullptr;
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem_or_der.data(), static_cast<int>(pem_or_der.size())));
  if (!bio) openssl_fatal("BIO_new_mem_buf");
  pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    const unsigned char* p = pem_or_der.data();
    pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(pem_or_der.size()));
  }
  openssl_errors();
  if (pkey == nullptr) return make_error(ErrorCode::kBadEncoding, "not a SubjectPublicKeyInfo");
  PkeyPtr owned(pkey);
  char group[64] = {0};
  size_t glen = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1 ||
      std::string_view(group, glen) != "SM2") {
    openssl_errors();
    return make_error(ErrorCode::kBadPoint, "public key is not on the SM2 curve");
  }
  unsigned char buf[Point::kSize + 8];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) != 1) {
    return crypto_error("public key octets");
  }
  if (len != Point::kSize) {
    // Compressed encodings are legal in SPKI; normalise through EC_POINT.
    return make_error(ErrorCode::kBadPoint, "public key must be uncompressed");
  }
  return Point::from_sec1(ByteView(buf, len));
}

Result<Bytes> evp_sm2_sign(const Scalar& private_key, ByteView message, std::string_view id) {
  DUET_ASSIGN_OR_RETURN(Point pub, Point::mul_base(private_key));
  DUET_ASSIGN_OR_RETURN(PkeyPtr pkey, make_pkey(pub, &private_key));
  DUET_ASSIGN_OR_RETURN(Sm2DigestCtx c, digest_ctx(pkey.get(), id, true));
  EVP_MD_CTX* md = c.md.get();
  size_t len = 0;
  if (EVP_DigestSign(md, nullptr, &len, message.data(), message.size()) != 1) return crypto_error("sign size");
  Bytes sig(len);
  if (EVP_DigestSign(md, sig.data(), &len, message.data(), message.size()) != 1) {
    return crypto_error("EVP_DigestSign(SM2)");
  }
  sig.resize(len);
  return sig;
}

Result<Sm2Signature> evp_sm2_sign_digest(const Scalar& private_key, const Digest& e) {
  DUET_ASSIGN_OR_RETURN(Point pub, Point::mul_base(private_key));
  DUET_ASSIGN_OR_RETURN(PkeyPtr pkey, make_pkey(pub, &private_key));
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr),
                                                                   &EVP_PKEY_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_sign(ctx.get(), nullptr, &len, e.data(), e.size()) != 1) {
    return crypto_error("EVP_PKEY_sign(SM2) size");
  }
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, e.data(), e.size()) != 1) return crypto_error("EVP_PKEY_sign(SM2)");
  sig.resize(len);
  return Sm2Signature::from_der(sig);
}

Status evp_sm2_verify(const Point& public_key, ByteView message, ByteView der_signature, std::string_view id) {
  DUET_ASSIGN_OR_RETURN(PkeyPtr pkey, make_pkey(public_key, nullptr));
  DUET_ASSIGN_OR_RETURN(Sm2DigestCtx c, digest_ctx(pkey.get(), id, false));
  int rc = EVP_DigestVerify(c.md.get(), der_signature.data(), der_signature.size(), message.data(), message.size());
  openssl_errors();
  if (rc != 1) return make_error(ErrorCode::kSignatureInvalid, "OpenSSL EVP SM2 verify failed");
  return Status::Ok();
}

}  // namespace duet::crypto
