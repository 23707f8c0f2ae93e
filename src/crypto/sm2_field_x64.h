// The x86-64 code of the SM2 field arithmetic (sm2_field.h), with the same
// contracts as the portable code there: operands fully reduced (< p) in
// Montgomery form, results fully reduced, outputs may alias inputs.
//
// Why a second copy: GCC 12 turns the portable unsigned __int128 carry chains
// into about twice the instructions of explicit add-with-carry chains
// (_addcarry_u64 / _subborrow_u64 compile to adc / sbb). The algorithms are
// the same as the portable ones (sm2_field.h explains the reduction), so the
// unit tests compare the two on the same inputs, and the constant-time test
// runs the one the build uses. Nothing here branches on or indexes by a value:
// carries are flags, selection is by masks. Baseline x86-64 only (mul, adc,
// sbb): no CPU feature check is needed.
#pragma once

#if defined(__x86_64__)
#include <x86intrin.h>

#include <cstdint>

namespace duet::crypto::sm2::x64 {

using u64 = uint64_t;
using u128 = unsigned __int128;
using ull = unsigned long long;

[[gnu::always_inline]] inline u64 mul_wide(u64 a, u64 b, u64& hi) {
  const u128 p = (u128)a * b;
  hi = (u64)(p >> 64);
  return (u64)p;
}
[[gnu::always_inline]] inline unsigned char adc(unsigned char c, u64 x, u64 y, u64& out) {
  ull o;
  c = _addcarry_u64(c, x, y, &o);
  out = o;
  return c;
}
[[gnu::always_inline]] inline unsigned char sbb(unsigned char b, u64 x, u64 y, u64& out) {
  ull o;
  b = _subborrow_u64(b, x, y, &o);
  out = o;
  return b;
}

inline constexpr u64 kP0 = 0xffffffffffffffffULL, kP1 = 0xffffffff00000000ULL, kP2 = 0xffffffffffffffffULL,
                     kP3 = 0xfffffffeffffffffULL;

// r = t − p unless that borrows through the fifth limb t4 (then r = t).
// Precondition t4·2^256 + t < 2p.
[[gnu::always_inline]] inline void sub_p_if_ge(u64 r[4], u64 t0, u64 t1, u64 t2, u64 t3, u64 t4) {
  u64 s0, s1, s2, s3, s4;
  unsigned char b = sbb(0, t0, kP0, s0);
  b = sbb(b, t1, kP1, s1);
  b = sbb(b, t2, kP2, s2);
  b = sbb(b, t3, kP3, s3);
  b = sbb(b, t4, 0, s4);
  const u64 keep = 0 - (u64)b;
  r[0] = (t0 & keep) | (s0 & ~keep);
  r[1] = (t1 & keep) | (s1 & ~keep);
  r[2] = (t2 & keep) | (s2 & ~keep);
  r[3] = (t3 & keep) | (s3 & ~keep);
}

// Four rounds of t ← (t + q·p) / 2^64, q = t0 (see sm2_field.h, detail::reduce_low).
[[gnu::always_inline]] inline void reduce_low(u64& t0, u64& t1, u64& t2, u64& t3) {
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const u64 q = t0, lo = q << 32, hi = q >> 32;
    u64 d0, d1, d2, d3;
    unsigned char b = sbb(0, q, lo, d0);
    b = sbb(b, 0, hi, d1);
    b = sbb(b, 0, lo, d2);
    sbb(b, q, hi, d3);  // D >= 0: no borrow out
    unsigned char c = adc(0, t1, d0, t0);
    c = adc(c, t2, d1, t1);
    c = adc(c, t3, d2, t2);
    adc(c, 0, d3, t3);  // the sum stays below 2^256
  }
}

// (t_hi + reduce_low(t_lo)) mod p.
[[gnu::always_inline]] inline void mont_finish(u64 r[4], u64 t0, u64 t1, u64 t2, u64 t3, u64 t4, u64 t5, u64 t6,
                                               u64 t7) {
  reduce_low(t0, t1, t2, t3);
  unsigned char c = adc(0, t0, t4, t0);
  c = adc(c, t1, t5, t1);
  c = adc(c, t2, t6, t2);
  c = adc(c, t3, t7, t3);
  sub_p_if_ge(r, t0, t1, t2, t3, c);
}

