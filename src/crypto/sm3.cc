#include "crypto/sm3.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "crypto/openssl_util.h"

namespace duet::crypto {

struct Sm3::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Digest sm3(ByteView data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sm3_md(), nullptr) != 1 || len != out.size()) {
    openssl_fatal("EVP_Digest(SM3)");
  }
  return out;
}

Sm3::Sm3() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, sm3_md(), nullptr) != 1) {
    openssl_fatal("EVP_DigestInit_ex(SM3)");
  }
}

Sm3::~Sm3() { EVP_MD_CTX_free(impl_->ctx); }

Sm3& Sm3::update(ByteView data) {
  if (!data.empty() && EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) {
    openssl_fatal("EVP_DigestUpdate(SM3)");
  }
  return *this;
}

Sm3& Sm3::update_framed(ByteView data) {
  uint32_t n = static_cast<uint32_t>(data.size());
  uint8_t len[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                    static_cast<uint8_t>(n)};
  update(ByteView(len, 4));
  return update(data);
}

Digest Sm3::final() {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) != 1 || len != out.size()) {
    openssl_fatal("EVP_DigestFinal_ex(SM3)");
  }
  return out;
}

Digest hmac_sm3(ByteView key, ByteView data) {
  Digest out{};
  unsigned int len = 0;
  // HMAC() one-shot is not deprecated in OpenSSL 3.0; it fetches the digest we pass.
  static const uint8_t kEmpty = 0;
  const uint8_t* k = key.empty() ? &kEmpty : key.data();
  if (HMAC(sm3_md(), k, static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) == nullptr ||
      len != out.size()) {
    openssl_fatal("HMAC(SM3)");
  }
  return out;
}

}  // namespace duet::crypto
