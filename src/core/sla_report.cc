#include "core/sla_report.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace duet::core {

namespace {

bool parse_uint(std::string_view s, unsigned& out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<int64_t> parse_date(std::string_view text) {
  unsigned y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !parse_uint(text.substr(0, 4), y) ||
      !parse_uint(text.substr(5, 2), m) || !parse_uint(text.substr(8, 2), d) || m < 1 || m > 12 || d < 1 || d > 31)
    return make_error(ErrorCode::kInvalidArgument, "a date must be YYYY-MM-DD");
  int64_t day = days_from_civil(y, m, d);
  int64_t yy;
  unsigned mm, dd;
  civil_from_days(day, yy, mm, dd);
  if (mm != m || dd != d) return make_error(ErrorCode::kInvalidArgument, "no such date");
  return day;
}

int64_t SlaCalendar::local_day(UnixSeconds t) const {
  return floor_div(t + static_cast<int64_t>(utc_offset_minutes) * 60, 86400);
}

bool SlaCalendar::is_working_day(int64_t day) const {
  // 1970-01-01 was a Thursday: weekday 0 = Monday … 6 = Sunday.
  int64_t wd = ((day % 7) + 7 + 3) % 7;
  if (wd >= 5) return working_weekends.count(day) != 0;
  return holidays.count(day) == 0;
}

int64_t SlaCalendar::working_days_between(UnixSeconds from, UnixSeconds to) const {
  int64_t n = 0;
  for (int64_t d = local_day(from) + 1; d < local_day(to); ++d)
    if (is_working_day(d)) ++n;
  return n;
}

Result<MonthRange> month_range(std::string_view month, int utc_offset_minutes) {
  unsigned y = 0, m = 0;
  if (month.size() != 7 || month[4] != '-' || !parse_uint(month.substr(0, 4), y) ||
      !parse_uint(month.substr(5, 2), m) || m < 1 || m > 12 || y < 1970)
    return make_error(ErrorCode::kInvalidArgument, "month must be YYYY-MM");
  int64_t offset = static_cast<int64_t>(utc_offset_minutes) * 60;
  MonthRange r;
  r.month = std::string(month);
  r.from = days_from_civil(y, m, 1) * 86400 - offset;
  r.to = (m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1)) * 86400 - offset;
  return r;
}

std::string month_of(UnixSeconds t, int utc_offset_minutes) {
  int64_t day = floor_div(t + static_cast<int64_t>(utc_offset_minutes) * 60, 86400);
  int64_t y;
  unsigned m, d;
  civil_from_days(day, y, m, d);
  char buf[32];  // room for any int64 year: the compiler cannot bound it
  std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(y), m);
  return buf;
}

bool window_excluded(const SlaCalendar& cal, const store::MaintenanceWindow& w, int notice_working_days) {
  if (w.announced_at >= w.starts_at) return false;
  return cal.working_days_between(w.announced_at, w.starts_at) >= notice_working_days;
}

bool SlaFigures::availability_at_least(int64_t bp) const {
  int64_t counted = counted_minutes();
  if (counted == 0) return true;
  return available_minutes * 10000 >= bp * counted;
}

bool SlaFigures::availability_above(int64_t bp) const {
  return counted_minutes() > 0 && available_minutes * 10000 > bp * counted_minutes();
}

namespace {

// 90 %: ok * 10 >= total * 9.
bool ratio_ok(int64_t good, int64_t total) { return good * 10 >= total * 9; }

}  // namespace

SlaFigures evaluate_minutes(UnixSeconds from, UnixSeconds to, const std::vector<store::AvailabilityMinute>& own,
                            const std::vector<store::AvailabilityMinute>& service,
                            const std::vector<store::MaintenanceWindow>& excluded, bool for_service) {
  SlaFigures f;
  f.from = from;
  f.to = to;
  size_t oi = 0, si = 0;
  int64_t run = 0;
  UnixSeconds run_start = 0;
  int64_t total_us = 0, max_us = 0;
  auto end_run = [&] {
    if (run > f.longest_outage_minutes) {
      f.longest_outage_minutes = run;
      f.longest_outage_start = run_start;
    }
    run = 0;
  };
  for (UnixSeconds m = from; m < to; m += 60) {
    while (oi < own.size() && own[oi].minute < m) ++oi;
    while (si < service.size() && service[si].minute < m) ++si;
    const store::AvailabilityMinute* o = (oi < own.size() && own[oi].minute == m) ? &own[oi] : nullptr;
    const store::AvailabilityMinute* s = (si < service.size() && service[si].minute == m) ? &service[si] : nullptr;
    if (for_service) o = s;

    bool in_window = std::any_of(excluded.begin(), excluded.end(),
                                 [&](const store::MaintenanceWindow& w) { return w.starts_at < m + 60 && w.ends_at > m; });
    if (in_window) {
      ++f.excluded_minutes;
      end_run();
      continue;
    }
    bool available = false;
    if (s == nullptr) {
      ++f.unrecorded_minutes;  // nothing answered, nothing probed: down
    } else if (o != nullptr && o->requests > 0) {
      ++f.traffic_minutes;
      available = ratio_ok(o->normal, o->requests);
    } else {
      ++f.probe_minutes;
      int64_t probes = s->probes_ok + s->probes_failed;
      if (probes > 0) available = ratio_ok(s->probes_ok, probes);
      else if (s->requests > 0) available = ratio_ok(s->normal, s->requests);
    }
    if (o != nullptr) {
      f.requests += o->requests;
      f.normal += o->normal;
      total_us += o->total_us;
      max_us = std::max(max_us, o->max_us);
    }
    if (available) {
      ++f.available_minutes;
      end_run();
    } else {
      ++f.unavailable_minutes;
      if (run == 0) run_start = m;
      ++run;
    }
  }
  end_run();
  f.avg_ms = f.requests > 0 ? static_cast<double>(total_us) / 1000.0 / static_cast<double>(f.requests) : 0.0;
  f.max_ms = static_cast<double>(max_us) / 1000.0;
  int64_t counted = f.counted_minutes();
  f.availability_pct = counted > 0 ? 100.0 * static_cast<double>(f.available_minutes) / static_cast<double>(counted) : 100.0;
  return f;
}

}  // namespace duet::core
