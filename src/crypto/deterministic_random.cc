// DeterministicRandom (crypto/random.h): plain SM3, so both the native and the
// WebAssembly build have it (the protocol vectors are computed with it).
#include <algorithm>

#include "crypto/random.h"
#include "crypto/sm3.h"

namespace duet::crypto {

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
