// Variable-time multi-scalar multiplication for PUBLIC inputs on the SM2
// curve (sm2_curve.h): g·G + Σ s_i·P_i with one shared chain of doublings
// (Strauss), width-8 wNAF for G from the process-wide table of its odd
// multiples, width-5 wNAF for each P_i from a table of its odd multiples that
// is converted to affine with ONE inversion shared by all the tables, so that
// every addition is a mixed one.
//
// Used for verifications: an SM2 signature (u·G + v·P), and a batch of
// Schnorr proofs checked as one random linear combination
// (cosign/schnorr_proof.h). Never for secret scalars or points: the running
// time depends on every digit.
#pragma once

#include <cstddef>

#include "crypto/sm2_curve.h"

namespace duet::crypto::sm2 {

// r = g·G + Σ_{i < count} s_i·points[i], where s_i is the little-endian limbs
// scalars[4i .. 4i + 3]. Scalars are any values below 2^256 (the result is
// for that integer); points are finite curve points. count may be 0.
void mul_multi_public(Jacobian& r, const u64 g[4], const Affine* points, const u64* scalars, size_t count);

}  // namespace duet::crypto::sm2
