#include "base/json_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace duet {
namespace {

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonLimits, KeepsWhatNestsUpToTheLimit) {
  auto j = parse_json_bounded(nested(kMaxJsonDepth));
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j.dump(), nested(kMaxJsonDepth));
  auto o = parse_json_bounded(R"({"items":[{"proof":{"t":"04","z":"00"}}],"n":1})");
  ASSERT_FALSE(o.is_discarded());
  EXPECT_EQ(o["items"][0]["proof"]["z"], "00");
  EXPECT_EQ(o["n"], 1);
}

TEST(JsonLimits, RefusesDeeperThanTheLimit) {
  EXPECT_TRUE(parse_json_bounded(nested(kMaxJsonDepth + 1)).is_discarded());
  EXPECT_TRUE(parse_json_bounded(R"({"a":{"b":[1]}})", 2).is_discarded());
  EXPECT_FALSE(parse_json_bounded(R"({"a":{"b":1}})", 2).is_discarded());
}

// The input that crashed the server (fuzz/regress/holder_body): 100,000 levels
// parse with nlohmann but overflow the stack in dump(). Refused, not crashed.
TEST(JsonLimits, RefusesTheStackOverflowInput) {
  std::string body = R"({"code":"x","keygen":{"p1":)" + nested(100'000) + "}}";
  EXPECT_TRUE(parse_json_bounded(body).is_discarded());
}

// nlohmann stops at a NUL byte and ignores what follows; JSON never holds one.
TEST(JsonLimits, RefusesANulByte) {
  using namespace std::string_literals;
  EXPECT_TRUE(parse_json_bounded("{\"s\":\"ab\"}\0garbage{{{"s).is_discarded());
  EXPECT_TRUE(parse_json_bounded("{\"s\":\"ab\"}\0"s).is_discarded());
  EXPECT_TRUE(parse_json_bounded("{\"s\":\"a\0b\"}"s).is_discarded());
  auto escaped = parse_json_bounded(R"({"s":"a\u0000b"})");
  ASSERT_FALSE(escaped.is_discarded());
  EXPECT_EQ(escaped["s"].get<std::string>(), "a\0b"s);
}

TEST(JsonLimits, NotJsonIsDiscarded) {
  EXPECT_TRUE(parse_json_bounded("").is_discarded());
  EXPECT_TRUE(parse_json_bounded("{\"a\":").is_discarded());
  EXPECT_TRUE(parse_json_bounded("[1,2]x").is_discarded());
}

}  // namespace
}  // namespace duet
