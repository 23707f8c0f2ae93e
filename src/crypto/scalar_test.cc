#include "crypto/scalar.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include "crypto/openssl_util.h"

namespace duet::crypto {
namespace {

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
    EXPECT_EQ(a.inverse()->to_hex(), to_hex(ByteView(buf, 32)));
    EXPECT_TRUE((a * *a.inverse()) == Scalar::one());
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
  Bytes n = *from_hex(order_hex());
  EXPECT_TRUE(Scalar::reduce(n).is_zero());
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
