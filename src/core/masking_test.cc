// Masking of personal data as the SLA describes it (core/masking.h).
#include <gtest/gtest.h>
#include "base/result_testing.h"
#include "core/masking.h"

namespace duet::core {
namespace {

TEST(Masking, AsTheSlaSays) {
  EXPECT_EQ(mask_name("张三"), "张*");
  EXPECT_EQ(mask_id_number("110101199003071234"), "1101**********1234");
  EXPECT_EQ(mask_phone("13812345678"), "138****5678");
  EXPECT_EQ(mask_phone("123"), "***");
}

}  // namespace
}  // namespace duet::core
