// SM3 (GB/T 32905) and HMAC-SM3.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "base/bytes.h"

namespace duet::crypto {

using Digest = std::array<uint8_t, 32>;

// One-shot SM3.
Digest sm3(ByteView data);

// Incremental SM3. update() after final() is a programming error.
class Sm3 {
 public:
  Sm3();
  ~Sm3();
  Sm3(const Sm3&) = delete;
  Sm3& operator=(const Sm3&) = delete;

  Sm3& update(ByteView data);
  // Appends a 4-byte big-endian length followed by the data: the f(v) framing
  // used by every transcript in docs/protocol.md.
  Sm3& update_framed(ByteView data);
  Digest final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// HMAC-SM3 (RFC 2104 with SM3).
Digest hmac_sm3(ByteView key, ByteView data);

}  // namespace duet::crypto