// t[i..i+4] += a·b (t[i+4] is written, not added to).
#define DUET_X64_ROW(b, T0, T1, T2, T3, T4)                                        \
  do {                                                                             \
    u64 h0_, h1_, h2_, h3_, p1_, p2_, p3_, p4_;                                    \
    const u64 l0_ = mul_wide(a0, b, h0_), l1_ = mul_wide(a1, b, h1_);              \
    const u64 l2_ = mul_wide(a2, b, h2_), l3_ = mul_wide(a3, b, h3_);              \
    unsigned char c_ = adc(0, h0_, l1_, p1_);                                      \
    c_ = adc(c_, h1_, l2_, p2_);                                                   \
    c_ = adc(c_, h2_, l3_, p3_);                                                   \
    adc(c_, h3_, 0, p4_);                                                          \
    c_ = adc(0, T0, l0_, T0);                                                      \
    c_ = adc(c_, T1, p1_, T1);                                                     \
    c_ = adc(c_, T2, p2_, T2);                                                     \
    c_ = adc(c_, T3, p3_, T3);                                                     \
    adc(c_, 0, p4_, T4);                                                           \
  } while (0)

[[gnu::always_inline]] inline void mul(u64 r[4], const u64 a[4], const u64 b[4]) {
  const u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
  DUET_X64_ROW(b[0], t0, t1, t2, t3, t4);
  DUET_X64_ROW(b[1], t1, t2, t3, t4, t5);
  DUET_X64_ROW(b[2], t2, t3, t4, t5, t6);
  DUET_X64_ROW(b[3], t3, t4, t5, t6, t7);
  mont_finish(r, t0, t1, t2, t3, t4, t5, t6, t7);
}
#undef DUET_X64_ROW

[[gnu::always_inline]] inline void sqr(u64 r[4], const u64 a[4]) {
  const u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  u64 t1, t2, t3, t4, t5, t6, t7, h, l, h2, l2;
  // Cross products a0·(a1, a2, a3).
  t1 = mul_wide(a0, a1, h);
  l = mul_wide(a0, a2, h2);
  unsigned char c = adc(0, h, l, t2);
  l2 = mul_wide(a0, a3, h);
  c = adc(c, h2, l2, t3);
  adc(c, h, 0, t4);
  // + a1·(a2, a3)·2^192.
  l = mul_wide(a1, a2, h);
  l2 = mul_wide(a1, a3, h2);
  u64 p4, p5;
  c = adc(0, h, l2, p4);
  adc(c, h2, 0, p5);
  c = adc(0, t3, l, t3);
  c = adc(c, t4, p4, t4);
  adc(c, 0, p5, t5);
  // + a2·a3·2^320.
  l = mul_wide(a2, a3, h);
  c = adc(0, t5, l, t5);
  adc(c, 0, h, t6);
  // Doubled (the cross sum is below 2^447), then the squares a_i² at 2i, 2i+1.
  t7 = t6 >> 63;
  t6 = (t6 << 1) | (t5 >> 63);
  t5 = (t5 << 1) | (t4 >> 63);
  t4 = (t4 << 1) | (t3 >> 63);
  t3 = (t3 << 1) | (t2 >> 63);
  t2 = (t2 << 1) | (t1 >> 63);
  t1 <<= 1;
  u64 s1, s2, s3;
  const u64 t0 = mul_wide(a0, a0, s1);
  c = adc(0, t1, s1, t1);
  l = mul_wide(a1, a1, h);
  c = adc(c, t2, l, t2);
  c = adc(c, t3, h, t3);
  l = mul_wide(a2, a2, s2);
  c = adc(c, t4, l, t4);
  c = adc(c, t5, s2, t5);
  l = mul_wide(a3, a3, s3);
  c = adc(c, t6, l, t6);
  adc(c, t7, s3, t7);  // a² < 2^512: no carry out
  mont_finish(r, t0, t1, t2, t3, t4, t5, t6, t7);
}

[[gnu::always_inline]] inline void add(u64 r[4], const u64 a[4], const u64 b[4]) {
  u64 t0, t1, t2, t3;
  unsigned char c = adc(0, a[0], b[0], t0);
  c = adc(c, a[1], b[1], t1);
  c = adc(c, a[2], b[2], t2);
  c = adc(c, a[3], b[3], t3);
  sub_p_if_ge(r, t0, t1, t2, t3, c);  // a + b < 2p
}

[[gnu::always_inline]] inline void sub(u64 r[4], const u64 a[4], const u64 b[4]) {
  u64 t0, t1, t2, t3;
  unsigned char b4 = sbb(0, a[0], b[0], t0);
  b4 = sbb(b4, a[1], b[1], t1);
  b4 = sbb(b4, a[2], b[2], t2);
  b4 = sbb(b4, a[3], b[3], t3);
  const u64 mask = 0 - (u64)b4;  // a < b: add p back
  unsigned char c = adc(0, t0, kP0 & mask, r[0]);
  c = adc(c, t1, kP1 & mask, r[1]);
  c = adc(c, t2, kP2 & mask, r[2]);
  adc(c, t3, kP3 & mask, r[3]);
}

}  // namespace duet::crypto::sm2::x64

#endif  // __x86_64__
