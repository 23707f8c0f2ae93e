#include "crypto/openssl_util.h"

#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include <cstdio>
#include <cstdlib>

namespace duet::crypto {

const EVP_MD* sm3_md() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SM3", nullptr);
    if (m == nullptr) openssl_fatal("EVP_MD_fetch(SM3)");
    return m;
  }();
  return md;
}

const EC_GROUP* sm2_group() {
  static const EC_GROUP* group = [] {
    EC_GROUP* g = EC_GROUP_new_by_curve_name(NID_sm2);
    if (g == nullptr) openssl_fatal("EC_GROUP_new_by_curve_name(SM2)");
    return g;
  }();
  return group;
}

const BIGNUM* sm2_order() { return EC_GROUP_get0_order(sm2_group()); }

BN_MONT_CTX* sm2_order_mont() {
  static BN_MONT_CTX* mont = [] {
    BN_MONT_CTX* m = BN_MONT_CTX_new();
    BN_CTX* ctx = BN_CTX_new();
    if (m == nullptr || ctx == nullptr || BN_MONT_CTX_set(m, sm2_order(), ctx) != 1) {
      openssl_fatal("BN_MONT_CTX_set(n)");
    }
    BN_CTX_free(ctx);
    return m;
  }();
  return mont;
}

BN_CTX* thread_bn_ctx() {
  struct Holder {
    BN_CTX* ctx = BN_CTX_secure_new();
    ~Holder() { BN_CTX_free(ctx); }
  };
  thread_local Holder holder;
  if (holder.ctx == nullptr) openssl_fatal("BN_CTX_secure_new");
  return holder.ctx;
}

BnPtr new_secret_bn() {
  BIGNUM* b = BN_secure_new();
  if (b == nullptr) openssl_fatal("BN_secure_new");
  BN_set_flags(b, BN_FLG_CONSTTIME);
  return BnPtr(b);
}

std::string openssl_errors() {
  std::string out;
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Unexpected crypto_error(const std::string& what) {
  std::string detail = openssl_errors();
  return make_error(ErrorCode::kCryptoFailure, detail.empty() ? what : what + ": " + detail);
}

void openssl_fatal(const char* what) {
  std::fprintf(stderr, "duet: fatal OpenSSL failure in %s: %s\n", what, openssl_errors().c_str());
  std::abort();
}

}  // namespace duet::crypto
