#include "base/result_testing.h"
#include "crypto/point.h"

#include <gtest/gtest.h>

namespace duet::crypto {
namespace {

using ::duet::testing_support::ok_value;

TEST(Point, GeneratorRoundTrips) {
  const Point& g = Point::generator();
  auto back = Point::from_sec1(g.to_sec1());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == g);
  EXPECT_EQ(g.to_hex().substr(0, 2), "04");
}

TEST(Point, RejectsMalformedEncodings) {
  Point::Encoded g = Point::generator().to_sec1();
  // Off the curve: change one bit of y.
  Point::Encoded off = g;
  off[64] ^= 1;
  EXPECT_EQ(Point::from_sec1(off).code(), ErrorCode::kBadPoint);
  // Compressed or hybrid prefixes, and the infinity encoding.
  Point::Encoded comp = g;
  comp[0] = 0x02;
  EXPECT_EQ(Point::from_sec1(comp).code(), ErrorCode::kBadPoint);
  EXPECT_EQ(Point::from_sec1(Bytes{0x00}).code(), ErrorCode::kBadEncoding);
  Bytes zeros(65, 0);
  zeros[0] = 0x04;
  EXPECT_EQ(Point::from_sec1(zeros).code(), ErrorCode::kBadPoint);
  // Truncated and oversized.
  EXPECT_EQ(Point::from_sec1(ByteView(g.data(), 64)).code(), ErrorCode::kBadEncoding);
  Bytes big(g.begin(), g.end());
  big.push_back(0);
  EXPECT_EQ(Point::from_sec1(big).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(Point::from_hex(Point::generator().to_hex() + "00").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(Point::from_hex("zz" + Point::generator().to_hex().substr(2)).code(), ErrorCode::kBadEncoding);
}

TEST(Point, ArithmeticIsConsistent) {
  DeterministicRandom rng(as_bytes("point-arith"));
  for (int i = 0; i < 20; ++i) {
    Scalar a = Scalar::random_nonzero(rng), b = Scalar::random_nonzero(rng);
    Point ag = ok_value(Point::mul_base(a));
    Point bg = ok_value(Point::mul_base(b));
    // a·G + b·G = (a+b)·G
    EXPECT_TRUE(ok_value(ag.add(bg)) == ok_value(Point::mul_base(a + b)));
    // b·(a·G) = (ab)·G
    EXPECT_TRUE(ok_value(ag.mul(b)) == ok_value(Point::mul_base(a * b)));
    // public_mul_add(a, b, G) = (a + b)·G
    EXPECT_TRUE(ok_value(Point::public_mul_add(a, b, Point::generator())) == ok_value(Point::mul_base(a + b)));
    EXPECT_TRUE(ok_value(ag.sub(bg)) == ok_value(Point::mul_base(a - b)));
  }
}

TEST(Point, InfinityIsNeverAPoint) {
  Scalar a = Scalar::from_u64(7);
  Point p = ok_value(Point::mul_base(a));
  EXPECT_EQ(p.sub(p).code(), ErrorCode::kBadPoint);
  EXPECT_EQ(Point::mul_base(Scalar::zero()).code(), ErrorCode::kBadScalar);
  EXPECT_EQ(p.mul(Scalar::zero()).code(), ErrorCode::kBadScalar);
  EXPECT_EQ(Point::public_mul_add(a, a.negate(), Point::generator()).code(), ErrorCode::kBadPoint);
}

}  // namespace
}  // namespace duet::crypto
