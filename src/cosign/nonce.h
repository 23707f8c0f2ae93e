// Hedged nonces: k = HMAC-SM3(secret, transcript ‖ fresh randomness), widened
// to 512 bits and reduced mod n (bias < 2^-256).
//
// Why: a broken or repeating random source must never repeat a nonce for two
// different transcripts under the same secret (that would reveal the secret),
// and a fault in the HMAC alone does not make nonces predictable without the
// secret. Both inputs must fail for a nonce to be weak.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "crypto/random.h"
#include "crypto/scalar.h"

namespace duet::cosign {

// Derives a non-zero nonce. `label` separates the nonces of one step (e.g.
// "k2", "k3"); `transcript` is everything public that the nonce is bound to.
crypto::Scalar hedged_nonce(const crypto::Scalar& secret, std::string_view label, ByteView transcript,
                            crypto::RandomSource& rng);

}  // namespace duet::cosign
