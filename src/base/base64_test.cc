#include "base/base64.h"

#include <gtest/gtest.h>

namespace duet {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(encode_base64(as_bytes("")), "");
  EXPECT_EQ(encode_base64(as_bytes("f")), "Zg==");
  EXPECT_EQ(encode_base64(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(encode_base64(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(encode_base64(as_bytes("foob")), "Zm9vYg==");
  EXPECT_EQ(encode_base64(as_bytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(encode_base64(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(encode_base64(Bytes{0xfb, 0xff}), "+/8=");
}

TEST(Base64, DecodesCanonicalText) {
  EXPECT_EQ(*decode_base64(""), Bytes{});
  EXPECT_EQ(*decode_base64("Zg=="), Bytes({'f'}));
  EXPECT_EQ(*decode_base64("Zm8="), Bytes({'f', 'o'}));
  EXPECT_EQ(*decode_base64("Zm9vYg=="), Bytes({'f', 'o', 'o', 'b'}));
  EXPECT_EQ(*decode_base64("+/8="), Bytes({0xfb, 0xff}));
  EXPECT_EQ(*decode_base64("AAAA"), Bytes({0, 0, 0}));
}

TEST(Base64, RoundTripsEveryLength) {
  Bytes data;
  for (int i = 0; i < 64; ++i) {
    auto back = decode_base64(encode_base64(data));
    ASSERT_TRUE(back.has_value()) << i;
    EXPECT_EQ(*back, data);
    data.push_back(static_cast<uint8_t>(i * 37 + 11));
  }
}

TEST(Base64, RefusesWhatIsNotTheCanonicalText) {
  EXPECT_FALSE(decode_base64("Zm9vYg="));    // length not a multiple of 4
  EXPECT_FALSE(decode_base64("Zm9vYh=="));   // non-canonical trailing bits
  EXPECT_FALSE(decode_base64("Zm9="));       // stray bits before one '='
  EXPECT_FALSE(decode_base64("Zm9v\nYg==")); // whitespace
  EXPECT_FALSE(decode_base64("Zm9v Yg=="));
  EXPECT_FALSE(decode_base64("Zm=vYg=="));   // '=' before the end
  EXPECT_FALSE(decode_base64("Zm9-Yg=="));   // URL-safe alphabet
  EXPECT_FALSE(decode_base64("Zm9_Yg=="));
  EXPECT_FALSE(decode_base64("===="));
  EXPECT_FALSE(decode_base64("Z==="));
  EXPECT_FALSE(decode_base64(std::string_view("Zm9v\0Yg=", 8)));
}

}  // namespace
}  // namespace duet
