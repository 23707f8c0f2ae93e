#include "core/signin_throttle.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace duet::core {
namespace {

TEST(SignInThrottle, PerAddressWindowsAreFixedMinutes) {
  SignInThrottle t({/*max_concurrent=*/0, /*per_address_per_minute=*/3, /*max_addresses=*/100});
  const UnixSeconds t0 = 60 * UnixSeconds{29'416'666} + 20;  // 20 s into a minute
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(t.admit("192.0.2.1", t0).ok()) << i;
  auto fourth = t.admit("192.0.2.1", t0 + 1);
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.code(), ErrorCode::kRateLimited);
  EXPECT_EQ(SignInThrottle::retry_after(t0), 40);
  EXPECT_TRUE(t.admit("192.0.2.2", t0 + 1).ok()) << "another address has its own window";
  EXPECT_TRUE(t.admit("192.0.2.1", t0 + 40).ok()) << "the next minute starts afresh";
}

TEST(SignInThrottle, ConcurrencyIsBoundedAndSlotsComeBack) {
  SignInThrottle t({/*max_concurrent=*/2, /*per_address_per_minute=*/0, /*max_addresses=*/100});
  const UnixSeconds now = 1'765'000'000;
  std::optional<SignInThrottle::Slot> a, b;
  {
    auto r = t.admit("192.0.2.1", now);
    ASSERT_TRUE(r.ok());
    a.emplace(std::move(r).value());
  }
  {
    auto r = t.admit("192.0.2.2", now);
    ASSERT_TRUE(r.ok());
    b.emplace(std::move(r).value());
  }
  auto third = t.admit("192.0.2.3", now);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(is_signin_busy(third.error()));
  a.reset();  // one check done
  EXPECT_TRUE(t.admit("192.0.2.3", now).ok());
}

TEST(SignInThrottle, TheAddressTableIsBounded) {
  SignInThrottle t({0, 1, /*max_addresses=*/4});
  const UnixSeconds now = 1'765'000'000;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(t.admit("198.51.100." + std::to_string(i), now).ok());
  // Full of current windows: a new address still gets in (the table starts
  // afresh), and the addresses seen before are counted again from zero.
  EXPECT_TRUE(t.admit("203.0.113.9", now).ok());
  EXPECT_TRUE(t.admit("198.51.100.0", now).ok());
  EXPECT_FALSE(t.admit("198.51.100.0", now).ok());
}

}  // namespace
}  // namespace duet::core
