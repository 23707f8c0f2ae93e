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
// Multiplication uses the special form of p: the Montgomery reduction is
// shifts, additions and subtractions, no multiplication (portable::reduce_low).
#pragma once

#include <array>
#include <cstdint>

#include "crypto/mont256.h"
#include "crypto/sm2_field_x64.h"

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

// The portable code: unsigned __int128 carry chains, which GCC and clang
// (emscripten included) compile for every target. It is what the WebAssembly
// build runs; x86-64 runs sm2_field_x64.h instead, the same algorithms with
// explicit add-with-carry chains. The unit tests check one against the other.
namespace portable {

// Montgomery reduction of the low half using the special form of p, with no
// multiplication: returns (t + m·p) / 2^256 for the m < 2^256 that makes the
// sum divisible by 2^256. Because p ≡ −1 mod 2^64, each word of m is the
// current low limb q, and
//   (t + q·p) / 2^64 = t / 2^64 (exact after the low limb cancels) + D(q),
//   D(q) = q·2^192 − q·2^160 − q·2^32 + q   (>= 0, < 2^256),
// which is shifts, one borrow chain and one carry chain. Each round keeps the
// accumulator below p + 2^192 < 2^256, so four limbs always suffice; after
// four rounds the value is (t + m·p) / 2^256 <= p.
[[gnu::always_inline]] inline void reduce_low(u64& t0, u64& t1, u64& t2, u64& t3) {
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const u64 q = t0;
    const u64 lo = q << 32, hi = q >> 32;
    // D = [q, 0, 0, q] − [lo, hi, lo, hi] (little-endian limbs).
    u128 d = (u128)q - lo;
    const u64 d0 = (u64)d;
    d = (u128)0 - hi - (u64)((d >> 64) & 1);
    const u64 d1 = (u64)d;
    d = (u128)0 - lo - (u64)((d >> 64) & 1);
    const u64 d2 = (u64)d;
    const u64 d3 = q - hi - (u64)((d >> 64) & 1);  // D >= 0: no borrow out
    // t = [t1, t2, t3, 0] + D (the sum stays below 2^256: no carry out).
    u128 c = (u128)t1 + d0;
    t0 = (u64)c;
    c = (c >> 64) + t2 + d1;
    t1 = (u64)c;
    c = (c >> 64) + t3 + d2;
    t2 = (u64)c;
    t3 = (u64)(c >> 64) + d3;
  }
}

// r = (t_hi + reduce_low(t_lo)) mod p for a 512-bit t < p². t_hi < p and the
// reduced low half is <= p, so the sum is below 2p + 1: one masked subtraction.
[[gnu::always_inline]] inline void mont_finish(u64 r[4], u64 t0, u64 t1, u64 t2, u64 t3, u64 t4, u64 t5, u64 t6,
                                               u64 t7) {
  reduce_low(t0, t1, t2, t3);
  u128 c = (u128)t0 + t4;
  t0 = (u64)c;
  c = (c >> 64) + t1 + t5;
  t1 = (u64)c;
  c = (c >> 64) + t2 + t6;
  t2 = (u64)c;
  c = (c >> 64) + t3 + t7;
  t3 = (u64)c;
  mont256::sub_if_ge(r, kP.v, t0, t1, t2, t3, (u64)(c >> 64));
}

