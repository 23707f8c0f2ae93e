// Native group arithmetic on the SM2 recommended curve y² = x³ − 3x + b over
// GF(p) (GB/T 32918.5), on top of sm2_field.h.
//
// Representation: Affine (x, y) for points known not to be infinity; Jacobian
// (X, Y, Z) with x = X/Z², y = Y/Z³ and Z = 0 meaning the point at infinity.
// All coordinates are field elements in Montgomery form.
//
// Two families of operations:
//  * *_ct: constant time. No branch or memory index depends on a scalar or on a
//    coordinate. add_ct is complete (infinity on either side, P + P and
//    P + (−P) all give the right answer, chosen by masks); the scalar
//    multiplications reduce k mod n first and then use additions that handle
//    infinity by masks and skip the doubling case, which they provably never
//    meet (the argument is at each function in sm2_curve.cc). Table lookups
//    scan the whole table. Use these for SECRET scalars (nonces, key shares).
//  * *_var / mul_add_public: variable time, for PUBLIC scalars and points only
//    (proof and signature verification).
//
// Scalars are four little-endian 64-bit limbs, any value below 2^256; the
// result is k·P for that integer (so k ≡ 0 mod n gives infinity). Secret
// temporaries are wiped with OPENSSL_cleanse before returning.
#pragma once

#include "crypto/sm2_field.h"

namespace duet::crypto::sm2 {

struct Affine {
  Fe x, y;
};
struct Jacobian {
  Fe x, y, z;
};

// G in Montgomery form, and b.
const Affine& generator();
const Fe& curve_b();

// y² == x³ − 3x + b (the point is then a group element: the cofactor is 1).
bool on_curve(const Affine& a);

inline Jacobian to_jacobian(const Affine& a) { return Jacobian{a.x, a.y, kOne}; }
inline bool is_infinity(const Jacobian& a) { return fe_is_zero_mask(a.z) != 0; }
// One inversion (constant time). Returns false, leaving out untouched, for
// infinity; that verdict is declared public (crypto/ct.h), the coordinates are not.
bool to_affine(Affine& out, const Jacobian& a);
// a == b for a public Jacobian a, without an inversion. Infinity equals nothing.
bool equals_affine(const Jacobian& a, const Affine& b);

// Group law. Outputs may alias inputs.
void dbl(Jacobian& r, const Jacobian& a);        // complete (infinity stays infinity), constant time
void add_ct(Jacobian& r, const Jacobian& a, const Jacobian& b);
void add_var(Jacobian& r, const Jacobian& a, const Jacobian& b);
void neg(Jacobian& r, const Jacobian& a);

// k·G: fixed-base comb with signed 6-bit digits over a table of j·64^i·G
// (i < 43, 1 <= j <= 32, 88 KB, computed once per process); 43 mixed
// additions, no doublings. Each window scans its whole row of the table and
// applies the digit's sign by a masked negation. Constant time.
void mul_base_ct(Jacobian& r, const u64 k[4]);
// k·P for a variable base: signed 5-bit window, table of 1..16·P scanned
// whole with masks, the sign by a masked negation; 255 doublings and 52
// additions. Constant time.
void mul_ct(Jacobian& r, const Affine& p, const u64 k[4]);
// a·G + b·Q for PUBLIC a, b, Q: interleaved wNAF (width 8 for G from a
// precomputed table, width 5 for Q). Variable time.
void mul_add_public(Jacobian& r, const u64 a[4], const Affine& q, const u64 b[4]);

}  // namespace duet::crypto::sm2
