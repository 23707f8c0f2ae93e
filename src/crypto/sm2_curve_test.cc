// Native SM2 field and curve arithmetic, checked against OpenSSL's generic
// EC_POINT / BIGNUM code (an independent implementation) on random and edge
// inputs: 10,000 random rounds per operation unless rounds() says otherwise.
#include "base/result_testing.h"
#include "crypto/sm2_curve.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/openssl_util.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"
#include "crypto/test_vectors.h"

namespace duet::crypto::sm2 {
namespace {

using ::duet::testing_support::ok_value;

// 10,000 by default. DUET_ECC_ROUNDS sets it; without it, the sanitizer job's
// DUET_RANDOMIZED_ROUNDS (a reduced run) scales it down to 10× that value.
int rounds() {
  if (const char* env = std::getenv("DUET_ECC_ROUNDS")) return std::max(1, std::atoi(env));
  if (const char* env = std::getenv("DUET_RANDOMIZED_ROUNDS")) return std::max(1, std::min(10000, 10 * std::atoi(env)));
  return 10000;
}

using Bytes32 = std::array<uint8_t, 32>;

Bytes32 bytes_of(const u64 limbs[4]) {
  Bytes32 out{};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 8; ++j) out[(3 - i) * 8 + j] = static_cast<uint8_t>(limbs[i] >> (56 - 8 * j));
  }
  return out;
}

BnPtr bn_of(const Bytes32& b) {
  BnPtr bn(BN_bin2bn(b.data(), 32, nullptr));
  EXPECT_TRUE(bn);
  return bn;
}

BnPtr bn_hex(const char* hex) {
  BIGNUM* b = nullptr;
  EXPECT_GT(BN_hex2bn(&b, hex), 0);
  return BnPtr(b);
}

Bytes32 bytes_of_bn(const BIGNUM* b) {
  Bytes32 out{};
  EXPECT_EQ(BN_bn2binpad(b, out.data(), 32), 32);
  return out;
}

const BIGNUM* bn_p() {
  static BnPtr p = bn_hex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF");
  return p.get();
}

// Field element ↔ bytes through the public codec.
Fe fe(const Bytes32& b) {
  Fe r;
  EXPECT_TRUE(fe_from_bytes(r, b.data()));
  return r;
}
Bytes32 bytes(const Fe& a) {
  Bytes32 out{};
  fe_to_bytes(out.data(), a);
  return out;
}

// Jacobian result → SEC1 hex, or "inf".
std::string encode(const Jacobian& j) {
  Affine a;
  if (!to_affine(a, j)) return "inf";
  Bytes32 x = bytes(a.x), y = bytes(a.y);
  return "04" + to_hex(x) + to_hex(y);
}

std::string encode_ossl(const EC_POINT* p) {
  if (EC_POINT_is_at_infinity(sm2_group(), p)) return "inf";
  uint8_t buf[65];
  EXPECT_EQ(EC_POINT_point2oct(sm2_group(), p, POINT_CONVERSION_UNCOMPRESSED, buf, 65, thread_bn_ctx()), 65u);
  return to_hex(ByteView(buf, 65));
}

Affine affine_of_ossl(const EC_POINT* p) {
  uint8_t buf[65];
  EXPECT_EQ(EC_POINT_point2oct(sm2_group(), p, POINT_CONVERSION_UNCOMPRESSED, buf, 65, thread_bn_ctx()), 65u);
  Affine a;
  EXPECT_TRUE(fe_from_bytes(a.x, buf + 1));
  EXPECT_TRUE(fe_from_bytes(a.y, buf + 33));
  return a;
}

// OpenSSL: a·G + b·Q (either term may be absent).
std::string ossl_mul(const BIGNUM* a, const EC_POINT* q, const BIGNUM* b) {
  PointPtr r(EC_POINT_new(sm2_group()));
  EXPECT_EQ(EC_POINT_mul(sm2_group(), r.get(), a, q, b, thread_bn_ctx()), 1);
  return encode_ossl(r.get());
}

