#include "crypto/sm2_field.h"

#include "base/bytes.h"

namespace duet::crypto::sm2 {

void fe_inv(Fe& r, const Fe& a) {
  // Fixed 4-bit window over the public exponent p − 2.
  static constexpr Fe kExp = {{0xfffffffffffffffdULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL,
                               0xfffffffeffffffffULL}};
  Fe pow[16];
  pow[0] = kOne;
  pow[1] = a;
  for (int i = 2; i < 16; ++i) fe_mul(pow[i], pow[i - 1], a);
  Fe acc = kOne;
  for (int nib = 63; nib >= 0; --nib) {
    for (int k = 0; k < 4; ++k) fe_sqr(acc, acc);
    unsigned d = static_cast<unsigned>((kExp.v[nib / 16] >> ((nib % 16) * 4)) & 0xf);
    if (d != 0) fe_mul(acc, acc, pow[d]);  // d is a digit of the public exponent
  }
  r = acc;
  secure_wipe(pow, sizeof(pow));
  secure_wipe(&acc, sizeof(acc));
}

void limbs_from_bytes(u64 out[4], const uint8_t in[32]) {
  for (int i = 0; i < 4; ++i) {
    u64 w = 0;
    for (int j = 0; j < 8; ++j) w = (w << 8) | in[(3 - i) * 8 + j];
    out[i] = w;
  }
}

bool fe_from_bytes(Fe& r, const uint8_t in[32]) {
  Fe raw;
  limbs_from_bytes(raw.v, in);
  // raw < p iff raw − p borrows.
  u128 d = (u128)raw.v[0] - kP.v[0];
  d = (u128)raw.v[1] - kP.v[1] - (u64)((d >> 64) & 1);
  d = (u128)raw.v[2] - kP.v[2] - (u64)((d >> 64) & 1);
  d = (u128)raw.v[3] - kP.v[3] - (u64)((d >> 64) & 1);
  u64 ok = 0 - (u64)((d >> 64) & 1);
  for (int i = 0; i < 4; ++i) raw.v[i] &= ok;
  fe_to_mont(r, raw);
  secure_wipe(&raw, sizeof(raw));
  return ok != 0;
}

void fe_to_bytes(uint8_t out[32], const Fe& a) {
  Fe raw;
  fe_from_mont(raw, a);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 8; ++j) out[(3 - i) * 8 + j] = static_cast<uint8_t>(raw.v[i] >> (56 - 8 * j));
  }
  secure_wipe(&raw, sizeof(raw));
}

}  // namespace duet::crypto::sm2
