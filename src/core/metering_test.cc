// The pure rules of metering (core/metering.h): package periods, kind names
// and a package's state at a moment. The quota consumption through the store
// is tested by the store contract suite on both backends.
#include <gtest/gtest.h>

#include "base/civil_time.h"
#include "core/metering.h"

namespace duet::core {
namespace {

UnixSeconds utc(int64_t y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return days_from_civil(y, m, d) * 86'400 + hh * 3600 + mm * 60 + ss;
}

TEST(Metering, OneYearAfterKeepsTheUtcDateAndTime) {
  EXPECT_EQ(one_year_after(utc(2026, 6, 15, 10, 30, 5)), utc(2027, 6, 15, 10, 30, 5));
  EXPECT_EQ(one_year_after(utc(2028, 2, 29, 23, 59, 59)), utc(2029, 3, 1, 23, 59, 59));
  EXPECT_EQ(one_year_after(utc(2027, 2, 28)), utc(2028, 2, 28));
  EXPECT_EQ(one_year_after(utc(2026, 12, 31, 23, 59, 59)), utc(2027, 12, 31, 23, 59, 59));
}

TEST(Metering, PackageKindNamesRoundTrip) {
  for (auto k : {store::PackageKind::kPerSignature, store::PackageKind::kPerUser, store::PackageKind::kUnlimited}) {
    auto back = parse_package_kind(package_kind_name(k));
    ASSERT_TRUE(back.has_value()) << package_kind_name(k);
    EXPECT_EQ(*back, k);
  }
  EXPECT_EQ(package_kind_name(store::PackageKind::kPerUser), "per_user");
  EXPECT_FALSE(parse_package_kind("per-signature").has_value());
  EXPECT_FALSE(parse_package_kind("").has_value());
}

TEST(Metering, PackageStateAtAMoment) {
  store::Package p;
  p.kind = store::PackageKind::kPerSignature;
  p.quantity = 10'000;
  p.used = 9'999;
  p.starts_at = utc(2026, 6, 1);
  p.expires_at = utc(2027, 6, 1);
  auto scheduled = package_state(p, p.starts_at - 1);
  EXPECT_EQ(scheduled.status, "scheduled");
  EXPECT_EQ(scheduled.remaining, std::optional<int64_t>(0));
  auto active = package_state(p, p.starts_at);
  EXPECT_EQ(active.status, "active");
  EXPECT_EQ(active.remaining, std::optional<int64_t>(1));
  p.used = 10'000;
  EXPECT_EQ(package_state(p, p.starts_at).status, "exhausted");
  auto ended = package_state(p, p.expires_at);
  EXPECT_EQ(ended.status, "ended");
  EXPECT_EQ(ended.remaining, std::optional<int64_t>(0));
  p.kind = store::PackageKind::kUnlimited;
  p.quantity = 0;
  auto unlimited = package_state(p, p.starts_at);
  EXPECT_EQ(unlimited.status, "active");
  EXPECT_FALSE(unlimited.remaining.has_value());
}

}  // namespace
}  // namespace duet::core