PointPtr ossl_point(const Affine& a) {
  Bytes32 x = bytes(a.x), y = bytes(a.y);
  uint8_t buf[65];
  buf[0] = 4;
  std::copy(x.begin(), x.end(), buf + 1);
  std::copy(y.begin(), y.end(), buf + 33);
  PointPtr p(EC_POINT_new(sm2_group()));
  EXPECT_EQ(EC_POINT_oct2point(sm2_group(), p.get(), buf, 65, thread_bn_ctx()), 1);
  return p;
}

void random_limbs(u64 out[4], RandomSource& rng) {
  Bytes32 b{};
  rng.fill(b);
  limbs_from_bytes(out, b.data());
}

Affine random_point(RandomSource& rng) {
  u64 k[4];
  random_limbs(k, rng);
  Jacobian j;
  mul_base_ct(j, k);
  Affine a;
  EXPECT_TRUE(to_affine(a, j));
  return a;
}

// ---------------------------------------------------------------- field

TEST(Sm2Field, EdgeValuesEncodeAndRejectNonCanonical) {
  Bytes32 zero{}, one{}, pm1 = bytes_of_bn(bn_p()), p = bytes_of_bn(bn_p()), ones{};
  one[31] = 1;
  pm1[31] -= 1;
  ones.fill(0xff);
  EXPECT_EQ(bytes(fe(zero)), zero);
  EXPECT_EQ(bytes(fe(one)), one);
  EXPECT_EQ(bytes(fe(pm1)), pm1);
  Fe r;
  // Values >= p are rejected (documented: no silent reduction), r = 0.
  EXPECT_FALSE(fe_from_bytes(r, p.data()));
  EXPECT_TRUE(fe_is_zero_mask(r));
  BnPtr p_plus_1(BN_dup(bn_p()));
  BN_add_word(p_plus_1.get(), 1);
  Bytes32 pp1 = bytes_of_bn(p_plus_1.get());
  EXPECT_FALSE(fe_from_bytes(r, pp1.data()));
  EXPECT_FALSE(fe_from_bytes(r, ones.data()));
  // p − 1 + 1 = 0, 0 − 1 = p − 1, −0 = 0, (p − 1)² = 1.
  Fe s;
  fe_add(s, fe(pm1), fe(one));
  EXPECT_EQ(bytes(s), zero);
  fe_sub(s, fe(zero), fe(one));
  EXPECT_EQ(bytes(s), pm1);
  fe_neg(s, fe(zero));
  EXPECT_EQ(bytes(s), zero);
  fe_mul(s, fe(pm1), fe(pm1));
  EXPECT_EQ(bytes(s), one);
  fe_inv(s, fe(pm1));
  EXPECT_EQ(bytes(s), pm1);
  fe_inv(s, fe(zero));
  EXPECT_EQ(bytes(s), zero);
  EXPECT_EQ(bytes(kOne), one);
  EXPECT_TRUE(fe_eq_mask(fe(one), kOne));
}

