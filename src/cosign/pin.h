// The PIN factor: w = PBKDF2-HMAC-SM3(PIN, salt, iterations, 64 bytes) mod n.
// The device stores d1' = d1·w⁻¹; only with the right PIN is d1 = d1'·w.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "crypto/scalar.h"

namespace duet::cosign {

struct PinKdf {
  static constexpr uint32_t kDefaultIterations = 100'000;
  static constexpr size_t kSaltSize = 16;
  uint32_t iterations = kDefaultIterations;
  Bytes salt;  // kSaltSize random bytes, fresh for every (re)wrap of the share
};

// PINs are 4..64 bytes of UTF-8 (the app decides the alphabet); anything else
// is kInvalidArgument.
Status check_pin(std::string_view pin);

// w for this PIN. kInvalidArgument for a bad PIN or KDF parameters.
Result<crypto::Scalar> pin_factor(std::string_view pin, const PinKdf& kdf);

}  // namespace duet::cosign
