#include "base/civil_time.h"

#include <ctime>

#include <gtest/gtest.h>

namespace duet {
namespace {

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(1969, 12, 31) == -1);

TEST(CivilTime, KnownDays) {
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(2026, 7, 21), 20655);
  EXPECT_EQ(days_from_civil(2024, 2, 29) + 1, days_from_civil(2024, 3, 1));
  EXPECT_EQ(days_from_civil(2023, 2, 28) + 1, days_from_civil(2023, 3, 1));
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);  // 1900 is not a leap year
  EXPECT_EQ(days_from_civil(0, 1, 1), -719528);
}

TEST(CivilTime, AgreesWithTimegmAndRoundTripsOverFourCenturies) {
  for (int64_t day = days_from_civil(1800, 1, 1); day <= days_from_civil(2200, 12, 31); day += 1) {
    int64_t y;
    unsigned m, d;
    civil_from_days(day, y, m, d);
    ASSERT_EQ(days_from_civil(y, m, d), day);
    if (day % 97 == 0) {  // a sample against the C library
      std::tm tm{};
      tm.tm_year = static_cast<int>(y - 1900);
      tm.tm_mon = static_cast<int>(m) - 1;
      tm.tm_mday = static_cast<int>(d);
      ASSERT_EQ(static_cast<int64_t>(::timegm(&tm)), day * 86400) << y << "-" << m << "-" << d;
    }
  }
}

TEST(CivilTime, LeapYears) {
  EXPECT_TRUE(is_leap_year(2000));
  EXPECT_TRUE(is_leap_year(2024));
  EXPECT_FALSE(is_leap_year(1900));
  EXPECT_FALSE(is_leap_year(2026));
}

}  // namespace
}  // namespace duet