TEST(Sm2Field, MatchesOpenSslBignum) {
  DeterministicRandom rng(as_bytes("sm2-field"));
  BN_CTX* ctx = thread_bn_ctx();
  BnPtr t(BN_new());
  // Random values plus values next to 0 and p, where carries and borrows happen.
  std::vector<Bytes32> special;
  for (int d = 0; d < 4; ++d) {
    BnPtr v(BN_new());
    BN_set_word(v.get(), d);
    special.push_back(bytes_of_bn(v.get()));
    BN_sub(v.get(), bn_p(), BN_value_one());
    BN_sub_word(v.get(), d);
    special.push_back(bytes_of_bn(v.get()));
  }
  Bytes32 half{};
  half[0] = 0x80;
  special.push_back(half);
  int n = rounds();
  for (int i = 0; i < n; ++i) {
    Bytes32 xa{}, xb{};
    if (i < static_cast<int>(special.size() * special.size())) {
      xa = special[i % special.size()];
      xb = special[i / special.size()];
    } else {
      rng.fill(xa);
      rng.fill(xb);
      xa[0] &= 0x7f;  // keep below p; the top bits of p are set
      xb[0] = static_cast<uint8_t>(xb[0] % 0xff);
    }
    BnPtr a = bn_of(xa), b = bn_of(xb);
    ASSERT_LT(BN_cmp(a.get(), bn_p()), 0);
    ASSERT_LT(BN_cmp(b.get(), bn_p()), 0);
    Fe fa = fe(xa), fb = fe(xb), r;
    fe_mul(r, fa, fb);
    ASSERT_EQ(BN_mod_mul(t.get(), a.get(), b.get(), bn_p(), ctx), 1);
    ASSERT_EQ(bytes(r), bytes_of_bn(t.get())) << i;
    fe_add(r, fa, fb);
    BN_mod_add(t.get(), a.get(), b.get(), bn_p(), ctx);
    ASSERT_EQ(bytes(r), bytes_of_bn(t.get())) << i;
    fe_sub(r, fa, fb);
    BN_mod_sub(t.get(), a.get(), b.get(), bn_p(), ctx);
    ASSERT_EQ(bytes(r), bytes_of_bn(t.get())) << i;
    fe_sqr(r, fa);
    BN_mod_sqr(t.get(), a.get(), bn_p(), ctx);
    ASSERT_EQ(bytes(r), bytes_of_bn(t.get())) << i;
    if (i % 16 == 0 && !BN_is_zero(a.get())) {
      fe_inv(r, fa);
      ASSERT_NE(BN_mod_inverse(t.get(), a.get(), bn_p(), ctx), nullptr);
      ASSERT_EQ(bytes(r), bytes_of_bn(t.get())) << i;
    }
  }
}

// The portable field code (what the WebAssembly build runs) and the code this
// build runs (x86-64's carry chains on x86-64) must agree limb for limb, on
// values where every carry and borrow of the reduction happens.
TEST(Sm2Field, PortableAndBuildCodeAgree) {
  DeterministicRandom rng(as_bytes("sm2-field-portable"));
  std::vector<Fe> values;
  for (u64 pattern : {0ULL, 1ULL, 0xffffffffULL, 0xffffffff00000000ULL, ~0ULL, 0x8000000000000000ULL}) {
    for (int top : {0, 1, 2}) {
      Fe v{{pattern, pattern, pattern, top == 0 ? pattern : top == 1 ? kP.v[3] : 0x7fffffffffffffffULL}};
      fe_from_bytes(v, bytes_of(v.v).data());  // canonical (< p) or rejected as 0
      values.push_back(v);
    }
  }
  Fe pm1 = kP;
  pm1.v[0] -= 1;  // p − 1, a valid element (not in Montgomery form; any value < p will do)
  values.push_back(pm1);
  values.push_back(kOne);
  values.push_back(kR2);
  for (int i = 0; i < 2000; ++i) {
    Bytes32 x{};
    rng.fill(x);
    Fe v;
    if (fe_from_bytes(v, x.data())) values.push_back(v);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const Fe& a = values[i];
    const Fe& b = values[(i * 7 + 3) % values.size()];
    Fe x, y;
    portable::mul(x.v, a.v, b.v);
    fe_mul(y, a, b);
    ASSERT_EQ(bytes_of(x.v), bytes_of(y.v)) << "mul " << i;
    portable::sqr(x.v, a.v);
    fe_sqr(y, a);
    ASSERT_EQ(bytes_of(x.v), bytes_of(y.v)) << "sqr " << i;
    fe_mul(x, a, a);
    ASSERT_EQ(bytes_of(x.v), bytes_of(y.v)) << "sqr = mul " << i;
    portable::add(x.v, a.v, b.v);
    fe_add(y, a, b);
    ASSERT_EQ(bytes_of(x.v), bytes_of(y.v)) << "add " << i;
    portable::sub(x.v, a.v, b.v);
    fe_sub(y, a, b);
    ASSERT_EQ(bytes_of(x.v), bytes_of(y.v)) << "sub " << i;
    // And against the generic Montgomery multiplication (CIOS with the full quotient).
    mont256::mul(x.v, a.v, b.v, kP.v, 1);
    fe_mul(y, a, b);
    ASSERT_EQ(bytes_of(x.v), bytes_of(y.v)) << "generic mul " << i;
  }
}