// r = a·b·R^-1 mod p: the 512-bit product (16 word multiplications, one
// carry chain per row), then the multiplication-free reduction above.
// Inputs < p; output < p. r may alias a or b.
[[gnu::always_inline]] inline void mul(u64 r[4], const u64 a[4], const u64 b[4]) {
  const u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  u64 t[8];
  // Row 0.
  u64 bi = b[0];
  u128 c = (u128)a0 * bi;
  t[0] = (u64)c;
  c = (c >> 64) + (u128)a1 * bi;
  t[1] = (u64)c;
  c = (c >> 64) + (u128)a2 * bi;
  t[2] = (u64)c;
  c = (c >> 64) + (u128)a3 * bi;
  t[3] = (u64)c;
  t[4] = (u64)(c >> 64);
  // Rows 1..3: t[i..i+4] += a·b[i] (each partial sum fits: (2^64−1)² + 2·(2^64−1) < 2^128).
#pragma GCC unroll 3
  for (int i = 1; i < 4; ++i) {
    bi = b[i];
    c = (u128)a0 * bi + t[i];
    t[i] = (u64)c;
    c = (c >> 64) + (u128)a1 * bi + t[i + 1];
    t[i + 1] = (u64)c;
    c = (c >> 64) + (u128)a2 * bi + t[i + 2];
    t[i + 2] = (u64)c;
    c = (c >> 64) + (u128)a3 * bi + t[i + 3];
    t[i + 3] = (u64)c;
    t[i + 4] = (u64)(c >> 64);
  }
  mont_finish(r, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
}

// r = a²·R^-1 mod p: 6 cross products doubled plus 4 squares (10 word
// multiplications instead of 16), then the same reduction. r may alias a.
[[gnu::always_inline]] inline void sqr(u64 r[4], const u64 a[4]) {
  const u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  // Cross products Σ_{i<j} a_i·a_j·2^(64(i+j)) in t1..t6.
  u128 c = (u128)a0 * a1;
  u64 t1 = (u64)c;
  c = (c >> 64) + (u128)a0 * a2;
  u64 t2 = (u64)c;
  c = (c >> 64) + (u128)a0 * a3;
  u64 t3 = (u64)c;
  u64 t4 = (u64)(c >> 64);
  c = (u128)a1 * a2 + t3;
  t3 = (u64)c;
  c = (c >> 64) + (u128)a1 * a3 + t4;
  t4 = (u64)c;
  u64 t5 = (u64)(c >> 64);
  c = (u128)a2 * a3 + t5;
  t5 = (u64)c;
  u64 t6 = (u64)(c >> 64);
  // Doubled (the cross sum is below 2^447, so the shift loses nothing).
  const u64 t7 = t6 >> 63;
  t6 = (t6 << 1) | (t5 >> 63);
  t5 = (t5 << 1) | (t4 >> 63);
  t4 = (t4 << 1) | (t3 >> 63);
  t3 = (t3 << 1) | (t2 >> 63);
  t2 = (t2 << 1) | (t1 >> 63);
  t1 <<= 1;
  // Plus the squares a_i² at limbs 2i, 2i+1.
  u128 s = (u128)a0 * a0;
  const u64 t0 = (u64)s;
  c = (s >> 64) + (u128)t1;
  t1 = (u64)c;
  s = (u128)a1 * a1;
  c = (c >> 64) + (u128)t2 + (u64)s;
  t2 = (u64)c;
  c = (c >> 64) + (u128)t3 + (u64)(s >> 64);
  t3 = (u64)c;
  s = (u128)a2 * a2;
  c = (c >> 64) + (u128)t4 + (u64)s;
  t4 = (u64)c;
  c = (c >> 64) + (u128)t5 + (u64)(s >> 64);
  t5 = (u64)c;
  s = (u128)a3 * a3;
  c = (c >> 64) + (u128)t6 + (u64)s;
  t6 = (u64)c;
  c = (c >> 64) + (u128)t7 + (u64)(s >> 64);
  mont_finish(r, t0, t1, t2, t3, t4, t5, t6, (u64)c);
}

[[gnu::always_inline]] inline void add(u64 r[4], const u64 a[4], const u64 b[4]) { mont256::add(r, a, b, kP.v); }
[[gnu::always_inline]] inline void sub(u64 r[4], const u64 a[4], const u64 b[4]) { mont256::sub(r, a, b, kP.v); }

}  // namespace portable

// The code the build runs: x86-64's unless DUET_SM2_PORTABLE_FIELD is defined.
#if defined(__x86_64__) && !defined(DUET_SM2_PORTABLE_FIELD)
namespace field_impl = x64;
#else
namespace field_impl = portable;
#endif

// r = a·b·R^-1 mod p. Inputs < p; output < p. r may alias a or b.
[[gnu::always_inline]] inline void fe_mul(Fe& r, const Fe& a, const Fe& b) { field_impl::mul(r.v, a.v, b.v); }

// r = a²·R^-1 mod p. r may alias a.
[[gnu::always_inline]] inline void fe_sqr(Fe& r, const Fe& a) { field_impl::sqr(r.v, a.v); }

// r = a + b mod p.
[[gnu::always_inline]] inline void fe_add(Fe& r, const Fe& a, const Fe& b) { field_impl::add(r.v, a.v, b.v); }

// r = a − b mod p.
[[gnu::always_inline]] inline void fe_sub(Fe& r, const Fe& a, const Fe& b) { field_impl::sub(r.v, a.v, b.v); }

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
