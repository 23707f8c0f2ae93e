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

}  // namespace duet::core