// ---------------------------------------------------------------- curve

TEST(Sm2Curve, GeneratorMatchesOpenSsl) {
  EXPECT_TRUE(on_curve(generator()));
  EXPECT_EQ(encode(to_jacobian(generator())), encode_ossl(EC_GROUP_get0_generator(sm2_group())));
}

TEST(Sm2Curve, ExceptionalAdditions) {
  DeterministicRandom rng(as_bytes("sm2-exceptional"));
  Jacobian inf{kOne, kOne, kZero};
  for (int i = 0; i < 50; ++i) {
    Jacobian p = to_jacobian(random_point(rng)), q = to_jacobian(random_point(rng)), np, r, d;
    // Scale p to a non-trivial Z so the cases are detected projectively.
    add_var(p, p, q);
    neg(np, p);
    dbl(d, p);
    std::string dp = encode(d);
    add_ct(r, p, p);
    EXPECT_EQ(encode(r), dp);  // P + P
    add_var(r, p, p);
    EXPECT_EQ(encode(r), dp);
    add_ct(r, p, np);
    EXPECT_EQ(encode(r), "inf");  // P + (−P)
    add_var(r, p, np);
    EXPECT_EQ(encode(r), "inf");
    add_ct(r, inf, p);
    EXPECT_EQ(encode(r), encode(p));
    add_ct(r, p, inf);
    EXPECT_EQ(encode(r), encode(p));
    add_var(r, inf, p);
    EXPECT_EQ(encode(r), encode(p));
    add_ct(r, inf, inf);
    EXPECT_EQ(encode(r), "inf");
    dbl(r, inf);
    EXPECT_EQ(encode(r), "inf");
    // P + 2P via both paths = 3P from OpenSSL.
    add_ct(r, p, d);
    Affine pa;
    ASSERT_TRUE(to_affine(pa, p));
    PointPtr po = ossl_point(pa);
    BnPtr three(BN_new());
    BN_set_word(three.get(), 3);
    EXPECT_EQ(encode(r), ossl_mul(nullptr, po.get(), three.get()));
    EXPECT_TRUE(equals_affine(p, pa));
    EXPECT_FALSE(equals_affine(d, pa));
    EXPECT_FALSE(equals_affine(inf, pa));
  }
}

