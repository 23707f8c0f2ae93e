// secure_wipe and constant_time_equal through OpenSSL (the native build). The
// WebAssembly build links crypto/portable_backend.cc's versions instead.
#include <openssl/crypto.h>

#include "base/bytes.h"

namespace duet {

void secure_wipe(void* data, size_t size) { OPENSSL_cleanse(data, size); }

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace duet
