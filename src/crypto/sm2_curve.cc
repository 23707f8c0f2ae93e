#include "crypto/sm2_curve.h"

#include "base/bytes.h"

#include "crypto/ct.h"
#include "crypto/sm2_multi_mul.h"

#include <cstring>
#include <vector>

namespace duet::crypto::sm2 {
namespace {

constexpr Fe kB = {{0x90d230632bc0dd42ULL, 0x71cf379ae9b537abULL, 0x527981505ea51c3cULL, 0x240fe188ba20e2c8ULL}};
constexpr Affine kG = {{{0x61328990f418029eULL, 0x3e7981eddca6c050ULL, 0xd6a1ed99ac24c3c3ULL, 0x91167a5ee1c13b05ULL}},
                       {{0xc1354e593c2d0dddULL, 0xc1f5e5788d3295faULL, 0x8d4cfb066e2a48f8ULL, 0x63cd65d481d735bdULL}}};

inline u64 eq_mask_u64(u64 a, u64 b) {
  u64 x = a ^ b;
  return ((x | (0 - x)) >> 63) - 1;
}

inline void cmov(Jacobian& r, const Jacobian& a, u64 mask) {
  fe_cmov(r.x, a.x, mask);
  fe_cmov(r.y, a.y, mask);
  fe_cmov(r.z, a.z, mask);
}

// The generic addition (add-1998-cmo-2, 12M + 4S). Correct when a, b are
// finite and distinct up to sign; h = U2 − U1 and rr = S2 − S1 tell the
// caller about the exceptional cases (h = 0: same x; rr = 0 too: a == b).
inline void add_core(Jacobian& out, Fe& h, Fe& rr, const Jacobian& a, const Jacobian& b) {
  Fe z1z1, z2z2, u1, u2, s1, s2, hh, hhh, v, t;
  fe_sqr(z1z1, a.z);
  fe_sqr(z2z2, b.z);
  fe_mul(u1, a.x, z2z2);
  fe_mul(u2, b.x, z1z1);
  fe_mul(s1, a.y, b.z);
  fe_mul(s1, s1, z2z2);
  fe_mul(s2, b.y, a.z);
  fe_mul(s2, s2, z1z1);
  fe_sub(h, u2, u1);
  fe_sub(rr, s2, s1);
  fe_sqr(hh, h);
  fe_mul(hhh, h, hh);
  fe_mul(v, u1, hh);
  Jacobian r;
  fe_sqr(r.x, rr);
  fe_sub(r.x, r.x, hhh);
  fe_sub(r.x, r.x, v);
  fe_sub(r.x, r.x, v);
  fe_sub(t, v, r.x);
  fe_mul(t, rr, t);
  fe_mul(s1, s1, hhh);
  fe_sub(r.y, t, s1);
  fe_mul(r.z, a.z, b.z);
  fe_mul(r.z, r.z, h);
  out = r;
}

// Mixed addition a + (b.x, b.y, 1) (8M + 3S), same contract as add_core.
inline void add_core_affine(Jacobian& out, Fe& h, Fe& rr, const Jacobian& a, const Affine& b) {
  Fe z1z1, u2, s2, hh, hhh, v, t, s1hhh;
  fe_sqr(z1z1, a.z);
  fe_mul(u2, b.x, z1z1);
  fe_mul(s2, b.y, a.z);
  fe_mul(s2, s2, z1z1);
  fe_sub(h, u2, a.x);
  fe_sub(rr, s2, a.y);
  fe_sqr(hh, h);
  fe_mul(hhh, h, hh);
  fe_mul(v, a.x, hh);
  Jacobian r;
  fe_sqr(r.x, rr);
  fe_sub(r.x, r.x, hhh);
  fe_sub(r.x, r.x, v);
  fe_sub(r.x, r.x, v);
  fe_sub(t, v, r.x);
  fe_mul(t, rr, t);
  fe_mul(s1hhh, a.y, hhh);
  fe_sub(r.y, t, s1hhh);
  fe_mul(r.z, a.z, h);
  out = r;
}

// Mixed addition for the comb, constant time, infinity on either side handled
// by masks. b_inf: all-ones when b stands for the point at infinity (its
// coordinates are then ignored). Precondition: a ≠ ±b when both are finite;
// mul_base_ct guarantees it (see there), so no doubling is computed.
void add_affine_ct_distinct(Jacobian& r, const Jacobian& a, const Affine& b, u64 b_inf) {
  Jacobian g;
  Fe h, rr;
  add_core_affine(g, h, rr, a, b);
  u64 a_inf = fe_is_zero_mask(a.z);
  Jacobian bj = to_jacobian(b);
  cmov(g, bj, a_inf & ~b_inf);
  cmov(g, a, b_inf);
  r = g;
}

// The complete mixed addition, constant time: as add_affine_ct_distinct, and
// a == b finite gives the doubling (computed always, chosen by a mask).
void add_affine_ct(Jacobian& r, const Jacobian& a, const Affine& b, u64 b_inf) {
  Jacobian g, d;
  Fe h, rr;
  add_core_affine(g, h, rr, a, b);
  dbl(d, a);
  u64 a_inf = fe_is_zero_mask(a.z);
  u64 same = fe_is_zero_mask(h) & fe_is_zero_mask(rr) & ~a_inf & ~b_inf;
  cmov(g, d, same);
  Jacobian bj = to_jacobian(b);
  cmov(g, bj, a_inf & ~b_inf);
  cmov(g, a, b_inf);
  r = g;
}

// Variable time: the sum a + b from the generic formula's g, h and rr
// (add_core, add_core_affine) for finite a and b. h = 0 means equal x: the
// sum is 2a when rr = 0 too (a == b), else the point at infinity (a == −b).
void finish_add_var(Jacobian& r, const Jacobian& a, const Jacobian& g, const Fe& h, const Fe& rr) {
  if (fe_is_zero_mask(h)) {
    if (fe_is_zero_mask(rr)) {
      dbl(r, a);
    } else {
      r = Jacobian{kOne, kOne, kZero};
    }
    return;
  }
  r = g;
}

void add_affine_var(Jacobian& r, const Jacobian& a, const Affine& b) {
  if (is_infinity(a)) {
    r = to_jacobian(b);
    return;
  }
  Jacobian g;
  Fe h, rr;
  add_core_affine(g, h, rr, a, b);
  finish_add_var(r, a, g, h, rr);
}

// As add_ct without the doubling case. Precondition: a ≠ b when both are
// finite (a = −b still gives infinity); mul_ct guarantees it (see there).
void add_ct_distinct(Jacobian& r, const Jacobian& a, const Jacobian& b) {
  Jacobian g;
  Fe h, rr;
  add_core(g, h, rr, a, b);
  u64 a_inf = fe_is_zero_mask(a.z);
  u64 b_inf = fe_is_zero_mask(b.z);
  cmov(g, b, a_inf);
  cmov(g, a, b_inf);
  r = g;
}

// k mod n for any k < 2^256 (< 2n): one masked subtraction. Constant time.
constexpr u64 kN[4] = {0x53bbf40939d54123ULL, 0x7203df6b21c6052bULL, 0xffffffffffffffffULL, 0xfffffffeffffffffULL};
void reduce_mod_n(u64 out[4], const u64 k[4]) {
  u64 d[4];
  u128 t = (u128)k[0] - kN[0];
  d[0] = (u64)t;
  for (int i = 1; i < 4; ++i) {
    t = (u128)k[i] - kN[i] - (u64)((t >> 64) & 1);
    d[i] = (u64)t;
  }
  u64 keep = 0 - (u64)((t >> 64) & 1);  // k < n: keep k
  for (int i = 0; i < 4; ++i) out[i] = (k[i] & keep) | (d[i] & ~keep);
  secure_wipe(d, sizeof(d));
}

// Converts n finite Jacobian points to affine with a single inversion.
void batch_to_affine(Affine* out, const Jacobian* in, size_t n) {
  std::vector<Fe> prefix(n);
  Fe acc = kOne;
  for (size_t i = 0; i < n; ++i) {
    prefix[i] = acc;
    fe_mul(acc, acc, in[i].z);
  }
  Fe inv;
  fe_inv(inv, acc);  // inverse of the product of all z
  for (size_t i = n; i-- > 0;) {
    Fe zinv, z2, z3;
    fe_mul(zinv, inv, prefix[i]);
    fe_mul(inv, inv, in[i].z);
    fe_sqr(z2, zinv);
    fe_mul(z3, z2, zinv);
    fe_mul(out[i].x, in[i].x, z2);
    fe_mul(out[i].y, in[i].y, z3);
  }
}

// Fixed-base comb with signed 6-bit digits: kCombTable.t[i][j − 1] = j·64^i·G
// for i < kCombWindows, 1 <= j <= 32 (43 · 32 affine points, 88 KB),
// computed once per process.
constexpr int kCombBits = 6;
constexpr int kCombWindows = 43;  // 43·6 = 258 bits >= 257 (a carry out of bit 255)
constexpr int kCombEntries = 1 << (kCombBits - 1);
struct CombTable {
  Affine t[kCombWindows][kCombEntries];
};

const CombTable& comb_table() {
  static const CombTable* table = [] {
    auto* ct = new CombTable;
    std::vector<Jacobian> jac(kCombWindows * kCombEntries);
    Jacobian base = to_jacobian(kG);  // 64^i·G
    for (int i = 0; i < kCombWindows; ++i) {
      Jacobian* row = &jac[i * kCombEntries];
      row[0] = base;
      for (int j = 1; j < kCombEntries; ++j) add_var(row[j], row[j - 1], base);
      for (int k = 0; k < kCombBits; ++k) dbl(base, base);
    }
    batch_to_affine(&ct->t[0][0], jac.data(), jac.size());
    return ct;
  }();
  return *table;
}

// Signed digits of k < 2^256 in base 2^w (w = bits <= 8), constant time:
// k = Σ d_i·2^(w·i), d_i in [−2^(w−1) + 1, 2^(w−1)], returned as magnitude
// |d_i| and sign mask (all-ones when d_i < 0). Window i takes w bits of k at
// w·i plus the carry of window i − 1 (v in [0, 2^w]); v > 2^(w−1) becomes
// v − 2^w with a carry of one. The number of windows must cover bit 256
// (the last carry); positions are public, values are masks.
void signed_digits(u64 mag[], u64 neg[], int windows, const u64 k[4], int bits) {
  const u64 limbs[5] = {k[0], k[1], k[2], k[3], 0};
  const u64 full = u64{1} << bits, half = full >> 1;
  u64 carry = 0;
  for (int i = 0; i < windows; ++i) {
    const int pos = bits * i;
    u64 w = limbs[pos / 64] >> (pos % 64);
    if (pos % 64 + bits > 64 && pos / 64 < 4) w |= limbs[pos / 64 + 1] << (64 - pos % 64);  // public positions
    const u64 v = (w & (full - 1)) + carry;
    carry = (half - v) >> 63;  // v > half
    const u64 m = 0 - carry;
    neg[i] = m;
    mag[i] = (v & ~m) | ((full - v) & m);
  }
}

// Odd multiples of G for the public wNAF: kOddG[i] = (2i + 1)·G, i < 64.
constexpr int kWindowG = 8;
constexpr int kWindowQ = 5;

const Affine* odd_g_table() {
  static const Affine* table = [] {
    constexpr int n = 1 << (kWindowG - 2);
    auto* t = new Affine[n];
    std::vector<Jacobian> jac(n);
    Jacobian g = to_jacobian(kG), g2;
    dbl(g2, g);
    jac[0] = g;
    for (int i = 1; i < n; ++i) add_var(jac[i], jac[i - 1], g2);
    batch_to_affine(t, jac.data(), n);
    return t;
  }();
  return table;
}

// Width-w NAF of a 256-bit value: digits odd in (−2^(w−1), 2^(w−1)) or zero,
// at most 257 of them. Variable time (public scalars only). Returns the length.
int wnaf(int digits[258], const u64 k_in[4], int w) {
  u64 k[5] = {k_in[0], k_in[1], k_in[2], k_in[3], 0};
  std::memset(digits, 0, 258 * sizeof(int));
  int len = 0;
  const int64_t full = int64_t{1} << w, half = int64_t{1} << (w - 1);
  for (int i = 0; (k[0] | k[1] | k[2] | k[3] | k[4]) != 0; ++i) {
    if (k[0] & 1) {
      int64_t d = static_cast<int64_t>(k[0] & static_cast<u64>(full - 1));
      if (d >= half) d -= full;
      digits[i] = static_cast<int>(d);
      // k −= d (k becomes divisible by 2^w).
      if (d > 0) {
        u128 c = (u128)k[0] - static_cast<u64>(d);
        k[0] = (u64)c;
        for (int j = 1; j < 5 && ((c >> 64) & 1); ++j) {
          c = (u128)k[j] - 1;
          k[j] = (u64)c;
        }
      } else {
        u128 c = (u128)k[0] + static_cast<u64>(-d);
        k[0] = (u64)c;
        for (int j = 1; j < 5 && (c >> 64); ++j) {
          c = (u128)k[j] + 1;
          k[j] = (u64)c;
        }
      }
    }
    for (int j = 0; j < 4; ++j) k[j] = (k[j] >> 1) | (k[j + 1] << 63);
    k[4] >>= 1;
    len = i + 1;
  }
  return len;
}

}  // namespace

const Affine& generator() { return kG; }
const Fe& curve_b() { return kB; }

bool on_curve(const Affine& a) {
  Fe lhs, rhs, t;
  fe_sqr(lhs, a.y);
  fe_sqr(rhs, a.x);
  fe_mul(rhs, rhs, a.x);
  fe_add(t, a.x, a.x);
  fe_add(t, t, a.x);
  fe_sub(rhs, rhs, t);
  fe_add(rhs, rhs, kB);
  return fe_eq_mask(lhs, rhs) != 0;
}

bool to_affine(Affine& out, const Jacobian& a) {
  // Whether a computed point is infinity is public: the callers reject it (a
  // zero scalar, P = −G, a sum that cancels), an event of probability ~2^-256
  // for honest inputs. The coordinates themselves stay secret.
  if (ct::declassified(is_infinity(a))) return false;
  Fe zinv, z2, z3;
  fe_inv(zinv, a.z);
  fe_sqr(z2, zinv);
  fe_mul(z3, z2, zinv);
  fe_mul(out.x, a.x, z2);
  fe_mul(out.y, a.y, z3);
  secure_wipe(&zinv, sizeof(zinv));
  return true;
}

bool equals_affine(const Jacobian& a, const Affine& b) {
  if (is_infinity(a)) return false;
  Fe z2, z3, t;
  fe_sqr(z2, a.z);
  fe_mul(z3, z2, a.z);
  fe_mul(t, b.x, z2);
  if (!fe_eq_mask(t, a.x)) return false;
  fe_mul(t, b.y, z3);
  return fe_eq_mask(t, a.y) != 0;
}

void dbl(Jacobian& r, const Jacobian& a) {
  // dbl-2001-b for a = −3 (3M + 5S). With Z = 0 the result has Z = 0.
  Fe delta, gamma, beta, alpha, t1, t2, beta4;
  fe_sqr(delta, a.z);
  fe_sqr(gamma, a.y);
  fe_mul(beta, a.x, gamma);
  fe_sub(t1, a.x, delta);
  fe_add(t2, a.x, delta);
  fe_mul(alpha, t1, t2);
  fe_add(t1, alpha, alpha);
  fe_add(alpha, t1, alpha);
  Jacobian out;
  fe_add(t1, a.y, a.z);
  fe_sqr(t1, t1);
  fe_sub(t1, t1, gamma);
  fe_sub(out.z, t1, delta);
  fe_add(beta4, beta, beta);
  fe_add(beta4, beta4, beta4);
  fe_add(t2, beta4, beta4);
  fe_sqr(out.x, alpha);
  fe_sub(out.x, out.x, t2);
  fe_sub(t1, beta4, out.x);
  fe_mul(t1, alpha, t1);
  fe_sqr(gamma, gamma);
  fe_add(gamma, gamma, gamma);
  fe_add(gamma, gamma, gamma);
  fe_add(gamma, gamma, gamma);
  fe_sub(out.y, t1, gamma);
  r = out;
}

void add_ct(Jacobian& r, const Jacobian& a, const Jacobian& b) {
  Jacobian g, d;
  Fe h, rr;
  add_core(g, h, rr, a, b);
  dbl(d, a);
  u64 a_inf = fe_is_zero_mask(a.z);
  u64 b_inf = fe_is_zero_mask(b.z);
  u64 same = fe_is_zero_mask(h) & fe_is_zero_mask(rr) & ~a_inf & ~b_inf;
  cmov(g, d, same);  // a == b: doubling
  cmov(g, b, a_inf);
  cmov(g, a, b_inf);
  // a == −b: the generic formula already gives Z = H·Z1·Z2 = 0.
  r = g;
}

void add_var(Jacobian& r, const Jacobian& a, const Jacobian& b) {
  if (is_infinity(a)) {
    r = b;
    return;
  }
  if (is_infinity(b)) {
    r = a;
    return;
  }
  Jacobian g;
  Fe h, rr;
  add_core(g, h, rr, a, b);
  finish_add_var(r, a, g, h, rr);
}

void neg(Jacobian& r, const Jacobian& a) {
  r.x = a.x;
  fe_neg(r.y, a.y);
  r.z = a.z;
}

// Why the comb meets the doubling case (a == b, both finite) at most in its
// last window: with k reduced below n, before window i the accumulator is M·G
// with M = Σ_{j<i} d_j·64^j, |M| <= 32·(64^i − 1)/63 < 64^i, and the entry is
// d·64^i·G with 1 <= |d| <= 32. M ≡ d·64^i (mod n) would need
// M − d·64^i ∈ {0, ±n}. It is not 0, because |d·64^i| >= 64^i > |M|; and for
// i <= 41 its size is below 33·64^i < 2^252 < n. The last window (i = 42)
// uses the complete mixed addition instead of a longer argument. A sum that
// cancels (a == −b) needs no special case: the formula gives Z = 0.
void mul_base_ct(Jacobian& r, const u64 k_in[4]) {
  const CombTable& table = comb_table();
  u64 k[4], mag[kCombWindows], negm[kCombWindows];
  reduce_mod_n(k, k_in);
  signed_digits(mag, negm, kCombWindows, k, kCombBits);
  Jacobian acc{kOne, kOne, kZero};
  Affine e;
  Fe ny;
  for (int i = 0; i < kCombWindows; ++i) {
    // The whole row is read; the entry is picked by masks.
    e.x = kZero;
    e.y = kZero;
    for (u64 j = 1; j <= kCombEntries; ++j) {
      const u64 m = eq_mask_u64(j, mag[i]);
      fe_cmov(e.x, table.t[i][j - 1].x, m);
      fe_cmov(e.y, table.t[i][j - 1].y, m);
    }
    fe_neg(ny, e.y);
    fe_cmov(e.y, ny, negm[i]);
    if (i != kCombWindows - 1) {
      add_affine_ct_distinct(acc, acc, e, eq_mask_u64(mag[i], 0));
    } else {
      add_affine_ct(acc, acc, e, eq_mask_u64(mag[i], 0));
    }
  }
  r = acc;
  secure_wipe(k, sizeof(k));
  secure_wipe(mag, sizeof(mag));
  secure_wipe(negm, sizeof(negm));
  secure_wipe(&acc, sizeof(acc));
  secure_wipe(&e, sizeof(e));
  secure_wipe(&ny, sizeof(ny));
}

// k·P with signed 5-bit digits (|d| <= 16, table 1..16·P, the sign applied
// by a masked negation): 52 windows, 255 doublings, 52 additions.
//
// Why only the last addition can meet the doubling case: with k reduced below
// n, after the doublings of window i the accumulator is A·P with
// A = 32·Σ_{j>i} d_j·32^(j−i−1) and the entry is d·P, 0 < |d| <= 16. A and d
// are congruent modulo n only if A − d ∈ {0, ±n}. A − d = 0 is impossible
// (A is a multiple of 32, 0 < |d| < 32, and A = 0 is infinity, which the
// masks handle). A + d = K_i = Σ_{j>=i} d_j·32^(j−i), which for i >= 1 is at
// most k/32^i + 1 < n/16, so |A − d| <= K_i + 32 < n. For i = 0, A − d = k − 2d
// equals n for k = n + 2d with d < 0 (k = n − 6 is one such scalar). So the
// last window uses the complete addition (add_ct), the others the cheaper
// one. A sum that cancels gives Z = 0 (infinity) either way.
constexpr int kWindowBits = 5;
constexpr int kWindows = 52;  // 52·5 = 260 bits >= 257
constexpr int kWindowEntries = 1 << (kWindowBits - 1);

void mul_ct(Jacobian& r, const Affine& p, const u64 k_in[4]) {
  u64 k[4], mag[kWindows], negm[kWindows];
  reduce_mod_n(k, k_in);
  signed_digits(mag, negm, kWindows, k, kWindowBits);
  Jacobian table[kWindowEntries];  // table[j − 1] = j·P
  table[0] = to_jacobian(p);
  for (int j = 2; j <= kWindowEntries; ++j) {
    if (j % 2 == 0) {
      dbl(table[j - 1], table[j / 2 - 1]);
    } else {
      add_ct(table[j - 1], table[j - 2], table[0]);
    }
  }
  Jacobian acc{kOne, kOne, kZero}, e;
  Fe ny;
  for (int i = kWindows - 1; i >= 0; --i) {
    if (i != kWindows - 1) {
      for (int s = 0; s < kWindowBits; ++s) dbl(acc, acc);
    }
    e = Jacobian{kOne, kOne, kZero};  // |d| = 0: infinity
    for (u64 j = 1; j <= kWindowEntries; ++j) cmov(e, table[j - 1], eq_mask_u64(j, mag[i]));
    fe_neg(ny, e.y);
    fe_cmov(e.y, ny, negm[i]);
    if (i != 0) {
      add_ct_distinct(acc, acc, e);
    } else {
      add_ct(acc, acc, e);
    }
  }
  r = acc;
  secure_wipe(k, sizeof(k));
  secure_wipe(mag, sizeof(mag));
  secure_wipe(negm, sizeof(negm));
  secure_wipe(&acc, sizeof(acc));
  secure_wipe(&e, sizeof(e));
  secure_wipe(&ny, sizeof(ny));
  secure_wipe(table, sizeof(table));
}

void mul_add_public(Jacobian& r, const u64 a[4], const Affine& q, const u64 b[4]) {
  mul_multi_public(r, a, &q, b, 1);
}

void mul_multi_public(Jacobian& r, const u64 g[4], const Affine* points, const u64* scalars, size_t count) {
  const Affine* g_odd = odd_g_table();
  // Odd multiples of every point, (2j + 1)·P_i at [i·nq + j], made affine
  // together with one inversion.
  constexpr int nq = 1 << (kWindowQ - 2);
  std::vector<Affine> odd(count * nq);
  if (count > 0) {
    std::vector<Jacobian> jac(count * nq);
    for (size_t i = 0; i < count; ++i) {
      Jacobian p = to_jacobian(points[i]), p2;
      dbl(p2, p);
      jac[i * nq] = p;
      for (int j = 1; j < nq; ++j) add_var(jac[i * nq + j], jac[i * nq + j - 1], p2);
    }
    batch_to_affine(odd.data(), jac.data(), jac.size());
  }
  std::vector<int> digits(count * 258);
  std::vector<int> lens(count);
  int ng[258];
  int len = wnaf(ng, g, kWindowG);
  for (size_t i = 0; i < count; ++i) {
    lens[i] = wnaf(&digits[i * 258], scalars + 4 * i, kWindowQ);
    if (lens[i] > len) len = lens[i];
  }
  Jacobian acc{kOne, kOne, kZero};
  auto add_odd = [&acc](const Affine& entry, int d) {
    if (d > 0) {
      add_affine_var(acc, acc, entry);
    } else {
      Affine e = entry;
      fe_neg(e.y, e.y);
      add_affine_var(acc, acc, e);
    }
  };
  for (int i = len - 1; i >= 0; --i) {
    if (!is_infinity(acc)) dbl(acc, acc);
    if (int d = ng[i]; d != 0) add_odd(g_odd[(d > 0 ? d : -d) / 2], d);
    for (size_t k = 0; k < count; ++k) {
      if (i >= lens[k]) continue;
      if (int d = digits[k * 258 + static_cast<size_t>(i)]; d != 0) add_odd(odd[k * nq + (d > 0 ? d : -d) / 2], d);
    }
  }
  r = acc;
}

}  // namespace duet::crypto::sm2
