// Native arithmetic modulo the SM2 prime
//   p = 2^256 − 2^224 − 2^96 + 2^64 − 1
//     = FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 FFFFFFFF FFFFFFFF.
//
// A field element (Fe) is four little-endian 64-bit limbs holding x·R mod p
// (Montgomery form, R = 2^256), always fully reduced: 0 <= limbs < p. Every
// operation keeps that invariant, so equality and zero tests compare limbs.
//
// Every operation here is constant time: no branch and no memory index depends
// on the value of an element (selection is by masks). Only the exponent of
// fe_inv (p − 2, public and fixed) drives control flow.
//
// The hot operations (mul, sqr, add, sub) are inline: the curve code calls
// them millions of times per second and cross-unit calls would cost ~10 %.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/mont256.h"

namespace duet::crypto::sm2 {

using mont256::u128;
using mont256::u64;

struct Fe {
  u64 v[4];
};

// p, R^2 mod p, R mod p (= 1 in Montgomery form).
inline constexpr Fe kP = {{0xffffffffffffffffULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL, 0xfffffffeffffffffULL}};
inline constexpr Fe kR2 = {{0x0000000200000003ULL, 0x00000002ffffffffULL, 0x0000000100000001ULL, 0x0000000400000002ULL}};
inline constexpr Fe kOne = {{0x0000000000000001ULL, 0x00000000ffffffffULL, 0x0000000000000000ULL, 0x0000000100000000ULL}};
inline constexpr Fe kZero = {{0, 0, 0, 0}};

// r = a·b·R^-1 mod p (CIOS Montgomery multiplication). Because p ≡ −1 mod 2^64,
// −p^-1 mod 2^64 = 1 and the per-row quotient is simply the low limb.
// Inputs < p; output < p. r may alias a or b.
[[gnu::always_inline]] inline void fe_mul(Fe& r, const Fe& a, const Fe& b) { mont256::mul(r.v, a.v, b.v, kP.v, 1); }

inline void fe_sqr(Fe& r, const Fe& a) { fe_mul(r, a, a); }

// r = a + b mod p.
inline void fe_add(Fe& r, const Fe& a, const Fe& b) { mont256::add(r.v, a.v, b.v, kP.v); }

// r = a − b mod p.
inline void fe_sub(Fe& r, const Fe& a, const Fe& b) { mont256::sub(r.v, a.v, b.v, kP.v); }

inline void fe_neg(Fe& r, const Fe& a) { fe_sub(r, kZero, a); }

// All-ones mask when a == 0, else 0.
inline u64 fe_is_zero_mask(const Fe& a) {
  u64 z = a.v[0] | a.v[1] | a.v[2] | a.v[3];
  return ((z | (0 - z)) >> 63) - 1;
}
inline u64 fe_eq_mask(const Fe& a, const Fe& b) {
  Fe x = {{a.v[0] ^ b.v[0], a.v[1] ^ b.v[1], a.v[2] ^ b.v[2], a.v[3] ^ b.v[3]}};
  return fe_is_zero_mask(x);
}
// r = mask ? a : r  (mask is all-ones or zero).
inline void fe_cmov(Fe& r, const Fe& a, u64 mask) {
  for (int i = 0; i < 4; ++i) r.v[i] = (r.v[i] & ~mask) | (a.v[i] & mask);
}

// Montgomery conversions.
inline void fe_to_mont(Fe& r, const Fe& a) { fe_mul(r, a, kR2); }
inline void fe_from_mont(Fe& r, const Fe& a) {
  static constexpr Fe kRawOne = {{1, 0, 0, 0}};
  fe_mul(r, a, kRawOne);
}

// r = a^-1 mod p by Fermat (a^(p−2)); constant time. fe_inv(0) = 0.
void fe_inv(Fe& r, const Fe& a);

// 32 bytes big-endian → element. Values >= p are REJECTED (returns false and
// leaves r = 0): SEC1 coordinates must be canonical. Constant time in the value.
bool fe_from_bytes(Fe& r, const uint8_t in[32]);
// Canonical 32-byte big-endian encoding of the element's value.
void fe_to_bytes(uint8_t out[32], const Fe& a);

// Raw little-endian limbs (not Montgomery) ↔ bytes, for scalars.
void limbs_from_bytes(u64 out[4], const uint8_t in[32]);

}  // namespace duet::crypto::sm2
