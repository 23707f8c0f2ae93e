// The monthly SLA report (issue 5 §2, docs/sla.md), computed from the
// per-minute rows of core/availability.h. Pure functions; SlaService
// (core/sla_service.h) reads the store and calls them.
//
// Rules: the minutes are judged by core/availability_rule.h (§4.3: the
// signing and certificate services separately and summed, a minute available
// when >= 90 % of the tenants active in it (and the probe) got normal
// answers, exclusions). Here: the calendar, months, and which maintenance
// windows are excluded — a window (or fault drill) is excluded only when it
// was announced at least `notice_working_days` (3) whole working days ahead:
// the working days strictly between the local date of announced_at and the
// local date of starts_at (Mon–Fri, minus configured holidays, plus
// configured working weekend days) must be >= 3. Announced Monday, starting
// Friday: Tue, Wed, Thu = 3, excluded; starting Thursday: 2, counted normally.
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
  int64_t unavailable_minutes = 0;      // signing + certificate (a minute both were down counts twice)
  int64_t signing_unavailable_minutes = 0;
  int64_t certificate_unavailable_minutes = 0;
  int64_t excluded_minutes = 0;       // excluded for both services (maintenance, excluded incidents)
  int64_t unrecorded_minutes = 0;     // of the unavailable ones: no record at all
  int64_t traffic_minutes = 0;        // some tenant took part
  int64_t probe_minutes = 0;          // decided by the probe alone (or the service's other traffic)
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

// The minutes are judged by core/availability_rule.h (§4.3: two services,
// tenants served normally, exclusions).

}  // namespace duet::core
