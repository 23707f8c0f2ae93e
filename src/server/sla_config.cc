#include "server/sla_config.h"

#include <cmath>
#include <toml++/toml.h>

#include "base/toml_keys.h"

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

// The keys of one tier table; band_a, band_b, band_c are bands 0, 1, 2.
constexpr std::string_view kTierKeys[] = {"min_quantity", "band_a", "band_b", "band_c"};

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
      size_t index = std::size(kTierKeys);
      for (size_t i = 0; i < std::size(kTierKeys); ++i)
        if (kTierKeys[i] == key) index = i;
      if (index == std::size(kTierKeys)) return bad(name + ": unknown key '" + key + "'");
      if (index == 0) {
        DUET_ASSIGN_OR_RETURN(tier.min_quantity, int_of(v, full));
      } else {
        DUET_TRY_STATUS(value(v, full, tier, index - 1));
        ++seen;
      }
    }
    if (seen != 3) return bad(name + ": every tier needs band_a, band_b and band_c");
    out.push_back(tier);
  }
  return Status::Ok();
}

using Node = const toml::node&;
using Path = const std::string&;

Status read_signature_tiers(Node v, Path full, core::SlaConfig& sla) {
  return read_tiers(v, full, sla.table.signature_tiers,
                    [](const toml::node& x, const std::string& f, core::SignatureTier& tier, size_t i) -> Status {
                      DUET_ASSIGN_OR_RETURN(double pct, number_of(x, f));
                      tier.basis_points[i] = static_cast<int64_t>(std::llround(pct * 100.0));
                      return Status::Ok();
                    });
}

Status read_day_tiers(Node v, Path full, core::SlaConfig& sla) {
  return read_tiers(v, full, sla.table.day_tiers,
                    [](const toml::node& x, const std::string& f, core::DaysTier& tier, size_t i) -> Status {
                      DUET_ASSIGN_OR_RETURN(tier.days[i], int_of(x, f));
                      return Status::Ok();
                    });
}

// [sla]: one row per accepted key (docs/configuration.md).
constexpr TomlKey<core::SlaConfig> kSlaKeys[] = {
    {"utc_offset_minutes",
     [](Node v, Path full, core::SlaConfig& sla) -> Status {
       DUET_ASSIGN_OR_RETURN(int64_t x, int_of(v, full));
       if (x < -14 * 60 || x > 14 * 60) return bad(full + " must be -840..840");
       sla.calendar.utc_offset_minutes = static_cast<int>(x);
       return Status::Ok();
     }},
    {"notice_working_days",
     [](Node v, Path full, core::SlaConfig& sla) -> Status {
       DUET_ASSIGN_OR_RETURN(int64_t x, int_of(v, full));
       if (x < 0 || x > 60) return bad(full + " must be 0..60");
       sla.notice_working_days = static_cast<int>(x);
       return Status::Ok();
     }},
    {"holidays", [](Node v, Path full, core::SlaConfig& sla) { return read_dates(v, full, sla.calendar.holidays); }},
    {"working_weekends",
     [](Node v, Path full, core::SlaConfig& sla) { return read_dates(v, full, sla.calendar.working_weekends); }},
    {"flush_interval_ms",
     [](Node v, Path full, core::SlaConfig& sla) -> Status {
       DUET_ASSIGN_OR_RETURN(sla.flush_interval_ms, int_of(v, full));
       if (sla.flush_interval_ms < 50 || sla.flush_interval_ms > 60000) return bad(full + " must be 50..60000");
       return Status::Ok();
     }},
    {"probe_interval_seconds",
     [](Node v, Path full, core::SlaConfig& sla) -> Status {
       DUET_ASSIGN_OR_RETURN(sla.probe_interval_seconds, int_of(v, full));
       if (sla.probe_interval_seconds != 60) return bad(full + " must be 60 (one probe per minute)");
       return Status::Ok();
     }},
    {"signature_tiers", read_signature_tiers},
    {"day_tiers", read_day_tiers},
};

// [limits]
constexpr TomlKey<core::LimitsConfig> kLimitsKeys[] = {
    {"sandbox_requests_per_second",
     [](Node v, Path full, core::LimitsConfig& limits) -> Status {
       DUET_ASSIGN_OR_RETURN(limits.sandbox_requests_per_second, int_of(v, full));
       if (limits.sandbox_requests_per_second < 0) return bad(full + " must be >= 0 (0: no limit)");
       return Status::Ok();
     }},
    {"refresh_seconds",
     [](Node v, Path full, core::LimitsConfig& limits) -> Status {
       DUET_ASSIGN_OR_RETURN(limits.refresh_seconds, int_of(v, full));
       if (limits.refresh_seconds < 1 || limits.refresh_seconds > 3600) return bad(full + " must be 1..3600");
       return Status::Ok();
     }},
};

}  // namespace

std::vector<std::string> sla_config_keys() {
  std::vector<std::string> out;
  append_toml_key_names<core::SlaConfig>("sla", kSlaKeys, out);
  for (std::string_view tiers : {"sla.signature_tiers[]", "sla.day_tiers[]"})
    for (std::string_view key : kTierKeys) out.push_back(std::string(tiers) + "." + std::string(key));
  append_toml_key_names<core::LimitsConfig>("limits", kLimitsKeys, out);
  return out;
}

Status parse_sla_config(std::string_view toml_text, core::SlaConfig& sla, core::LimitsConfig& limits) {
  try {
    toml::table root = toml::parse(toml_text);
    if (const toml::node* n = root.get("sla")) {
      const toml::table* t = n->as_table();
      if (!t) return bad("[sla] must be a table");
      DUET_TRY_STATUS(read_toml_table<core::SlaConfig>(*t, "sla", kSlaKeys, sla));
      DUET_TRY_STATUS(sla.table.validate());
    }
    if (const toml::node* n = root.get("limits")) {
      const toml::table* t = n->as_table();
      if (!t) return bad("[limits] must be a table");
      DUET_TRY_STATUS(read_toml_table<core::LimitsConfig>(*t, "limits", kLimitsKeys, limits));
    }
  } catch (const toml::parse_error& e) {
    return bad(std::string("config: ") + std::string(e.description()));
  }
  return Status::Ok();
}

}  // namespace duet::server