std::vector<Bytes32> edge_scalars() {
  std::vector<const char*> hex = {
      "0", "1", "2", "3", "F", "10", "11",
      // n − 2, n − 1, n, n + 1, n + 2
      "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54121",
      "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54122",
      "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123",
      "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54124",
      "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54125",
      // (n − 1)/2, (n + 1)/2
      "7FFFFFFF7FFFFFFFFFFFFFFFFFFFFFFFB901EFB590E30295A9DDFA049CEAA091",
      "7FFFFFFF7FFFFFFFFFFFFFFFFFFFFFFFB901EFB590E30295A9DDFA049CEAA092",
      // 2^255, 2^255 − 1, 2^256 − 1, 2^128, 2^128 − 1
      "8000000000000000000000000000000000000000000000000000000000000000",
      "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
      "100000000000000000000000000000000", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
      // long runs of ones and zeros, alternating bits
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000000000000000000000000000",
      "00000000000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
      "FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000",
      "F0000000000000000000000000000000000000000000000000000000000000F1",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "5555555555555555555555555555555555555555555555555555555555555555",
      "8000000000000000000000000000000000000000000000000000000000000001",
      "0000000000000000000000000000000000000000000000000000000000000080",
  };
  std::vector<Bytes32> out;
  for (const char* h : hex) out.push_back(bytes_of_bn(bn_hex(h).get()));
  // every single-bit scalar 2^i, and every 2^i − 1
  for (int i = 0; i < 256; ++i) {
    BnPtr b(BN_new());
    BN_set_bit(b.get(), i);
    out.push_back(bytes_of_bn(b.get()));
    BN_sub_word(b.get(), 1);
    out.push_back(bytes_of_bn(b.get()));
  }
  // n − j for j < 70: the signed windows' last addition meets the doubling
  // case at n − 6 (k·P) and the carries run through every window; d·2^252 and
  // d·2^253 − n near the comb's top window; 2^256 − n and its neighbours.
  for (u64 j = 1; j < 70; ++j) {
    BnPtr b(BN_dup(sm2_order()));
    BN_sub_word(b.get(), j);
    out.push_back(bytes_of_bn(b.get()));
  }
  for (u64 d = 1; d <= 16; ++d) {
    BnPtr b(BN_new());
    BN_set_word(b.get(), d);
    BN_lshift(b.get(), b.get(), 252);
    if (BN_cmp(b.get(), sm2_order()) < 0) out.push_back(bytes_of_bn(b.get()));
    BN_lshift1(b.get(), b.get());
    BN_sub(b.get(), b.get(), sm2_order());
    if (!BN_is_negative(b.get()) && BN_cmp(b.get(), sm2_order()) < 0) out.push_back(bytes_of_bn(b.get()));
  }
  for (int delta = -2; delta <= 2; ++delta) {
    BnPtr b(BN_new());
    BN_set_bit(b.get(), 256);
    BN_sub(b.get(), b.get(), sm2_order());
    if (delta < 0) BN_sub_word(b.get(), static_cast<u64>(-delta));
    if (delta > 0) BN_add_word(b.get(), static_cast<u64>(delta));
    out.push_back(bytes_of_bn(b.get()));
  }
  return out;
}

TEST(Sm2Curve, EdgeScalarsMatchOpenSsl) {
  DeterministicRandom rng(as_bytes("sm2-edge"));
  Affine q = random_point(rng);
  PointPtr qo = ossl_point(q);
  std::vector<Bytes32> edges = edge_scalars();
  for (size_t i = 0; i < edges.size(); ++i) {
    const Bytes32& kb = edges[i];
    u64 k[4];
    limbs_from_bytes(k, kb.data());
    BnPtr kn = bn_of(kb);
    Jacobian r;
    mul_base_ct(r, k);
    EXPECT_EQ(encode(r), ossl_mul(kn.get(), nullptr, nullptr)) << "k·G, k = " << to_hex(kb);
    mul_ct(r, q, k);
    EXPECT_EQ(encode(r), ossl_mul(nullptr, qo.get(), kn.get())) << "k·Q, k = " << to_hex(kb);
    mul_ct(r, generator(), k);
    EXPECT_EQ(encode(r), ossl_mul(kn.get(), nullptr, nullptr)) << "k·G by the window, k = " << to_hex(kb);
    // Pair each edge with the next one in the double multiplication.
    const Bytes32& lb = edges[(i + 1) % edges.size()];
    u64 l[4];
    limbs_from_bytes(l, lb.data());
    BnPtr ln = bn_of(lb);
    mul_add_public(r, k, q, l);
    EXPECT_EQ(encode(r), ossl_mul(kn.get(), qo.get(), ln.get())) << to_hex(kb) << " " << to_hex(lb);
    mul_add_public(r, k, generator(), l);
    EXPECT_EQ(encode(r), ossl_mul(kn.get(), EC_GROUP_get0_generator(sm2_group()), ln.get()));
  }
}

