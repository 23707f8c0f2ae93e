#include "crypto/kdf.h"

#include <openssl/evp.h>

#include "crypto/openssl_util.h"

namespace duet::crypto {

Result<SecretBytes> pbkdf2_hmac_sm3(ByteView password, ByteView salt, uint32_t iterations, size_t out_len) {
  if (iterations == 0 || out_len == 0 || iterations > 100'000'000u) {
    return make_error(ErrorCode::kInvalidArgument, "PBKDF2 needs 1..1e8 iterations and a non-empty output");
  }
  SecretBytes out(out_len);
  static const char kEmpty = 0;
  const char* pw = password.empty() ? &kEmpty : reinterpret_cast<const char*>(password.data());
  if (PKCS5_PBKDF2_HMAC(pw, static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), sm3_md(), static_cast<int>(out_len), out.data()) != 1) {
    return crypto_error("PKCS5_PBKDF2_HMAC(SM3)");
  }
  return out;
}

}  // namespace duet::crypto
