#include "base/bytes.h"

#include <gtest/gtest.h>

namespace duet {
namespace {

TEST(Hex, RoundTrip) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(b), "0001abff");
  auto back = from_hex("0001ABff");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
}

TEST(Hex, RejectsMalformed) {
  EXPECT_EQ(from_hex("abc").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(from_hex("zz").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(from_hex_exact("0011", 3).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(from_hex_exact("001122", 2).code(), ErrorCode::kBadEncoding);
  EXPECT_TRUE(from_hex_exact("001122", 3).ok());
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  Bytes a = {1, 2, 3}, b = {1, 2, 3}, c = {1, 2, 4}, d = {1, 2};
  EXPECT_TRUE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, c));
  EXPECT_FALSE(constant_time_equal(a, d));
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes s(ByteView(Bytes{9, 9}));
  SecretBytes t = std::move(s);
  EXPECT_EQ(t.size(), 2u);
  SecretBytes u = t.clone();
  EXPECT_TRUE(constant_time_equal(u.view(), t.view()));
}

TEST(ErrorCode, NamesAreSnakeCase) {
  EXPECT_EQ(error_code_name(ErrorCode::kBadPoint), "bad_point");
  EXPECT_EQ(error_code_name(ErrorCode::kSignatureInvalid), "signature_invalid");
  EXPECT_EQ((Error{ErrorCode::kBadProof, "x"}).to_string(), "bad_proof: x");
}

}  // namespace
}  // namespace duet
