#include "pki/certificate.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "pki/ossl.h"

namespace duet::pki {

Certificate::Certificate(X509* cert) : x_(cert) {}
Certificate::Certificate(const Certificate& other) : x_(other.x_) { X509_up_ref(x_); }
Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) {
    X509_up_ref(other.x_);
    X509_free(x_);
    x_ = other.x_;
  }
  return *this;
}
Certificate::Certificate(Certificate&& other) noexcept : x_(other.x_) { other.x_ = nullptr; }
Certificate& Certificate::operator=(Certificate&& other) noexcept {
  if (this != &other) {
    X509_free(x_);
    x_ = other.x_;
    other.x_ = nullptr;
  }
  return *this;
}
Certificate::~Certificate() { X509_free(x_); }

Result<Certificate> Certificate::parse(ByteView pem_or_der) {
  DUET_ASSIGN_OR_RETURN(ossl::X509Ptr x, ossl::parse_cert(pem_or_der));
  return Certificate(x.release());
}

Bytes Certificate::der() const { return ossl::cert_der(x_); }
std::string Certificate::pem() const { return ossl::cert_pem(x_); }

Result<crypto::Point> Certificate::public_key() const { return ossl::point_of(X509_get0_pubkey(x_)); }


std::string Certificate::subject() const { return ossl::name_string(X509_get_subject_name(x_)); }
std::string Certificate::issuer() const { return ossl::name_string(X509_get_issuer_name(x_)); }

Bytes Certificate::serial_bytes() const {
  ossl::BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x_), nullptr));
  Bytes out(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}
std::string Certificate::serial_hex() const { return to_hex(serial_bytes()); }

Time Certificate::not_before() const {
  auto t = ossl::from_asn1_time(X509_get0_notBefore(x_));
  return t.ok() ? *t : Time{};
}
Time Certificate::not_after() const {
  auto t = ossl::from_asn1_time(X509_get0_notAfter(x_));
  return t.ok() ? *t : Time{};
}

bool Certificate::is_ca() const {
  uint32_t flags = X509_get_extension_flags(x_);
  return (flags & EXFLAG_CA) != 0 && (X509_get_key_usage(x_) & KU_KEY_CERT_SIGN) != 0;
}

Status verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                    const std::vector<Certificate>& roots, Time at, std::string_view sm2_id) {
  // Fresh copies: setting the ID mutates the X509 object, which the caller may share.
  auto copy = [&](const Certificate& c) -> Result<ossl::X509Ptr> {
    ossl::X509Ptr x(X509_dup(c.raw()));
    if (!x) return ossl::failure("X509_dup");
    X509_set0_distinguishing_id(x.get(), ossl::id_octets(sm2_id).release());
    return x;
  };
  ossl::StorePtr store(X509_STORE_new());
  ossl::X509StackPtr untrusted(sk_X509_new_null());
  if (!store || !untrusted) return ossl::failure("X509_STORE_new");
  for (const Certificate& r : roots) {
    DUET_ASSIGN_OR_RETURN(ossl::X509Ptr x, copy(r));
    if (X509_STORE_add_cert(store.get(), x.get()) != 1) return ossl::failure("X509_STORE_add_cert");
  }
  for (const Certificate& i : intermediates) {
    DUET_ASSIGN_OR_RETURN(ossl::X509Ptr x, copy(i));
    if (!sk_X509_push(untrusted.get(), x.get())) return ossl::failure("sk_X509_push");
    x.release();
  }
  DUET_ASSIGN_OR_RETURN(ossl::X509Ptr target, copy(leaf));
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), target.get(), untrusted.get()) != 1) {
    return ossl::failure("X509_STORE_CTX_init");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(at.time_since_epoch().count()));
  // Trust anchors' self-signatures are checked too (with the same ID).
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_CHECK_SS_SIGNATURE);
  int rc = X509_verify_cert(ctx.get());
  ossl::clear_errors();
  if (rc != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    return make_error(ErrorCode::kSignatureInvalid,
                      std::string("certificate chain: ") + X509_verify_cert_error_string(err) + " at depth " +
                          std::to_string(X509_STORE_CTX_get_error_depth(ctx.get())));
  }
  return Status::Ok();
}

Result<std::string> private_key_pem(const crypto::Scalar& key) {
  DUET_ASSIGN_OR_RETURN(ossl::PkeyPtr pkey, ossl::private_pkey(key));
  ossl::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ossl::failure("PEM_write_bio_PrivateKey");
  }
  return ossl::bio_string(bio.get());
}

Result<crypto::Scalar> private_key_from_pem(std::string_view pem) {
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ossl::clear_errors();
  if (!pkey) return make_error(ErrorCode::kBadEncoding, "not a PEM private key");
  DUET_TRY_STATUS(ossl::point_of(pkey.get()));  // SM2 only
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) return ossl::failure("private key");
  unsigned char buf[32];
  int ok = BN_bn2binpad(d, buf, sizeof buf);
  BN_clear_free(d);
  if (ok != 32) return make_error(ErrorCode::kBadScalar, "private key out of range");
  auto s = crypto::Scalar::from_bytes_nonzero(ByteView(buf, 32));
  secure_wipe(buf, sizeof buf);
  return s;
}

}  // namespace duet::pki
