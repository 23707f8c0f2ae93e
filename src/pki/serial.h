// Certificate serial numbers: 16 random bytes, positive, fixed length.
#pragma once

#include <functional>

#include "base/bytes.h"
#include "crypto/random.h"

namespace duet::pki {

inline constexpr size_t kSerialBytes = 16;

// 16 bytes from `rng` with the top bit cleared (positive INTEGER) and the next
// bit set (always 16 octets long): 126 bits of entropy.
Bytes random_serial(crypto::RandomSource& rng);

// Answers whether a serial (big-endian magnitude) has never been used by this
// CA. The store implements it; errors propagate.
using SerialIsUnused = std::function<Result<bool>(ByteView serial)>;

// A fresh serial for which `is_unused` says true (at most 8 draws; a collision
// at 126 bits means a broken generator, so it then fails with kInternal).
Result<Bytes> unique_serial(crypto::RandomSource& rng, const SerialIsUnused& is_unused);

}  // namespace duet::pki
