#include "server/sla_config.h"

#include <cmath>
#include <toml++/toml.h>

namespace duet::server {

namespace {

Unexpected bad(std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); }

Result<int64_t> int_of(const toml::node& n, const std::string& name) {
  auto v = n.value<int64_t>();
  if (!n.is_integer() || !v) return bad(name + " must be an integer");
  return *v;
}

Result<double> number_of(const toml::node& n, const std::string& name) {
  if (n.is_integer()) return static_cast<double>(*n.value<int64_t>());
  if (n.is_floating_point()) return *n.value<double>();
  return bad(name + " must be a number");
}

Status read_dates(const toml::node& n, const std::string& name, std::set<int64_t>& out) {
  const toml::array* a = n.as_array();
  if (!a) return bad(name + " must be an array of \"YYYY-MM-DD\" strings");
  for (const auto& e : *a) {
    auto s = e.value<std::string>();
    if (!e.is_string() || !s) return bad(name + " must be an array of \"YYYY-MM-DD\" strings");
    DUET_ASSIGN_OR_RETURN(int64_t day, core::parse_date(*s));
    out.insert(day);
  }
  return Status::Ok();
}

template <typename Tier, typename F>
Status read_tiers(const toml::node& n, const std::string& name, std::vector<Tier>& out, F value) {
  const toml::array* a = n.as_array();
  if (!a) return bad(name + " must be an array of tables");
  out.clear();
  for (const auto& e : *a) {
    const toml::table* t = e.as_table();
    if (!t) return bad(name + " must be an array of tables");
    Tier tier;
    int seen = 0;
    for (const auto& [k, v] : *t) {
      std::string key(k.str());
      std::string full = name + "." + key;
      if (key == "min_quantity") {
        DUET_ASSIGN_OR_RETURN(tier.min_quantity, int_of(v, full));
      } else if (key == "band_a" || key == "band_b" || key == "band_c") {
        size_t i = static_cast<size_t>(key.back() - 'a');
        DUET_TRY_STATUS(value(v, full, tier, i));
        ++seen;
      } else {
        return bad(name + ": unknown key '" + key + "'");
      }
    }
    if (seen != 3) return bad(name + ": every tier needs band_a, band_b and band_c");
    out.push_back(tier);
  }
  return Status::Ok();
}

}  // namespace

Status parse_sla_config(std::string_view toml_text, core::SlaConfig& sla, core::LimitsConfig& limits) {
  try {
    toml::table root = toml::parse(toml_text);
    if (const toml::node* n = root.get("sla")) {
      const toml::table* t = n->as_table();
      if (!t) return bad("[sla] must be a table");
      for (const auto& [k, v] : *t) {
        std::string key(k.str());
        std::string full = "sla." + key;
        if (key == "utc_offset_minutes") {
          DUET_ASSIGN_OR_RETURN(int64_t x, int_of(v, full));
          if (x < -14 * 60 || x > 14 * 60) return bad(full + " must be -840..840");
          sla.calendar.utc_offset_minutes = static_cast<int>(x);
        } else if (key == "notice_working_days") {
          DUET_ASSIGN_OR_RETURN(int64_t x, int_of(v, full));
          if (x < 0 || x > 60) return bad(full + " must be 0..60");
          sla.notice_working_days = static_cast<int>(x);
        } else if (key == "holidays") {
          DUET_TRY_STATUS(read_dates(v, full, sla.calendar.holidays));
        } else if (key == "working_weekends") {
          DUET_TRY_STATUS(read_dates(v, full, sla.calendar.working_weekends));
        } else if (key == "flush_interval_ms") {
          DUET_ASSIGN_OR_RETURN(sla.flush_interval_ms, int_of(v, full));
          if (sla.flush_interval_ms < 50 || sla.flush_interval_ms > 60000) return bad(full + " must be 50..60000");
        } else if (key == "probe_interval_seconds") {
          DUET_ASSIGN_OR_RETURN(sla.probe_interval_seconds, int_of(v, full));
          if (sla.probe_interval_seconds != 60) return bad(full + " must be 60 (one probe per minute)");
        } else if (key == "signature_tiers") {
          DUET_TRY_STATUS(read_tiers(v, full, sla.table.signature_tiers,
                                     [](const toml::node& x, const std::string& f, core::SignatureTier& tier,
                                        size_t i) -> Status {
                                       DUET_ASSIGN_OR_RETURN(double pct, number_of(x, f));
                                       tier.basis_points[i] = static_cast<int64_t>(std::llround(pct * 100.0));
                                       return Status::Ok();
                                     }));
        } else if (key == "day_tiers") {
          DUET_TRY_STATUS(read_tiers(v, full, sla.table.day_tiers,
                                     [](const toml::node& x, const std::string& f, core::DaysTier& tier,
                                        size_t i) -> Status {
                                       DUET_ASSIGN_OR_RETURN(tier.days[i], int_of(x, f));
                                       return Status::Ok();
                                     }));
        } else {
          return bad("sla: unknown key '" + key + "'");
        }
      }
      DUET_TRY_STATUS(sla.table.validate());
    }
    if (const toml::node* n = root.get("limits")) {
      const toml::table* t = n->as_table();
      if (!t) return bad("[limits] must be a table");
      for (const auto& [k, v] : *t) {
        std::string key(k.str());
        std::string full = "limits." + key;
        if (key == "sandbox_requests_per_second") {
          DUET_ASSIGN_OR_RETURN(limits.sandbox_requests_per_second, int_of(v, full));
          if (limits.sandbox_requests_per_second < 0) return bad(full + " must be >= 0 (0: no limit)");
        } else if (key == "refresh_seconds") {
          DUET_ASSIGN_OR_RETURN(limits.refresh_seconds, int_of(v, full));
          if (limits.refresh_seconds < 1 || limits.refresh_seconds > 3600) return bad(full + " must be 1..3600");
        } else {
          return bad("limits: unknown key '" + key + "'");
        }
      }
    }
  } catch (const toml::parse_error& e) {
    return bad(std::string("config: ") + std::string(e.description()));
  }
  return Status::Ok();
}

}  // namespace duet::server
