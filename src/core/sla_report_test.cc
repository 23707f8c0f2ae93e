// The monthly SLA figures (core/sla_report.h): months and working days of
// the calendar, minute evaluation at the 90 % boundary and with probes.
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

TEST(SlaRulesTest, NinetyPercentBoundaryAndProbeMinutes) {
  std::vector<store::AvailabilityMinute> svc;
  auto row = [](UnixSeconds m, int64_t req, int64_t normal, int64_t ok, int64_t failed) {
    store::AvailabilityMinute r;
    r.minute = m;
    r.requests = req;
    r.normal = normal;
    r.total_us = req * 1000;
    r.max_us = req ? 5000 : 0;
    r.probes_ok = ok;
    r.probes_failed = failed;
    return r;
  };
  svc.push_back(row(0, 10, 9, 0, 0));     // 90 %: available
  svc.push_back(row(60, 10, 8, 1, 0));    // 80 %: unavailable (traffic decides, not the probe)
  svc.push_back(row(120, 0, 0, 1, 0));    // no traffic, probe ok
  svc.push_back(row(180, 0, 0, 0, 1));    // no traffic, probe failed
  // 240: no row at all: down
  svc.push_back(row(300, 1000, 900, 0, 0));
  SlaFigures f = evaluate_minutes(0, 360, svc, svc, {}, true);
  EXPECT_EQ(f.available_minutes, 3);
  EXPECT_EQ(f.unavailable_minutes, 3);
  EXPECT_EQ(f.unrecorded_minutes, 1);
  EXPECT_EQ(f.traffic_minutes, 3);
  EXPECT_EQ(f.probe_minutes, 2);
  EXPECT_EQ(f.longest_outage_minutes, 2);  // 180, 240
  EXPECT_EQ(f.longest_outage_start, 180);
  EXPECT_EQ(f.requests, 1020);
  EXPECT_DOUBLE_EQ(f.avg_ms, 1.0);
  EXPECT_DOUBLE_EQ(f.max_ms, 5.0);
  EXPECT_DOUBLE_EQ(f.availability_pct, 50.0);

  // A tenant without traffic in a minute: the service's probe decides; with
  // no probe, the service's traffic.
  std::vector<store::AvailabilityMinute> own{row(60, 5, 5, 0, 0)};
  std::vector<store::AvailabilityMinute> svc2{row(0, 10, 10, 0, 0), row(60, 10, 5, 0, 0), row(120, 0, 0, 0, 1)};
  SlaFigures t = evaluate_minutes(0, 180, own, svc2, {}, false);
  EXPECT_EQ(t.available_minutes, 2);    // 0 (service traffic normal), 60 (own traffic all normal)
  EXPECT_EQ(t.unavailable_minutes, 1);  // 120 (probe failed)
  EXPECT_EQ(t.requests, 5);
}

}  // namespace
}  // namespace duet::core
