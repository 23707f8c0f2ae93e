#include "crypto/aead.h"

#include <gcrypt.h>
#include <openssl/evp.h>

#include <mutex>

#include "crypto/openssl_util.h"

namespace duet::crypto {
namespace {

void gcrypt_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (gcry_check_version("1.9.0") == nullptr) {
      std::fprintf(stderr, "duet: libgcrypt >= 1.9 (SM4) required\n");
      std::abort();
    }
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
  });
}

struct GcryHandle {
  gcry_cipher_hd_t h = nullptr;
  ~GcryHandle() {
    if (h != nullptr) gcry_cipher_close(h);
  }
};

Status check_sizes(AeadAlgorithm alg, ByteView key, ByteView nonce) {
  if (key.size() != aead_key_size(alg)) return make_error(ErrorCode::kInvalidArgument, "AEAD key has the wrong size");
  if (nonce.size() != kAeadNonceSize) return make_error(ErrorCode::kInvalidArgument, "AEAD nonce must be 12 bytes");
  return Status::Ok();
}

Result<Bytes> sm4_gcm(bool encrypt, ByteView key, ByteView nonce, ByteView aad, ByteView in, ByteView tag_in,
                      Bytes* tag_out) {
  gcrypt_init();
  GcryHandle hd;
  if (gcry_cipher_open(&hd.h, GCRY_CIPHER_SM4, GCRY_CIPHER_MODE_GCM, GCRY_CIPHER_SECURE) != 0 ||
      gcry_cipher_setkey(hd.h, key.data(), key.size()) != 0 || gcry_cipher_setiv(hd.h, nonce.data(), nonce.size()) != 0 ||
      gcry_cipher_authenticate(hd.h, aad.data(), aad.size()) != 0) {
    return make_error(ErrorCode::kCryptoFailure, "libgcrypt SM4-GCM set-up failed");
  }
  Bytes out(in.size());
  gcry_cipher_final(hd.h);
  gcry_error_t err = encrypt ? gcry_cipher_encrypt(hd.h, out.data(), out.size(), in.data(), in.size())
                             : gcry_cipher_decrypt(hd.h, out.data(), out.size(), in.data(), in.size());
  if (err != 0) return make_error(ErrorCode::kCryptoFailure, "libgcrypt SM4-GCM failed");
  if (encrypt) {
    tag_out->resize(kAeadTagSize);
    if (gcry_cipher_gettag(hd.h, tag_out->data(), kAeadTagSize) != 0) {
      return make_error(ErrorCode::kCryptoFailure, "libgcrypt SM4-GCM tag");
    }
  } else if (gcry_cipher_checktag(hd.h, tag_in.data(), tag_in.size()) != 0) {
    secure_wipe(out.data(), out.size());
    return make_error(ErrorCode::kBadEncoding, "authentication failed");
  }
  return out;
}

Result<Bytes> aes_gcm(bool encrypt, ByteView key, ByteView nonce, ByteView aad, ByteView in, ByteView tag_in,
                      Bytes* tag_out) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_fatal("EVP_CIPHER_CTX_new");
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) openssl_fatal("EVP_CIPHER_fetch(AES-256-GCM)");
  int ok = encrypt ? EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr)
                   : EVP_DecryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr);
  if (ok != 1) return crypto_error("AES-256-GCM init");
  int len = 0;
  if (!aad.empty()) {
    ok = encrypt ? EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size()))
                 : EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size()));
    if (ok != 1) return crypto_error("AES-256-GCM aad");
  }
  Bytes out(in.size() + 16);
  int outl = 0;
  if (!in.empty()) {
    ok = encrypt ? EVP_EncryptUpdate(ctx.get(), out.data(), &outl, in.data(), static_cast<int>(in.size()))
                 : EVP_DecryptUpdate(ctx.get(), out.data(), &outl, in.data(), static_cast<int>(in.size()));
    if (ok != 1) return crypto_error("AES-256-GCM update");
  }
  if (encrypt) {
    if (EVP_EncryptFinal_ex(ctx.get(), out.data() + outl, &len) != 1) return crypto_error("AES-256-GCM final");
    tag_out->resize(kAeadTagSize);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagSize, tag_out->data()) != 1) {
      return crypto_error("AES-256-GCM tag");
    }
  } else {
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagSize, const_cast<uint8_t*>(tag_in.data())) != 1) {
      return crypto_error("AES-256-GCM set tag");
    }
    if (EVP_DecryptFinal_ex(ctx.get(), out.data() + outl, &len) != 1) {
      openssl_errors();
      secure_wipe(out.data(), out.size());
      return make_error(ErrorCode::kBadEncoding, "authentication failed");
    }
  }
  out.resize(static_cast<size_t>(outl + len));
  return out;
}

}  // namespace

size_t aead_key_size(AeadAlgorithm alg) { return alg == AeadAlgorithm::kSm4Gcm ? 16 : 32; }

std::string_view aead_name(AeadAlgorithm alg) { return alg == AeadAlgorithm::kSm4Gcm ? "sm4-gcm" : "aes-256-gcm"; }

Result<AeadAlgorithm> aead_from_name(std::string_view name) {
  if (name == "sm4-gcm") return AeadAlgorithm::kSm4Gcm;
  if (name == "aes-256-gcm") return AeadAlgorithm::kAes256Gcm;
  return make_error(ErrorCode::kInvalidArgument, "unknown AEAD algorithm");
}

Result<Bytes> aead_seal(AeadAlgorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  DUET_TRY_STATUS(check_sizes(alg, key, nonce));
  Bytes tag;
  auto ct = alg == AeadAlgorithm::kSm4Gcm ? sm4_gcm(true, key, nonce, aad, plaintext, {}, &tag)
                                          : aes_gcm(true, key, nonce, aad, plaintext, {}, &tag);
  if (!ct.ok()) return Unexpected{ct.error()};
  Bytes out = std::move(ct).value();
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

Result<SecretBytes> aead_open(AeadAlgorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView sealed) {
  DUET_TRY_STATUS(check_sizes(alg, key, nonce));
  if (sealed.size() < kAeadTagSize) return make_error(ErrorCode::kBadEncoding, "sealed data shorter than the tag");
  ByteView ct = sealed.first(sealed.size() - kAeadTagSize);
  ByteView tag = sealed.last(kAeadTagSize);
  auto pt = alg == AeadAlgorithm::kSm4Gcm ? sm4_gcm(false, key, nonce, aad, ct, tag, nullptr)
                                          : aes_gcm(false, key, nonce, aad, ct, tag, nullptr);
  if (!pt.ok()) return Unexpected{pt.error()};
  Bytes plain = std::move(pt).value();
  SecretBytes out{ByteView(plain)};
  secure_wipe(plain.data(), plain.size());
  return out;
}

}  // namespace duet::crypto
