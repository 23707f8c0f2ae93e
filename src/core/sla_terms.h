// The SLA-terms document (issue 14 item 4, docs/sla.md "SLA terms"): the
// compensation table of the agreement's §5.2, the purchase tiers and the
// rules, as a versioned JSON file (docs/sla-terms/v1.json). An operator
// records a version (its exact bytes and their SM3 digest, immutable) and
// pins one per tenant; the tenant's reports, credits, claims and statements
// are computed by the pinned version. A tenant without a pin is judged by
// the service's [sla] table (percent base: the purchased annual quantity,
// batches per item) and shown as terms version "".
//
// The document, every key required, nothing else allowed:
//   {"version": "v1",
//    "signature_percent_base": "month_metered_signatures" | "purchased_annual_quantity",
//    "batch_counting": "per_item" | "per_order",
//    "signature_tiers": [{"min_quantity": 0, "percent": {"A": 1, "B": 3, "C": 7}}, ...],
//    "day_tiers": [{"min_quantity": 0, "days": {"A": 1, "B": 5, "C": 10}}, ...],
//    "free_signatures_cap": "monthly_average_usage",
//    "free_days_cap": "one_month",
//    "credit_validity": "one_year_from_delivery"}
// The last three are the agreement's fixed rules, stated in the document so
// that it reads complete; no other value is accepted. Percentages have at
// most two decimals (basis points).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "core/compensation.h"
#include "store/sla_claims.h"

namespace duet::core {

// How a batch order counts in statements (core/statements.h) and in the
// compensation base: each signed item, or each order once.
enum class BatchCounting { kPerItem, kPerOrder };
std::string_view batch_counting_name(BatchCounting b);

struct SlaTerms {
  std::string version;     // "" = the service's [sla] table (no version pinned)
  std::string digest_hex;  // SM3 of the document's bytes ("" for the [sla] table)
  CompensationTable table;
  BatchCounting batch_counting = BatchCounting::kPerItem;
};

// Parses and checks a terms document (kInvalidArgument with what is wrong).
Result<SlaTerms> parse_sla_terms(std::string_view document);

// SM3 of the document's bytes, lowercase hex.
std::string sla_terms_digest(std::string_view document);

// The terms of a tenant without a pinned version.
SlaTerms config_terms(const CompensationTable& table);

// The terms a tenant's contract pins (parsed from the recorded document), or
// config_terms(fallback) when it pins none. A recorded document that no
// longer parses is kInternal (it was checked when recorded).
Result<SlaTerms> tenant_sla_terms(store::SlaClaimStore& claims, std::string_view tenant_id,
                                  const CompensationTable& fallback);

}  // namespace duet::core
