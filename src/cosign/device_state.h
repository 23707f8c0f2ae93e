// What the holder's device keeps between sessions (format version 1).
//
// It holds the PIN-wrapped share d1' = d1·w⁻¹, the joint public key P, the
// holder id and the KDF parameters. It holds no PIN, no P1 = d1⁻¹·G and no
// value that depends on d1 alone: with only this state an attacker cannot test
// a PIN guess offline (every candidate d1 is equally consistent with P, which
// also depends on the service's d2). docs/protocol.md §6 gives the argument.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "cosign/pin.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace duet::cosign {

struct DeviceState {
  static constexpr int kVersion = 1;

  std::string holder_id;
  crypto::Point public_key;    // P
  crypto::Scalar wrapped_share;  // d1' = d1·w⁻¹ mod n, non-zero
  PinKdf kdf;

  // JSON object with keys holder_id, kdf{alg,iterations,salt}, public_key,
  // share, v (written in that order; docs/protocol.md §6 has the exact form).
  SecretBytes serialize() const;
  // Strict: unknown version is kUnsupportedVersion, anything malformed is
  // kBadState (with bad_point / bad_scalar detail in the message).
  static Result<DeviceState> parse(ByteView json);

  // There is no local PIN change: changing the PIN is a share refresh with
  // the new PIN (refresh.h). A local re-wrap would leave two wraps of one d1
  // under two PINs wherever an old copy survives (a backup, an unerased
  // file), which allows a meet-in-the-middle offline PIN test.
};

// Wraps d1 under a PIN with a fresh salt.
Result<DeviceState> wrap_share(std::string holder_id, const crypto::Point& public_key, const crypto::Scalar& d1,
                               std::string_view pin, uint32_t iterations, crypto::RandomSource& rng);

// d1 = d1'·w for this PIN (a wrong PIN gives a wrong d1, undetectably).
Result<crypto::Scalar> unwrap_share(const DeviceState& state, std::string_view pin);

}  // namespace duet::cosign
