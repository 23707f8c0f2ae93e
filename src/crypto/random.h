// Sources of randomness. Protocol code takes a RandomSource& so that tests can
// inject a deterministic one (known-answer vectors) while production uses the
// operating system's CSPRNG through OpenSSL.
#pragma once

#include <cstdint>
#include <span>

#include "base/bytes.h"

namespace duet::crypto {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Implementations must not fail silently:
  // a failing system generator aborts the process (there is no safe fallback).
  virtual void fill(std::span<uint8_t> out) = 0;
};

// OpenSSL's private DRBG (RAND_priv_bytes), seeded from the OS.
class SystemRandom final : public RandomSource {
 public:
  void fill(std::span<uint8_t> out) override;
  static SystemRandom& instance();
};

// A reproducible stream: block i = SM3("duet/test-drbg/v1" ‖ seed ‖ i (8 bytes BE)).
// For tests and published test vectors only; never for keys in production.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(ByteView seed);
  void fill(std::span<uint8_t> out) override;

 private:
  Bytes seed_;
  uint64_t counter_ = 0;
};

}  // namespace duet::crypto
