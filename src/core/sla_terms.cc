#include "core/sla_terms.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "base/json_limits.h"
#include "crypto/sm3.h"

namespace duet::core {

using json = nlohmann::json;

namespace {

Unexpected bad(std::string m) { return make_error(ErrorCode::kInvalidArgument, "sla terms: " + std::move(m)); }

Status only_keys(const json& o, std::initializer_list<std::string_view> keys, std::string_view where) {
  for (const auto& [k, v] : o.items()) {
    bool known = false;
    for (auto key : keys) known = known || k == key;
    if (!known) return bad("unknown key '" + k + "' in " + std::string(where));
  }
  for (auto key : keys)
    if (!o.contains(std::string(key))) return bad("'" + std::string(key) + "' is required in " + std::string(where));
  return Status::Ok();
}

Result<std::string> text(const json& o, const char* key) {
  const json& v = o.at(key);
  if (!v.is_string()) return bad(std::string("'") + key + "' must be a string");
  return v.get<std::string>();
}

Result<int64_t> quantity(const json& v, const char* what) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0) return bad(std::string(what) + " must be an integer >= 0");
  return v.get<int64_t>();
}

// {"A": x, "B": y, "C": z}: per band, as basis points (percent) or days.
Result<std::array<int64_t, 3>> per_band(const json& o, bool percent, std::string_view where) {
  if (!o.is_object()) return bad(std::string(where) + " must be an object with A, B and C");
  DUET_TRY_STATUS(only_keys(o, {"A", "B", "C"}, where));
  std::array<int64_t, 3> out{};
  const char* bands[] = {"A", "B", "C"};
  for (size_t i = 0; i < 3; ++i) {
    const json& v = o.at(bands[i]);
    if (percent) {
      if (!v.is_number()) return bad(std::string(where) + " values must be numbers");
      double bp = v.get<double>() * 100.0;
      double rounded = std::round(bp);
      if (std::fabs(bp - rounded) > 1e-6) return bad(std::string(where) + " percentages have at most two decimals");
      out[i] = static_cast<int64_t>(rounded);
    } else {
      DUET_ASSIGN_OR_RETURN(out[i], quantity(v, "days"));
      if (out[i] > 31) return bad("free days are at most one month (31)");
    }
  }
  return out;
}

}  // namespace

std::string_view batch_counting_name(BatchCounting b) { return b == BatchCounting::kPerOrder ? "per_order" : "per_item"; }

std::string sla_terms_digest(std::string_view document) { return to_hex(crypto::sm3(as_bytes(document))); }

SlaTerms config_terms(const CompensationTable& table) {
  SlaTerms t;
  t.table = table;
  return t;
}

Result<SlaTerms> tenant_sla_terms(store::SlaClaimStore& claims, std::string_view tenant_id,
                                  const CompensationTable& fallback) {
  DUET_ASSIGN_OR_RETURN(std::optional<store::TenantSlaTerms> pin, claims.get_tenant_sla_terms(tenant_id));
  if (!pin) return config_terms(fallback);
  DUET_ASSIGN_OR_RETURN(store::SlaTermsVersion recorded, claims.get_sla_terms(pin->version));
  Result<SlaTerms> t = parse_sla_terms(recorded.document);
  if (!t.ok()) return make_error(ErrorCode::kInternal, "a recorded SLA terms version does not parse");
  return t;
}

Result<SlaTerms> parse_sla_terms(std::string_view document) {
  if (document.size() > 64 * 1024) return bad("the document is larger than 64 KiB");
  json j = parse_json_bounded(document);
  if (j.is_discarded() || !j.is_object()) return bad("the document is not a JSON object");
  DUET_TRY_STATUS(only_keys(j,
                            {"version", "signature_percent_base", "batch_counting", "signature_tiers", "day_tiers",
                             "free_signatures_cap", "free_days_cap", "credit_validity"},
                            "the document"));
  SlaTerms t;
  DUET_ASSIGN_OR_RETURN(t.version, text(j, "version"));
  if (t.version.empty() || t.version.size() > 32 ||
      t.version.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos)
    return bad("'version' must be 1-32 characters of [A-Za-z0-9._-]");
  DUET_ASSIGN_OR_RETURN(std::string base, text(j, "signature_percent_base"));
  if (base == "month_metered_signatures") t.table.percent_base = PercentBase::kMonthMeteredSignatures;
  else if (base == "purchased_annual_quantity") t.table.percent_base = PercentBase::kPurchasedAnnualQuantity;
  else return bad("'signature_percent_base' must be month_metered_signatures or purchased_annual_quantity");
  DUET_ASSIGN_OR_RETURN(std::string batch, text(j, "batch_counting"));
  if (batch == "per_item") t.batch_counting = BatchCounting::kPerItem;
  else if (batch == "per_order") t.batch_counting = BatchCounting::kPerOrder;
  else return bad("'batch_counting' must be per_item or per_order");
  DUET_ASSIGN_OR_RETURN(std::string cap, text(j, "free_signatures_cap"));
  if (cap != "monthly_average_usage") return bad("'free_signatures_cap' must be monthly_average_usage");
  DUET_ASSIGN_OR_RETURN(std::string days_cap, text(j, "free_days_cap"));
  if (days_cap != "one_month") return bad("'free_days_cap' must be one_month");
  DUET_ASSIGN_OR_RETURN(std::string validity, text(j, "credit_validity"));
  if (validity != "one_year_from_delivery") return bad("'credit_validity' must be one_year_from_delivery");

  const json& st = j.at("signature_tiers");
  if (!st.is_array() || st.empty() || st.size() > 32) return bad("'signature_tiers' must be a list of 1-32 tiers");
  for (const json& tier : st) {
    if (!tier.is_object()) return bad("a signature tier must be an object");
    DUET_TRY_STATUS(only_keys(tier, {"min_quantity", "percent"}, "a signature tier"));
    SignatureTier s;
    DUET_ASSIGN_OR_RETURN(s.min_quantity, quantity(tier.at("min_quantity"), "min_quantity"));
    DUET_ASSIGN_OR_RETURN(s.basis_points, per_band(tier.at("percent"), true, "percent"));
    t.table.signature_tiers.push_back(s);
  }
  const json& dt = j.at("day_tiers");
  if (!dt.is_array() || dt.empty() || dt.size() > 32) return bad("'day_tiers' must be a list of 1-32 tiers");
  for (const json& tier : dt) {
    if (!tier.is_object()) return bad("a day tier must be an object");
    DUET_TRY_STATUS(only_keys(tier, {"min_quantity", "days"}, "a day tier"));
    DaysTier d;
    DUET_ASSIGN_OR_RETURN(d.min_quantity, quantity(tier.at("min_quantity"), "min_quantity"));
    DUET_ASSIGN_OR_RETURN(d.days, per_band(tier.at("days"), false, "days"));
    t.table.day_tiers.push_back(d);
  }
  DUET_TRY_STATUS(t.table.validate());
  t.digest_hex = sla_terms_digest(document);
  return t;
}

}  // namespace duet::core
