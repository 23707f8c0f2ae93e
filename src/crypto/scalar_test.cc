#include "base/result_testing.h"
#include "crypto/scalar.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <vector>

#include "crypto/openssl_util.h"

namespace duet::crypto {
namespace {

using ::duet::testing_support::ok_value;

std::string order_hex() { return "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123"; }

TEST(Scalar, ParsesRangeStrictly) {
  EXPECT_TRUE(Scalar::from_hex(std::string(64, '0')).ok());
  EXPECT_EQ(Scalar::from_hex_nonzero(std::string(64, '0')).code(), ErrorCode::kBadScalar);
  EXPECT_EQ(Scalar::from_hex(order_hex()).code(), ErrorCode::kBadScalar);       // n
  EXPECT_EQ(Scalar::from_hex(std::string(64, 'f')).code(), ErrorCode::kBadScalar);  // 2^256-1
  // n - 1 is the largest valid scalar.
  auto nm1 = Scalar::from_hex("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122");
  ASSERT_TRUE(nm1.ok());
  EXPECT_TRUE((*nm1 + Scalar::one()).is_zero());
  // Truncated, oversized, non-hex.
  EXPECT_EQ(Scalar::from_hex(std::string(62, '1')).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(Scalar::from_hex(std::string(66, '1')).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(Scalar::from_hex(std::string(63, '1') + "g").code(), ErrorCode::kBadEncoding);
}

TEST(Scalar, ArithmeticMatchesBignum) {
  DeterministicRandom rng(as_bytes("scalar-arith"));
  BN_CTX* ctx = BN_CTX_new();
  for (int i = 0; i < 200; ++i) {
    Scalar a = Scalar::random_nonzero(rng), b = Scalar::random_nonzero(rng);
    BIGNUM* ab = BN_bin2bn(a.bytes().data(), 32, nullptr);
    BIGNUM* bb = BN_bin2bn(b.bytes().data(), 32, nullptr);
    BIGNUM* r = BN_new();
    unsigned char buf[32];
    BN_mod_mul(r, ab, bb, sm2_order(), ctx);
    BN_bn2binpad(r, buf, 32);
    EXPECT_EQ((a * b).to_hex(), to_hex(ByteView(buf, 32)));
    BN_mod_add(r, ab, bb, sm2_order(), ctx);
    BN_bn2binpad(r, buf, 32);
    EXPECT_EQ((a + b).to_hex(), to_hex(ByteView(buf, 32)));
    BN_mod_sub(r, ab, bb, sm2_order(), ctx);
    BN_bn2binpad(r, buf, 32);
    EXPECT_EQ((a - b).to_hex(), to_hex(ByteView(buf, 32)));
    BN_mod_inverse(r, ab, sm2_order(), ctx);
    BN_bn2binpad(r, buf, 32);
    EXPECT_EQ(ok_value(a.inverse()).to_hex(), to_hex(ByteView(buf, 32)));
    EXPECT_TRUE((a * ok_value(a.inverse())) == Scalar::one());
    EXPECT_TRUE((a + a.negate()).is_zero());
    BN_free(ab); BN_free(bb); BN_free(r);
  }
  BN_CTX_free(ctx);
}

TEST(Scalar, InverseOfZeroIsAnError) { EXPECT_EQ(Scalar::zero().inverse().code(), ErrorCode::kBadScalar); }

TEST(Scalar, ReduceWideInput) {
  Bytes wide(64, 0xff);
  Scalar s = Scalar::reduce(wide);
  EXPECT_FALSE(s.is_zero());
  Bytes n = ok_value(from_hex(order_hex()));
  EXPECT_TRUE(Scalar::reduce(n).is_zero());
}

// ---- The native arithmetic (sm2_scalar.cc) against OpenSSL BIGNUM --------------

// BIGNUM ↔ 32-byte big-endian, for the reference computations only.
struct Bn {
  BIGNUM* b = BN_new();
  Bn() = default;
  explicit Bn(ByteView be) { BN_bin2bn(be.data(), static_cast<int>(be.size()), b); }
  Bn(const Bn&) = delete;
  Bn& operator=(const Bn&) = delete;
  ~Bn() { BN_free(b); }
  std::string hex32() const {
    unsigned char buf[32];
    EXPECT_EQ(BN_bn2binpad(b, buf, 32), 32);
    return to_hex(ByteView(buf, 32));
  }
};

Scalar must_hex(std::string_view hex) {
  auto s = Scalar::from_hex(hex);
  EXPECT_TRUE(s.ok()) << hex;
  return s.ok() ? *s : Scalar::zero();
}

std::string n_minus_1_hex() { return "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122"; }

// Every operation on (a, b) compared with BIGNUM.
void expect_matches_bignum(const Scalar& a, const Scalar& b, BN_CTX* ctx) {
  Bn ab(a.bytes()), bb(b.bytes()), r;
  ASSERT_EQ(BN_mod_add(r.b, ab.b, bb.b, sm2_order(), ctx), 1);
  EXPECT_EQ((a + b).to_hex(), r.hex32()) << a.to_hex() << " + " << b.to_hex();
  ASSERT_EQ(BN_mod_sub(r.b, ab.b, bb.b, sm2_order(), ctx), 1);
  EXPECT_EQ((a - b).to_hex(), r.hex32()) << a.to_hex() << " - " << b.to_hex();
  ASSERT_EQ(BN_mod_mul(r.b, ab.b, bb.b, sm2_order(), ctx), 1);
  EXPECT_EQ((a * b).to_hex(), r.hex32()) << a.to_hex() << " * " << b.to_hex();
  Bn zero;
  ASSERT_EQ(BN_mod_sub(r.b, zero.b, ab.b, sm2_order(), ctx), 1);
  EXPECT_EQ(a.negate().to_hex(), r.hex32()) << "-" << a.to_hex();
  if (!a.is_zero()) {
    ASSERT_NE(BN_mod_inverse(r.b, ab.b, sm2_order(), ctx), nullptr);
    auto inv = a.inverse();
    ASSERT_TRUE(inv.ok());
    EXPECT_EQ(inv->to_hex(), r.hex32()) << "1/" << a.to_hex();
  }
  // to_hex is our own constant-time encoder: same text as the generic one.
  EXPECT_EQ(a.to_hex(), to_hex(a.bytes()));
}

TEST(ScalarNative, EdgeCasesMatchBignum) {
  BN_CTX* ctx = BN_CTX_new();
  const std::vector<Scalar> edge = {
      Scalar::zero(), Scalar::one(), Scalar::from_u64(2), Scalar::from_u64(~uint64_t{0}), must_hex(n_minus_1_hex()),
      must_hex("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54121"),  // n − 2
      must_hex("7fffffff7fffffffffffffffffffffffb901efb590e30295a9ddfa049ceaa091"),  // (n − 1) / 2
      must_hex("8000000000000000000000000000000000000000000000000000000000000000"),  // 2^255
      must_hex("00000000000000000000000000000000ffffffffffffffffffffffffffffffff"),
      must_hex("0000000100000000000000000000000000000000000000000000000000000000"),
  };
  for (const Scalar& a : edge) {
    for (const Scalar& b : edge) expect_matches_bignum(a, b, ctx);
  }
  BN_CTX_free(ctx);
}

TEST(ScalarNative, KnownAnswers) {
  const Scalar nm1 = must_hex(n_minus_1_hex());
  // (n − 1)² = 1, so n − 1 is its own inverse; −1 = n − 1.
  EXPECT_EQ((nm1 * nm1).to_hex(), Scalar::one().to_hex());
  EXPECT_EQ(ok_value(nm1.inverse()).to_hex(), n_minus_1_hex());
  EXPECT_EQ(Scalar::one().negate().to_hex(), n_minus_1_hex());
  EXPECT_TRUE(Scalar::zero().negate().is_zero());
  EXPECT_EQ(ok_value(Scalar::one().inverse()).to_hex(), Scalar::one().to_hex());
  // 2⁻¹ = (n + 1) / 2.
  EXPECT_EQ(ok_value(Scalar::from_u64(2).inverse()).to_hex(), "7fffffff7fffffffffffffffffffffffb901efb590e30295a9ddfa049ceaa092");
  // (n − 1) + (n − 1) = n − 2; 0 − 1 = n − 1.
  EXPECT_EQ((nm1 + nm1).to_hex(), "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54121");
  EXPECT_EQ((Scalar::zero() - Scalar::one()).to_hex(), n_minus_1_hex());
  // 2^512 − 1 mod n (64 bytes of 0xff), from Python: (2**512 - 1) % n.
  EXPECT_EQ(Scalar::reduce(Bytes(64, 0xff)).to_hex(),
            "1eb5e412a22b3d3b620fc84c3affe0d43464504ade6fa2fa901192af7c114f1f");
  // 2^256 mod n (33 bytes: 01 followed by zeros).
  Bytes pow256(33, 0);
  pow256[0] = 1;
  EXPECT_EQ(Scalar::reduce(pow256).to_hex(), "000000010000000000000000000000008dfc2094de39fad4ac440bf6c62abedd");
  EXPECT_TRUE(Scalar::reduce(ByteView()).is_zero());
}

TEST(ScalarNative, FromBytesRejectsEverythingFromN) {
  Bytes n = ok_value(from_hex(order_hex()));
  EXPECT_EQ(Scalar::from_bytes(n).code(), ErrorCode::kBadScalar);
  Bytes above = n;
  above[31] = 0x24;  // n + 1
  EXPECT_EQ(Scalar::from_bytes(above).code(), ErrorCode::kBadScalar);
  Bytes top(32, 0xff);  // 2^256 − 1
  EXPECT_EQ(Scalar::from_bytes(top).code(), ErrorCode::kBadScalar);
  Bytes below = n;
  below[31] = 0x22;  // n − 1
  ASSERT_TRUE(Scalar::from_bytes(below).ok());
  EXPECT_EQ(ok_value(Scalar::from_bytes(below)).to_hex(), n_minus_1_hex());
  EXPECT_EQ(Scalar::from_bytes(Bytes(31, 0)).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(Scalar::from_bytes(Bytes(33, 0)).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(Scalar::from_bytes_nonzero(Bytes(32, 0)).code(), ErrorCode::kBadScalar);
  // Values between n and 2^256, drawn at random: every one refused.
  DeterministicRandom rng(as_bytes("scalar-above-n"));
  for (int i = 0; i < 200; ++i) {
    Bytes v = n;
    Bytes noise(16);
    rng.fill(noise);
    std::copy(noise.begin(), noise.end(), v.begin() + 16);  // random low half
    v[3] = 0xff;  // top word ffffffff > n's fffffffe, so v > n whatever the rest
    EXPECT_EQ(Scalar::from_bytes(v).code(), ErrorCode::kBadScalar) << to_hex(v);
  }
}

TEST(ScalarNative, HexParsingIsStrictAndCaseInsensitive) {
  const std::string upper = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54122";
  ASSERT_TRUE(Scalar::from_hex(upper).ok());
  EXPECT_EQ(ok_value(Scalar::from_hex(upper)).to_hex(), n_minus_1_hex());
  for (char bad : std::string("gG/:@`' \x80\xff")) {
    for (size_t pos : {size_t{0}, size_t{1}, size_t{37}, size_t{63}}) {
      std::string h = n_minus_1_hex();
      h[pos] = bad;
      EXPECT_EQ(Scalar::from_hex(h).code(), ErrorCode::kBadEncoding) << h;
    }
  }
  // Every byte value round-trips through to_hex / from_hex.
  for (int v = 0; v < 256; ++v) {
    Bytes b(32, 0);
    b[31] = static_cast<uint8_t>(v);
    b[0] = static_cast<uint8_t>(v & 0x7f);
    Scalar s = ok_value(Scalar::from_bytes(b));
    EXPECT_EQ(s.to_hex(), to_hex(b));
    EXPECT_TRUE(ok_value(Scalar::from_hex(s.to_hex())) == s);
  }
}

TEST(ScalarNative, RandomizedAgainstBignum) {
  DeterministicRandom rng(as_bytes("scalar-native-vs-bignum"));
  BN_CTX* ctx = BN_CTX_new();
  for (int i = 0; i < 2000; ++i) {
    // Uniform scalars, and some with long runs of zero or one bits (carry paths).
    Bytes raw(64);
    rng.fill(raw);
    Scalar a = Scalar::reduce(ByteView(raw.data(), 64));
    Scalar b = Scalar::reduce(ByteView(raw.data(), 32));
    if (i % 4 == 1) a = a * Scalar::from_u64(uint64_t{1} << (i % 64));
    if (i % 4 == 2) b = Scalar::zero() - Scalar::from_u64(raw[0]);
    expect_matches_bignum(a, b, ctx);
  }
  BN_CTX_free(ctx);
}

TEST(ScalarNative, ReduceAnyLengthMatchesBignum) {
  DeterministicRandom rng(as_bytes("scalar-reduce"));
  BN_CTX* ctx = BN_CTX_new();
  for (size_t len = 0; len <= 130; ++len) {
    for (int rep = 0; rep < 8; ++rep) {
      Bytes in(len);
      rng.fill(in);
      if (rep == 1) std::fill(in.begin(), in.end(), 0xff);
      if (rep == 2) std::fill(in.begin(), in.end(), 0x00);
      Bn x(in), r;
      ASSERT_EQ(BN_nnmod(r.b, x.b, sm2_order(), ctx), 1);
      EXPECT_EQ(Scalar::reduce(in).to_hex(), r.hex32()) << "len " << len << " " << to_hex(in);
    }
  }
  BN_CTX_free(ctx);
}

TEST(DeterministicRandom, IsReproducible) {
  DeterministicRandom a(as_bytes("x")), b(as_bytes("x")), c(as_bytes("y"));
  Bytes x(100), y(100), z(100);
  a.fill(x); b.fill(y); c.fill(z);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

}  // namespace
}  // namespace duet::crypto