TEST(Sm2Curve, DoubleMultiplicationHitsDoublingAndInfinity) {
  // With Q = ±G the two wNAF chains meet: intermediate sums double or cancel.
  DeterministicRandom rng(as_bytes("sm2-dm"));
  const BIGNUM* n = sm2_order();
  Jacobian gj = to_jacobian(generator()), ng;
  neg(ng, gj);
  Affine g_neg;
  ASSERT_TRUE(to_affine(g_neg, ng));
  for (int i = 0; i < 200; ++i) {
    u64 a[4];
    random_limbs(a, rng);
    BnPtr an = bn_of(bytes_of(a));
    BN_nnmod(an.get(), an.get(), n, thread_bn_ctx());
    Bytes32 ab = bytes_of_bn(an.get());
    limbs_from_bytes(a, ab.data());
    BnPtr bn_neg(BN_new());
    BN_mod_sub(bn_neg.get(), n, an.get(), n, thread_bn_ctx());  // n − a
    u64 b[4];
    Bytes32 bb = bytes_of_bn(bn_neg.get());
    limbs_from_bytes(b, bb.data());
    Jacobian r;
    mul_add_public(r, a, generator(), b);  // a·G + (n − a)·G = ∞
    EXPECT_EQ(encode(r), "inf");
    mul_add_public(r, a, g_neg, a);  // a·G − a·G = ∞
    EXPECT_EQ(encode(r), "inf");
    mul_add_public(r, a, generator(), a);  // 2a·G
    EXPECT_EQ(encode(r), ossl_mul(nullptr, EC_GROUP_get0_generator(sm2_group()),
                                  [&] {
                                    static thread_local BnPtr two_a(BN_new());
                                    BN_mod_add(two_a.get(), an.get(), an.get(), n, thread_bn_ctx());
                                    return two_a.get();
                                  }()));
  }
}

TEST(Sm2Curve, SmallMultiplesOfAVariableBase) {
  // 1..40 · P exercise every table entry and the doubling inside its build.
  DeterministicRandom rng(as_bytes("sm2-small"));
  Affine p = random_point(rng);
  PointPtr po = ossl_point(p);
  for (u64 k = 0; k <= 40; ++k) {
    u64 kl[4] = {k, 0, 0, 0};
    BnPtr kn(BN_new());
    BN_set_word(kn.get(), k);
    Jacobian r;
    mul_ct(r, p, kl);
    EXPECT_EQ(encode(r), ossl_mul(nullptr, po.get(), kn.get())) << k;
    mul_base_ct(r, kl);
    EXPECT_EQ(encode(r), ossl_mul(kn.get(), nullptr, nullptr)) << k;
  }
}

TEST(Sm2Curve, RandomScalarsMatchOpenSsl) {
  DeterministicRandom rng(as_bytes("sm2-random"));
  int n = rounds();
  for (int i = 0; i < n; ++i) {
    u64 k[4], l[4];
    random_limbs(k, rng);
    random_limbs(l, rng);
    BnPtr kn = bn_of(bytes_of(k)), ln = bn_of(bytes_of(l));
    Affine q = random_point(rng);
    PointPtr qo = ossl_point(q);
    Jacobian r;
    mul_base_ct(r, k);
    ASSERT_EQ(encode(r), ossl_mul(kn.get(), nullptr, nullptr)) << "k·G, round " << i;
    mul_ct(r, q, k);
    ASSERT_EQ(encode(r), ossl_mul(nullptr, qo.get(), kn.get())) << "k·Q, round " << i;
    mul_add_public(r, k, q, l);
    ASSERT_EQ(encode(r), ossl_mul(kn.get(), qo.get(), ln.get())) << "k·G + l·Q, round " << i;
  }
}

