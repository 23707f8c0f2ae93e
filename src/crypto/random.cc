#include "crypto/random.h"

#include <openssl/rand.h>

#include "crypto/openssl_util.h"

namespace duet::crypto {

void SystemRandom::fill(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_priv_bytes(out.data(), static_cast<int>(out.size())) != 1) openssl_fatal("RAND_priv_bytes");
}

SystemRandom& SystemRandom::instance() {
  static SystemRandom r;
  return r;
}

}  // namespace duet::crypto
