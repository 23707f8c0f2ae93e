// Compensation by the SLA's table (issue 5 §3, docs/sla.md).
//
// Band (availability a, longest outage L, one month), the agreement's §5.2
// table with its exclusive bounds:
//   a >= 99.95 %                    no compensation
//   99.5 % < a < 99.95 %   band A   (L <= 30 min)
//   98 %   < a <= 99.5 %   band B   (L <= 120 min)
//   a <= 98 %              band C   (L >= 300 min)
// Where a bound is exactly met (99.5 %, 98 %) or availability and the
// longest outage point to different bands, the more severe band applies:
// standard terms are read in the customer's favour. So L in 31..120 is at
// least B, and L > 120 (the gap 121..299 of the table included) is C. (With
// a >= 99.95 % no outage can exceed 22 minutes in a month, so the top band
// never moves.)
//
// Amounts, by the tenant's annual purchase tier (a configurable table; the
// largest tier whose min_quantity <= the purchased quantity applies):
//  - per-signature tenants: free signatures = ceil(pct(band, tier) × base),
//    the tier by the purchased annual quantity, the base the month's
//    metered signatures or the purchased annual quantity (the table's
//    percent_base), capped at the tenant's monthly average usage
//    (signatures counted over the up-to-12 calendar months ending with the
//    report month, from the month of its first per-signature package on,
//    divided by the number of those months). pct spans 1–2.5 % (A),
//    3–6 % (B), 7–8.5 % (C) in the default table.
//  - per-user and unlimited tenants: free days(band, tier): 1–3 (A),
//    5–10 (B), 10–20 (C) by default; per-user tiers by purchased users,
//    unlimited tenants take the top tier; never more than the report
//    month's number of days (free time is at most one month).
// "Purchased annual quantity" = the sum of the quantities of the tenant's
// purchase packages of that kind whose term overlaps the report month.
//
// A credit is granted as a bonus package (source "sla_credit") after
// operator approval, valid one year from approval:
//  - signatures: a per-signature package of `amount`, from approval to one
//    year later;
//  - days: a package of the tenant's kind (per-user, else unlimited) that
//    EXTENDS service: it starts when the tenant's latest package of that
//    kind ends (or at approval if none is running) and lasts `amount` days;
//    it starts no later than one year after approval minus the days, so it
//    is used within its year. A per-user extension carries a prorated user
//    allowance, ceil(purchased users × days / 365) (at least 1), for
//    holders created during the extension.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/sla_report.h"
#include "store/records.h"
#include "store/sla_records.h"

namespace duet::core {

enum class Band { kNone, kA, kB, kC };
std::string_view band_name(Band b);  // "", "A", "B", "C"

// The band of a month's figures (see above).
Band band_for(const SlaFigures& f);

struct SignatureTier {
  int64_t min_quantity = 0;
  std::array<int64_t, 3> basis_points{};  // per band A, B, C; 100 bp = 1 %
};
struct DaysTier {
  int64_t min_quantity = 0;
  std::array<int64_t, 3> days{};  // per band A, B, C
};

// What the free-signature percentage applies to (an SLA-terms setting,
// core/sla_terms.h): the month's metered signatures (the terms document's
// default) or the purchased annual quantity (the [sla] configuration's
// table, kept for tenants that pin no terms version).
enum class PercentBase { kMonthMeteredSignatures, kPurchasedAnnualQuantity };
std::string_view percent_base_name(PercentBase b);

struct CompensationTable {
  std::vector<SignatureTier> signature_tiers;  // ascending min_quantity, first 0
  std::vector<DaysTier> day_tiers;             // ascending min_quantity, first 0
  PercentBase percent_base = PercentBase::kPurchasedAnnualQuantity;
  static CompensationTable defaults();
  Status validate() const;
};

// What the tenant bought that matters for compensation (from its packages).
struct PurchaseProfile {
  int64_t signatures = 0;        // purchased per-signature quantity overlapping the month
  int64_t users = 0;             // purchased per-user quantity overlapping the month
  bool unlimited = false;        // an unlimited purchase overlaps the month
  UnixSeconds first_signature_package_start = 0;  // earliest per-signature package start (0: none)
};
PurchaseProfile purchase_profile(const std::vector<store::Package>& packages, UnixSeconds from, UnixSeconds to);

struct CreditProposal {
  store::SlaCreditKind kind = store::SlaCreditKind::kSignatures;
  Band band = Band::kNone;
  int64_t amount = 0;
  std::string basis;  // JSON object text
};

// The credits for one tenant and month (empty when no compensation is due
// or the amount is 0). `monthly_average_usage` caps free signatures;
// `month_metered_signatures` is the percentage's base when the table says
// so; free days never exceed `month_days` (free time is at most one month:
// the report month's length).
std::vector<CreditProposal> compute_credits(const CompensationTable& table, const SlaFigures& figures,
                                            const PurchaseProfile& profile, int64_t monthly_average_usage,
                                            int64_t month_metered_signatures = 0, int64_t month_days = 31);

// The bonus package for an approved credit (see above); package_id filled.
store::Package bonus_package(const store::SlaCredit& credit, const std::vector<store::Package>& tenant_packages,
                             UnixSeconds now, int utc_offset_minutes);

// The same local time one year later (29 Feb → 1 Mar).
UnixSeconds one_year_after(UnixSeconds t, int utc_offset_minutes);

}  // namespace duet::core