TEST(Sm2Curve, PointsFromOpenSslAreOnCurveAndOthersAreNot) {
  DeterministicRandom rng(as_bytes("sm2-oncurve"));
  for (int i = 0; i < 100; ++i) {
    u64 k[4];
    random_limbs(k, rng);
    BnPtr kn = bn_of(bytes_of(k));
    PointPtr p(EC_POINT_new(sm2_group()));
    ASSERT_EQ(EC_POINT_mul(sm2_group(), p.get(), kn.get(), nullptr, nullptr, thread_bn_ctx()), 1);
    Affine a = affine_of_ossl(p.get());
    EXPECT_TRUE(on_curve(a));
    fe_add(a.y, a.y, kOne);
    EXPECT_FALSE(on_curve(a));
  }
}

// ---------------------------------------------------------------- Point and SM2

TEST(Sm2Native, PointRejectsCoordinatesAtOrAboveP) {
  // A point with a small x (x + p still fits in 256 bits): the encoding of
  // x + p must be refused even though it reduces to a point on the curve.
  BN_CTX* ctx = thread_bn_ctx();
  PointPtr p(EC_POINT_new(sm2_group()));
  BnPtr x(BN_new());
  int found = 0;
  for (unsigned long v = 0; v < 64 && !found; ++v) {
    BN_set_word(x.get(), v);
    found = EC_POINT_set_compressed_coordinates(sm2_group(), p.get(), x.get(), 0, ctx);
    if (!found) openssl_errors();
  }
  ASSERT_TRUE(found);
  Bytes enc(65);
  ASSERT_EQ(EC_POINT_point2oct(sm2_group(), p.get(), POINT_CONVERSION_UNCOMPRESSED, enc.data(), 65, ctx), 65u);
  ASSERT_TRUE(Point::from_sec1(enc).ok());
  BnPtr xp(BN_new());
  BN_add(xp.get(), x.get(), bn_p());
  ASSERT_EQ(BN_bn2binpad(xp.get(), enc.data() + 1, 32), 32);
  EXPECT_EQ(Point::from_sec1(enc).code(), ErrorCode::kBadPoint);
  // y + p does not fit in 32 bytes for this y unless y is small; check y = p exactly.
  Bytes enc2 = enc;
  Bytes32 pb = bytes_of_bn(bn_p());
  std::copy(pb.begin(), pb.end(), enc2.begin() + 33);
  EXPECT_EQ(Point::from_sec1(enc2).code(), ErrorCode::kBadPoint);
}

TEST(Sm2Native, StandardSignatureExample) {
  const auto& v = testing::standard_vectors().at("sm2-sign");
  Scalar d = ok_value(Scalar::from_hex(v.at("private")));
  Point pub = ok_value(Point::from_hex("04" + v.at("public_x") + v.at("public_y")));
  EXPECT_TRUE(ok_value(Point::mul_base(d)) == pub);
  EXPECT_TRUE(ok_value(Point::generator().mul(d)) == pub);
  Digest e = ok_value(sm2_digest(pub, as_bytes(v.at("msg_ascii")), v.at("id_ascii")));
  EXPECT_EQ(to_hex(e), v.at("e"));
  Scalar k = ok_value(Scalar::from_hex(v.at("k")));
  Scalar r = Scalar::reduce(e) + Scalar::reduce(ok_value(Point::mul_base(k)).x_bytes());
  EXPECT_EQ(r.to_hex(), v.at("r"));
  Sm2Signature sig{ok_value(Scalar::from_hex(v.at("r"))), ok_value(Scalar::from_hex(v.at("s")))};
  // The standard equation by the native double multiplication.
  EXPECT_TRUE(sm2_verify_digest(pub, e, sig).ok());
  Scalar t = sig.r + sig.s;
  Point x1y1 = ok_value(Point::public_mul_add(sig.s, t, pub));
  EXPECT_TRUE((Scalar::reduce(e) + Scalar::reduce(x1y1.x_bytes())) == sig.r);
  EXPECT_TRUE(Point::public_mul_add_equals(sig.s, t, pub, x1y1));
  EXPECT_FALSE(Point::public_mul_add_equals(sig.s, t, pub, pub));
  Sm2Signature bad{sig.r, sig.s + Scalar::one()};
  EXPECT_EQ(sm2_verify_digest(pub, e, bad).code(), ErrorCode::kSignatureInvalid);
}

