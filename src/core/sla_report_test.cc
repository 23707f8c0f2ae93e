// The calendar of the SLA (core/sla_report.h): months and working days (the
// minute rule has its own tests: core/availability_rule_test.cc).
#include <gtest/gtest.h>

#include "core/sla_report.h"
#include "core/sla_test_fixture.h"

namespace duet::core {
namespace {

TEST(SlaCalendarTest, MonthsAndWorkingDays) {
  auto m = month_range("2026-06", kOffset);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->from, local(2026, 6, 1));
  EXPECT_EQ(m->to, local(2026, 7, 1));
  auto december = month_range("2026-12", kOffset);
  ASSERT_TRUE(december.ok());
  EXPECT_EQ(december->to, local(2027, 1, 1));
  EXPECT_FALSE(month_range("2026-13", kOffset).ok());
  EXPECT_FALSE(month_range("26-01", kOffset).ok());
  EXPECT_EQ(month_of(local(2026, 6, 30, 23, 59), kOffset), "2026-06");
  EXPECT_EQ(month_of(local(2026, 7, 1), kOffset), "2026-07");
  EXPECT_EQ(month_of(local(2026, 7, 1), 0), "2026-06");  // 16:00 UTC on 30 June

  SlaCalendar cal;
  cal.utc_offset_minutes = kOffset;
  auto day = [](const char* text) {
    auto d = parse_date(text);
    EXPECT_TRUE(d.ok()) << text;
    return d.ok() ? *d : int64_t{0};
  };
  // 2026-06-01 is a Monday.
  EXPECT_TRUE(cal.is_working_day(day("2026-06-01")));
  EXPECT_FALSE(cal.is_working_day(day("2026-06-06")));  // Saturday
  EXPECT_FALSE(cal.is_working_day(day("2026-06-07")));  // Sunday
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 1, 23, 59), local(2026, 6, 5, 0, 1)), 3);  // Tue Wed Thu
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 2, 9), local(2026, 6, 5, 2)), 2);
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 5, 9), local(2026, 6, 10, 2)), 2);  // Mon Tue over a weekend
  cal.holidays.insert(day("2026-06-03"));
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 1, 10), local(2026, 6, 5, 2)), 2);
  cal.working_weekends.insert(day("2026-06-06"));
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 5, 9), local(2026, 6, 10, 2)), 3);
  EXPECT_FALSE(parse_date("2026-02-30").ok());

}

}  // namespace
}  // namespace duet::core
