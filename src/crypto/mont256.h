// Arithmetic modulo a 256-bit odd modulus m on four little-endian 64-bit
// limbs, shared by the SM2 field (mod p, sm2_field.h) and the SM2 scalars
// (mod n, sm2_scalar.cc). Values are fully reduced (< m) in and out.
//
// Constant time: no branch and no memory index depends on a limb value;
// selection is by masks. Every function is always inlined, so the modulus (a
// constexpr at every call site) folds into the code as if written out.
#pragma once

#include <cstdint>

namespace duet::crypto::sm2::mont256 {

using u64 = uint64_t;
using u128 = unsigned __int128;

// r = t − m if that does not borrow through the fifth limb t4, else t.
// Precondition t4·2^256 + t < 2m, so the result is below m.
[[gnu::always_inline]] inline void sub_if_ge(u64 r[4], const u64 (&m)[4], u64 t0, u64 t1, u64 t2, u64 t3, u64 t4) {
  u128 d = (u128)t0 - m[0];
  u64 s0 = (u64)d;
  d = (u128)t1 - m[1] - (u64)((d >> 64) & 1);
  u64 s1 = (u64)d;
  d = (u128)t2 - m[2] - (u64)((d >> 64) & 1);
  u64 s2 = (u64)d;
  d = (u128)t3 - m[3] - (u64)((d >> 64) & 1);
  u64 s3 = (u64)d;
  u64 borrow = (u64)((d >> 64) & 1);
  // Keep t iff t < m, i.e. the 5-limb subtraction borrows: t4 == 0 and borrow.
  u64 keep = 0 - (borrow & (t4 ^ 1));
  r[0] = (t0 & keep) | (s0 & ~keep);
  r[1] = (t1 & keep) | (s1 & ~keep);
  r[2] = (t2 & keep) | (s2 & ~keep);
  r[3] = (t3 & keep) | (s3 & ~keep);
}

// r = a·b·R^-1 mod m (CIOS Montgomery multiplication, R = 2^256), where
// m0inv = −m^-1 mod 2^64. r may alias a or b. After each row the accumulator
// stays below 2m.
[[gnu::always_inline]] inline void mul(u64 r[4], const u64 a[4], const u64 b[4], const u64 (&m)[4], u64 m0inv) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    u64 bi = b[i];
    u128 c = (u128)a[0] * bi + t0;
    t0 = (u64)c;
    c = (c >> 64) + (u128)a[1] * bi + t1;
    t1 = (u64)c;
    c = (c >> 64) + (u128)a[2] * bi + t2;
    t2 = (u64)c;
    c = (c >> 64) + (u128)a[3] * bi + t3;
    t3 = (u64)c;
    c = (c >> 64) + t4;
    t4 = (u64)c;
    u64 t5 = (u64)(c >> 64);
    // q makes t + q·m divisible by 2^64; add it and shift one limb down.
    u64 q = t0 * m0inv;
    c = (u128)q * m[0] + t0;  // low 64 bits are zero by the choice of q
    c = (c >> 64) + (u128)q * m[1] + t1;
    t0 = (u64)c;
    c = (c >> 64) + (u128)q * m[2] + t2;
    t1 = (u64)c;
    c = (c >> 64) + (u128)q * m[3] + t3;
    t2 = (u64)c;
    c = (c >> 64) + t4;
    t3 = (u64)c;
    t4 = t5 + (u64)(c >> 64);
  }
  sub_if_ge(r, m, t0, t1, t2, t3, t4);
}

// r = a + b mod m.
[[gnu::always_inline]] inline void add(u64 r[4], const u64 a[4], const u64 b[4], const u64 (&m)[4]) {
  u128 c = (u128)a[0] + b[0];
  u64 t0 = (u64)c;
  c = (c >> 64) + a[1] + b[1];
  u64 t1 = (u64)c;
  c = (c >> 64) + a[2] + b[2];
  u64 t2 = (u64)c;
  c = (c >> 64) + a[3] + b[3];
  u64 t3 = (u64)c;
  sub_if_ge(r, m, t0, t1, t2, t3, (u64)(c >> 64));  // a + b < 2m
}

// r = a − b mod m.
[[gnu::always_inline]] inline void sub(u64 r[4], const u64 a[4], const u64 b[4], const u64 (&m)[4]) {
  u128 d = (u128)a[0] - b[0];
  u64 t0 = (u64)d;
  d = (u128)a[1] - b[1] - (u64)((d >> 64) & 1);
  u64 t1 = (u64)d;
  d = (u128)a[2] - b[2] - (u64)((d >> 64) & 1);
  u64 t2 = (u64)d;
  d = (u128)a[3] - b[3] - (u64)((d >> 64) & 1);
  u64 t3 = (u64)d;
  u64 mask = 0 - (u64)((d >> 64) & 1);  // a < b: add m back
  u128 c = (u128)t0 + (m[0] & mask);
  r[0] = (u64)c;
  c = (c >> 64) + t1 + (m[1] & mask);
  r[1] = (u64)c;
  c = (c >> 64) + t2 + (m[2] & mask);
  r[2] = (u64)c;
  c = (c >> 64) + t3 + (m[3] & mask);
  r[3] = (u64)c;
}

}  // namespace duet::crypto::sm2::mont256
