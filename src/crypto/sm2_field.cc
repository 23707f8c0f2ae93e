#include "crypto/sm2_field.h"

#include "base/bytes.h"

namespace duet::crypto::sm2 {

namespace {

// r = a^(2^n) (n squarings).
void sqr_n(Fe& r, const Fe& a, int n) {
  r = a;
  for (int i = 0; i < n; ++i) fe_sqr(r, r);
}

}  // namespace

void fe_inv(Fe& r, const Fe& a) {
  // a^(p − 2) by a fixed addition chain over the public exponent
  //   p − 2 = [31 ones][0][128 ones][32 zeros][62 ones][0][1]   (bits 255..0),
  // from x_k = a^(2^k − 1): 256 squarings and 15 multiplications, always the
  // same sequence (no digit of anything secret drives it).
  Fe x2, x3, x6, x12, x24, x31, x32, t, acc;
  fe_sqr(t, a);
  fe_mul(x2, t, a);
  fe_sqr(t, x2);
  fe_mul(x3, t, a);
  sqr_n(t, x3, 3);
  fe_mul(x6, t, x3);
  sqr_n(t, x6, 6);
  fe_mul(x12, t, x6);
  sqr_n(t, x12, 12);
  fe_mul(x24, t, x12);
  sqr_n(t, x24, 6);
  fe_mul(t, t, x6);  // x30
  fe_sqr(t, t);
  fe_mul(x31, t, a);
  fe_sqr(t, x31);
  fe_mul(x32, t, a);
  // [31 ones][0]
  fe_sqr(acc, x31);
  // [128 ones]
  for (int i = 0; i < 4; ++i) {
    sqr_n(acc, acc, 32);
    fe_mul(acc, acc, x32);
  }
  // [32 zeros][62 ones]
  sqr_n(acc, acc, 32 + 31);
  fe_mul(acc, acc, x31);
  sqr_n(acc, acc, 31);
  fe_mul(acc, acc, x31);
  // [0][1]
  sqr_n(acc, acc, 2);
  fe_mul(r, acc, a);
  secure_wipe(&x2, sizeof(x2));
  secure_wipe(&x3, sizeof(x3));
  secure_wipe(&x6, sizeof(x6));
  secure_wipe(&x12, sizeof(x12));
  secure_wipe(&x24, sizeof(x24));
  secure_wipe(&x31, sizeof(x31));
  secure_wipe(&x32, sizeof(x32));
  secure_wipe(&t, sizeof(t));
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
