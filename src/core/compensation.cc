#include "core/compensation.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/ids.h"

namespace duet::core {

using json = nlohmann::json;

std::string_view band_name(Band b) {
  switch (b) {
    case Band::kA: return "A";
    case Band::kB: return "B";
    case Band::kC: return "C";
    case Band::kNone: break;
  }
  return "";
}

std::string_view percent_base_name(PercentBase b) {
  return b == PercentBase::kMonthMeteredSignatures ? "month_metered_signatures" : "purchased_annual_quantity";
}

Band band_for(const SlaFigures& f) {
  if (f.counted_minutes() == 0 || f.availability_at_least(9995)) return Band::kNone;
  // Exclusive bounds: exactly 99.5 % is B, exactly 98 % is C (the more severe).
  Band b = f.availability_above(9950) ? Band::kA : f.availability_above(9800) ? Band::kB : Band::kC;
  // The longest-outage column, read the same way: the more severe band wins.
  if (f.longest_outage_minutes > 30 && b == Band::kA) b = Band::kB;
  if (f.longest_outage_minutes > 120) b = Band::kC;
  return b;
}

CompensationTable CompensationTable::defaults() {
  CompensationTable t;
  t.signature_tiers = {{0, {100, 300, 700}},
                       {100'000, {150, 400, 750}},
                       {1'000'000, {200, 500, 800}},
                       {10'000'000, {250, 600, 850}}};
  t.day_tiers = {{0, {1, 5, 10}}, {10'000, {2, 7, 15}}, {100'000, {3, 10, 20}}};
  return t;
}

Status CompensationTable::validate() const {
  auto bad = [](std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); };
  if (signature_tiers.empty() || signature_tiers.front().min_quantity != 0)
    return bad("sla signature tiers: the first tier must have min_quantity 0");
  if (day_tiers.empty() || day_tiers.front().min_quantity != 0)
    return bad("sla day tiers: the first tier must have min_quantity 0");
  for (size_t i = 1; i < signature_tiers.size(); ++i)
    if (signature_tiers[i].min_quantity <= signature_tiers[i - 1].min_quantity)
      return bad("sla signature tiers must be in ascending min_quantity");
  for (size_t i = 1; i < day_tiers.size(); ++i)
    if (day_tiers[i].min_quantity <= day_tiers[i - 1].min_quantity)
      return bad("sla day tiers must be in ascending min_quantity");
  for (const auto& t : signature_tiers)
    for (int64_t bp : t.basis_points)
      if (bp < 0 || bp > 10000) return bad("sla signature tier percentages must be 0 to 100");
  for (const auto& t : day_tiers)
    for (int64_t d : t.days)
      if (d < 0 || d > 365) return bad("sla day tier days must be 0 to 365");
  return Status::Ok();
}

PurchaseProfile purchase_profile(const std::vector<store::Package>& packages, UnixSeconds from, UnixSeconds to) {
  PurchaseProfile p;
  for (const auto& pkg : packages) {
    if (pkg.kind == store::PackageKind::kPerSignature &&
        (p.first_signature_package_start == 0 || pkg.starts_at < p.first_signature_package_start))
      p.first_signature_package_start = pkg.starts_at;
    if (pkg.source != "purchase" || pkg.starts_at >= to || pkg.expires_at <= from) continue;
    switch (pkg.kind) {
      case store::PackageKind::kPerSignature: p.signatures += pkg.quantity; break;
      case store::PackageKind::kPerUser: p.users += pkg.quantity; break;
      case store::PackageKind::kUnlimited: p.unlimited = true; break;
    }
  }
  return p;
}

namespace {

template <typename Tier>
const Tier& tier_for(const std::vector<Tier>& tiers, int64_t quantity) {
  const Tier* t = &tiers.front();
  for (const auto& x : tiers)
    if (x.min_quantity <= quantity) t = &x;
  return *t;
}

size_t band_index(Band b) { return b == Band::kA ? 0 : b == Band::kB ? 1 : 2; }

json figures_json(const SlaFigures& f) {
  return json{{"availability_pct", f.availability_pct},
              {"available_minutes", f.available_minutes},
              {"unavailable_minutes", f.unavailable_minutes},
              {"longest_outage_minutes", f.longest_outage_minutes}};
}

}  // namespace

std::vector<CreditProposal> compute_credits(const CompensationTable& table, const SlaFigures& figures,
                                            const PurchaseProfile& profile, int64_t monthly_average_usage,
                                            int64_t month_metered_signatures, int64_t month_days) {
  std::vector<CreditProposal> out;
  Band band = band_for(figures);
  if (band == Band::kNone) return out;
  size_t bi = band_index(band);
  if (profile.signatures > 0) {
    const SignatureTier& t = tier_for(table.signature_tiers, profile.signatures);
    int64_t bp = t.basis_points[bi];
    const bool metered_base = table.percent_base == PercentBase::kMonthMeteredSignatures;
    int64_t base = metered_base ? std::max<int64_t>(month_metered_signatures, 0) : profile.signatures;
    int64_t raw = (base * bp + 9999) / 10000;  // rounded up, in the tenant's favour
    int64_t amount = std::min(raw, std::max<int64_t>(monthly_average_usage, 0));
    if (amount > 0) {
      json basis = figures_json(figures);
      basis.update(json{{"band", band_name(band)},
                        {"purchased_signatures", profile.signatures},
                        {"percent_base", percent_base_name(table.percent_base)},
                        {"percent_base_amount", base},
                        {"tier_min_quantity", t.min_quantity},
                        {"percent", static_cast<double>(bp) / 100.0},
                        {"uncapped_amount", raw},
                        {"monthly_average_usage", monthly_average_usage},
                        {"package_kind", "per_signature"}});
      out.push_back({store::SlaCreditKind::kSignatures, band, amount, basis.dump()});
    }
  }
  if (profile.users > 0 || profile.unlimited) {
    const DaysTier& t = profile.unlimited ? table.day_tiers.back() : tier_for(table.day_tiers, profile.users);
    int64_t days = std::min(t.days[bi], std::max<int64_t>(month_days, 0));
    if (days > 0) {
      json basis = figures_json(figures);
      basis.update(json{{"band", band_name(band)},
                        {"purchased_users", profile.users},
                        {"unlimited", profile.unlimited},
                        {"tier_min_quantity", t.min_quantity},
                        {"days", days},
                        {"package_kind", profile.users > 0 ? "per_user" : "unlimited"}});
      out.push_back({store::SlaCreditKind::kDays, band, days, basis.dump()});
    }
  }
  return out;
}

UnixSeconds one_year_after(UnixSeconds t, int utc_offset_minutes) {
  int64_t offset = static_cast<int64_t>(utc_offset_minutes) * 60;
  int64_t local = t + offset;
  int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t secs = local - day * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(day, y, m, d);
  int64_t next = (m == 2 && d == 29) ? days_from_civil(y + 1, 3, 1) : days_from_civil(y + 1, m, d);
  return next * 86400 + secs - offset;
}

store::Package bonus_package(const store::SlaCredit& credit, const std::vector<store::Package>& tenant_packages,
                             UnixSeconds now, int utc_offset_minutes) {
  store::Package p;
  p.tenant_id = credit.tenant_id;
  p.package_id = store::new_id("pkg_");
  p.source = "sla_credit";
  p.note = "SLA credit " + credit.month + " band " + credit.band + " (" + credit.credit_id + ")";
  p.created_at = now;
  UnixSeconds year_end = one_year_after(now, utc_offset_minutes);
  if (credit.kind == store::SlaCreditKind::kSignatures) {
    p.kind = store::PackageKind::kPerSignature;
    p.quantity = credit.amount;
    p.starts_at = now;
    p.expires_at = year_end;
    return p;
  }
  json basis = json::parse(credit.basis, nullptr, false);
  std::string kind = basis.is_object() ? basis.value("package_kind", std::string("unlimited")) : "unlimited";
  int64_t users = basis.is_object() ? basis.value("purchased_users", int64_t{0}) : 0;
  p.kind = kind == "per_user" ? store::PackageKind::kPerUser : store::PackageKind::kUnlimited;
  int64_t span = credit.amount * 86400;
  UnixSeconds start = now;
  for (const auto& pkg : tenant_packages)
    if (pkg.kind == p.kind && pkg.expires_at > start) start = pkg.expires_at;
  start = std::min(start, std::max(now, year_end - span));
  p.starts_at = start;
  p.expires_at = start + span;
  p.quantity = p.kind == store::PackageKind::kUnlimited ? 0 : std::max<int64_t>(1, (users * credit.amount + 364) / 365);
  return p;
}

}  // namespace duet::core
