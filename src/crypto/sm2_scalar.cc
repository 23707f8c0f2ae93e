#include "crypto/sm2_scalar.h"

#include "base/bytes.h"

namespace duet::crypto::sm2 {
namespace {

// −n^-1 mod 2^64 (the Montgomery quotient factor), R^2 mod n, R mod n.
constexpr u64 kN0Inv = 0x327f9e8872350975ULL;
constexpr Sc kScR2 = {{0x901192af7c114f20ULL, 0x3464504ade6fa2faULL, 0x620fc84c3affe0d4ULL, 0x1eb5e412a22b3d3bULL}};
constexpr Sc kScMontOne = {{0xac440bf6c62abeddULL, 0x8dfc2094de39fad4ULL, 0x0000000000000000ULL, 0x0000000100000000ULL}};
constexpr Sc kScRawOne = {{1, 0, 0, 0}};
// The public exponent of the inversion, n − 2.
constexpr Sc kNMinus2 = {{0x53bbf40939d54121ULL, 0x7203df6b21c6052bULL, 0xffffffffffffffffULL, 0xfffffffeffffffffULL}};

// r = t − n if that does not borrow through the fifth limb t4, else t.
// Precondition t4·2^256 + t < 2n, so the result is below n.
inline void sub_n_if_ge(Sc& r, u64 t0, u64 t1, u64 t2, u64 t3, u64 t4) {
  mont256::sub_if_ge(r.v, kOrder.v, t0, t1, t2, t3, t4);
}

// r = a·b·R^-1 mod n (CIOS Montgomery multiplication). Inputs < n, output < n;
// r may alias a or b.
void mont_mul(Sc& r, const Sc& a, const Sc& b) { mont256::mul(r.v, a.v, b.v, kOrder.v, kN0Inv); }

// Big-endian bytes → little-endian limbs; `len` <= 32 bytes fill the low end.
void load_be(Sc& r, const uint8_t* in, size_t len) {
  r = Sc{{0, 0, 0, 0}};
  for (size_t i = 0; i < len; ++i) {
    size_t bit = 8 * (len - 1 - i);  // position from the public length only
    r.v[bit / 64] |= static_cast<u64>(in[i]) << (bit % 64);
  }
}

}  // namespace

u64 sc_from_bytes(Sc& r, const uint8_t in[32]) {
  Sc raw;
  load_be(raw, in, 32);
  // raw < n iff raw − n borrows.
  u128 d = (u128)raw.v[0] - kOrder.v[0];
  d = (u128)raw.v[1] - kOrder.v[1] - (u64)((d >> 64) & 1);
  d = (u128)raw.v[2] - kOrder.v[2] - (u64)((d >> 64) & 1);
  d = (u128)raw.v[3] - kOrder.v[3] - (u64)((d >> 64) & 1);
  u64 ok = 0 - (u64)((d >> 64) & 1);
  for (int i = 0; i < 4; ++i) r.v[i] = raw.v[i] & ok;
  secure_wipe(&raw, sizeof(raw));
  return ok;
}

void sc_to_bytes(uint8_t out[32], const Sc& a) {
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 8; ++j) out[(3 - i) * 8 + j] = static_cast<uint8_t>(a.v[i] >> (56 - 8 * j));
  }
}

// Horner over 32-byte blocks, most significant first: acc ← acc·2^256 + block.
// acc·2^256 mod n is one Montgomery multiplication by R^2; a block (< 2^256 < 2n)
// is reduced by one masked subtraction. The number of blocks and the size of
// the first one depend on the length only.
void sc_reduce_bytes(Sc& r, const uint8_t* in, size_t len) {
  Sc acc{{0, 0, 0, 0}}, block;
  size_t first = len % 32 == 0 ? 32 : len % 32;
  size_t pos = 0;
  while (pos < len) {
    size_t take = pos == 0 ? first : 32;
    load_be(block, in + pos, take);
    sub_n_if_ge(block, block.v[0], block.v[1], block.v[2], block.v[3], 0);
    mont_mul(acc, acc, kScR2);
    sc_add(acc, acc, block);
    pos += take;
  }
  r = acc;
  secure_wipe(&acc, sizeof(acc));
  secure_wipe(&block, sizeof(block));
}

void sc_add(Sc& r, const Sc& a, const Sc& b) { mont256::add(r.v, a.v, b.v, kOrder.v); }

void sc_sub(Sc& r, const Sc& a, const Sc& b) { mont256::sub(r.v, a.v, b.v, kOrder.v); }

void sc_neg(Sc& r, const Sc& a) { sc_sub(r, Sc{{0, 0, 0, 0}}, a); }

// (a·b·R^-1)·R^2·R^-1 = a·b.
void sc_mul(Sc& r, const Sc& a, const Sc& b) {
  Sc t;
  mont_mul(t, a, b);
  mont_mul(r, t, kScR2);
  secure_wipe(&t, sizeof(t));
}

void sc_inv(Sc& r, const Sc& a) {
  // In Montgomery form: am = a·R. Fixed 4-bit window over the public exponent
  // n − 2: 256 squarings and one multiplication per non-zero digit (a digit of
  // a public constant, so skipping zero digits reveals nothing).
  Sc pow[16];
  pow[0] = kScMontOne;
  mont_mul(pow[1], a, kScR2);
  for (int i = 2; i < 16; ++i) mont_mul(pow[i], pow[i - 1], pow[1]);
  Sc acc = kScMontOne;
  for (int nib = 63; nib >= 0; --nib) {
    for (int k = 0; k < 4; ++k) mont_mul(acc, acc, acc);
    unsigned d = static_cast<unsigned>((kNMinus2.v[nib / 16] >> ((nib % 16) * 4)) & 0xf);
    if (d != 0) mont_mul(acc, acc, pow[d]);
  }
  mont_mul(r, acc, kScRawOne);  // leave Montgomery form
  secure_wipe(pow, sizeof(pow));
  secure_wipe(&acc, sizeof(acc));
}

}  // namespace duet::crypto::sm2
