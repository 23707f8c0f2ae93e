// Native arithmetic modulo the order of the SM2 group
//   n = FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54123,
// for scalars, which are usually secret (key shares, nonces, the PIN factor).
//
// A scalar (Sc) is four little-endian 64-bit limbs, always fully reduced:
// 0 <= value < n. Unlike the field (sm2_field.h) the plain value is kept;
// Montgomery form (x·R mod n, R = 2^256) exists only inside multiplication,
// inversion and wide reduction.
//
// Every function here is constant time: no branch and no memory index depends
// on a value (selection by masks). Only public data drives control flow: the
// fixed exponent n − 2 of the inversion and the LENGTH of a wide input.
// tests/ct/ct_test.cc checks this under valgrind memcheck.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/sm2_field.h"

namespace duet::crypto::sm2 {

struct Sc {
  u64 v[4];
};

inline constexpr Sc kOrder = {{0x53bbf40939d54123ULL, 0x7203df6b21c6052bULL, 0xffffffffffffffffULL, 0xfffffffeffffffffULL}};

// 32 bytes big-endian → scalar. Returns an all-ones mask when the value is
// below n; otherwise zero, and r = 0. Never reduces silently.
u64 sc_from_bytes(Sc& r, const uint8_t in[32]);
// Canonical 32-byte big-endian encoding.
void sc_to_bytes(uint8_t out[32], const Sc& a);
// Any byte string, big-endian, reduced modulo n. Constant time for a given
// length (the length is public); len 0 gives 0.
void sc_reduce_bytes(Sc& r, const uint8_t* in, size_t len);

void sc_add(Sc& r, const Sc& a, const Sc& b);  // a + b mod n
void sc_sub(Sc& r, const Sc& a, const Sc& b);  // a − b mod n
void sc_neg(Sc& r, const Sc& a);               // −a mod n (−0 = 0)
void sc_mul(Sc& r, const Sc& a, const Sc& b);  // a·b mod n
// a^(n−2) mod n: the inverse for a ≠ 0 (Fermat), and 0 for a = 0.
void sc_inv(Sc& r, const Sc& a);

// All-ones when a == 0, else 0.
inline u64 sc_is_zero_mask(const Sc& a) {
  u64 z = a.v[0] | a.v[1] | a.v[2] | a.v[3];
  return ((z | (0 - z)) >> 63) - 1;
}

}  // namespace duet::crypto::sm2
