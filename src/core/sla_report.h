// The monthly SLA report (issue 5 §2, docs/sla.md), computed from the
// per-minute rows of core/availability.h. Pure functions; SlaService
// (core/sla_service.h) reads the store and calls them.
//
// Rules (one minute at a time, inside the report period):
//  - A minute inside an EXCLUDED maintenance window counts neither way (and
//    ends an outage run). A window is excluded only when it was announced at
//    least `notice_working_days` (3) whole working days ahead: the working
//    days strictly between the local date of announced_at and the local date
//    of starts_at (Mon–Fri, minus configured holidays, plus configured
//    working weekend days) must be >= 3. Announced Monday, starting Friday:
//    Tue, Wed, Thu = 3, excluded; starting Thursday: 2, counted normally.
//  - A minute with no service row at all inside the service's recorded
//    lifetime (from its first recorded minute on) is UNAVAILABLE: nothing
//    answered and nothing probed, so the service was down.
//  - A minute with traffic (of the tenant, or of anyone for the service
//    report) is unavailable when normal / requests < 90 %.
//  - A minute without such traffic is decided by the service's own probe:
//    available when probes_ok / (probes_ok + probes_failed) >= 90 %; with no
//    probe in that minute, by the service's traffic (a tenant without
//    traffic in a minute where others were served normally); else unavailable.
//  - availability = available / (available + unavailable); the longest
//    outage is the longest run of consecutive unavailable minutes; average
//    and maximum processing time over the requests counted (excluded minutes
//    left out); compared with 99.95 %, 100 ms and 3 s.
// Dates (months, working days) are local dates at a fixed UTC offset
// (default +08:00, China Standard Time, no daylight saving).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/civil_time.h"
#include "base/result.h"
#include "store/sla_records.h"

namespace duet::core {

using UnixSeconds = int64_t;

// Day numbers of civil dates (base/civil_time.h), also reachable as core::.
using ::duet::civil_from_days;
using ::duet::days_from_civil;
// "YYYY-MM-DD" → day number; kInvalidArgument when malformed.
Result<int64_t> parse_date(std::string_view text);

struct SlaCalendar {
  int utc_offset_minutes = 480;
  std::set<int64_t> holidays;          // day numbers that are not working days
  std::set<int64_t> working_weekends;  // Saturdays/Sundays that are working days (调休)

  int64_t local_day(UnixSeconds t) const;
  bool is_working_day(int64_t day) const;
  // Working days strictly between the local dates of `from` and `to`.
  int64_t working_days_between(UnixSeconds from, UnixSeconds to) const;
};

struct MonthRange {
  std::string month;  // "YYYY-MM"
  UnixSeconds from = 0;
  UnixSeconds to = 0;  // exclusive
};
// The local month "YYYY-MM" as [from, to) in Unix seconds.
Result<MonthRange> month_range(std::string_view month, int utc_offset_minutes);
// The month (local) that contains `t`.
std::string month_of(UnixSeconds t, int utc_offset_minutes);

// Is the window excluded from the SLA (announced early enough)?
bool window_excluded(const SlaCalendar& cal, const store::MaintenanceWindow& w, int notice_working_days = 3);

struct SlaTargets {
  int64_t availability_bp = 9995;  // 99.95 % in basis points of a percent (1/100 %)
  double avg_ms = 100;
  double max_ms = 3000;
};

struct SlaFigures {
  UnixSeconds from = 0, to = 0;  // the minutes evaluated: [from, to)
  int64_t available_minutes = 0;
  int64_t unavailable_minutes = 0;
  int64_t excluded_minutes = 0;       // in excluded maintenance windows
  int64_t unrecorded_minutes = 0;     // of the unavailable ones: no record at all
  int64_t traffic_minutes = 0;        // decided by traffic
  int64_t probe_minutes = 0;          // decided by the probe (or the service's traffic)
  int64_t longest_outage_minutes = 0;
  UnixSeconds longest_outage_start = 0;  // 0 when there was no outage
  int64_t requests = 0;
  int64_t normal = 0;
  double avg_ms = 0;
  double max_ms = 0;
  double availability_pct = 100;  // 100 when no minute was counted

  // Exact comparisons (integers): available * 10000 >= bp * counted.
  bool availability_at_least(int64_t bp) const;
  // available * 10000 > bp * counted (false when no minute was counted).
  bool availability_above(int64_t bp) const;
  int64_t counted_minutes() const { return available_minutes + unavailable_minutes; }
};

// Evaluates the minutes [from, to) (both multiples of 60). `own` are the
// rows being judged (a tenant's, or the service's when for_service),
// `service` the service rows (probes, lifetime), both sorted by minute and
// inside [from, to). `excluded` the excluded windows.
SlaFigures evaluate_minutes(UnixSeconds from, UnixSeconds to, const std::vector<store::AvailabilityMinute>& own,
                            const std::vector<store::AvailabilityMinute>& service,
                            const std::vector<store::MaintenanceWindow>& excluded, bool for_service);

}  // namespace duet::core
