#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>

#include "crypto/openssl_util.h"
#include "crypto/sm3.h"

namespace duet::crypto {

void SystemRandom::fill(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_priv_bytes(out.data(), static_cast<int>(out.size())) != 1) openssl_fatal("RAND_priv_bytes");
}

SystemRandom& SystemRandom::instance() {
  static SystemRandom r;
  return r;
}

DeterministicRandom::DeterministicRandom(ByteView seed) : seed_(seed.begin(), seed.end()) {}

void DeterministicRandom::fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    uint8_t ctr[8];
    for (int i = 0; i < 8; ++i) ctr[i] = static_cast<uint8_t>(counter_ >> (56 - 8 * i));
    ++counter_;
    Digest block = Sm3().update(as_bytes("duet/test-drbg/v1")).update(seed_).update(ByteView(ctr, 8)).final();
    size_t take = std::min(block.size(), out.size() - done);
    std::copy_n(block.begin(), take, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += take;
  }
}

}  // namespace duet::crypto