TEST(Sm2Native, SignVerifyCrossCheckWithOpenSslBothWays) {
  DeterministicRandom rng(as_bytes("sm2-cross"));
  int n = std::max(50, rounds() / 20);
  for (int i = 0; i < n; ++i) {
    Scalar d = Scalar::random_nonzero(rng);
    Point pub = ok_value(Point::mul_base(d));
    std::string msg = "message " + std::to_string(i);
    // Native signature (GB/T 32918.2 §6.1 with native k·G) → OpenSSL EVP verify.
    Digest e = ok_value(sm2_digest(pub, as_bytes(msg)));
    Scalar k = Scalar::random_nonzero(rng);
    Scalar r = Scalar::reduce(e) + Scalar::reduce(ok_value(Point::mul_base(k)).x_bytes());
    Scalar s = *(Scalar::one() + d).inverse() * (k - r * d);
    if (r.is_zero() || s.is_zero() || (r + k).is_zero()) continue;
    Sm2Signature sig{r, s};
    ASSERT_TRUE(evp_sm2_verify(pub, as_bytes(msg), sig.to_der()).ok()) << i;
    ASSERT_TRUE(sm2_verify_digest(pub, e, sig).ok()) << i;
    // OpenSSL EVP signature → native verify.
    Bytes der = ok_value(evp_sm2_sign(d, as_bytes(msg)));
    Sm2Signature theirs = ok_value(Sm2Signature::from_der(der));
    ASSERT_TRUE(sm2_verify_digest(pub, e, theirs).ok()) << i;
    // A different message fails on both sides.
    Digest e2 = ok_value(sm2_digest(pub, as_bytes(msg + "!")));
    ASSERT_EQ(sm2_verify_digest(pub, e2, theirs).code(), ErrorCode::kSignatureInvalid);
    ASSERT_EQ(evp_sm2_verify(pub, as_bytes(msg + "!"), der).code(), ErrorCode::kSignatureInvalid);
  }
}

TEST(Sm2Native, PointOperationsMatchOpenSsl) {
  DeterministicRandom rng(as_bytes("sm2-point-ops"));
  for (int i = 0; i < 200; ++i) {
    Scalar a = Scalar::random_nonzero(rng), b = Scalar::random_nonzero(rng);
    Point q = ok_value(Point::mul_base(Scalar::random_nonzero(rng)));
    PointPtr qo = ossl_point(q.affine());
    BnPtr an = bn_of(a.bytes()), bn = bn_of(b.bytes());
    EXPECT_EQ(ok_value(Point::mul_base_add(a, b, q)).to_hex(), ossl_mul(an.get(), qo.get(), bn.get()));
    EXPECT_EQ(ok_value(q.mul(a)).to_hex(), ossl_mul(nullptr, qo.get(), an.get()));
    EXPECT_EQ(ok_value(Point::public_mul_add(a, b, q)).to_hex(), ossl_mul(an.get(), qo.get(), bn.get()));
  }
  Point g = Point::generator();
  EXPECT_EQ(Point::mul_base_add(Scalar::one(), Scalar::one().negate(), g).code(), ErrorCode::kBadPoint);
  EXPECT_EQ(Point::mul_base_add(Scalar::zero(), Scalar::one(), g).code(), ErrorCode::kBadScalar);
  EXPECT_EQ(Point::mul_base_add(Scalar::one(), Scalar::zero(), g).code(), ErrorCode::kBadScalar);
  EXPECT_TRUE(ok_value(Point::mul_base_add(Scalar::one(), Scalar::one(), g)) == ok_value(g.add(g)));
  EXPECT_TRUE(ok_value(g.add(g)) == ok_value(Point::mul_base(Scalar::from_u64(2))));
}

}  // namespace
}  // namespace duet::crypto::sm2
