// Records of the SLA terms and compensation claims (issue 14 item 4,
// docs/sla.md "SLA terms" and "Claims"). Plain data, no SQL; conventions as
// in store/records.h (Unix seconds from the caller, opaque ids from new_id()).
#pragma once

#include <optional>
#include <string>

#include "store/records.h"

namespace duet::store {

// One version of the SLA-terms document (the compensation table, the
// purchase tiers and the rules: core/sla_terms.h). Immutable once recorded:
// the reports and credits of the tenants that pin it are computed from these
// exact bytes, whose SM3 digest is kept beside them.
struct SlaTermsVersion {
  std::string version;      // "v1": [A-Za-z0-9._-], 1..32 characters
  std::string digest_hex;   // SM3 of `document`, lowercase hex (64 characters)
  std::string document;     // the JSON text exactly as recorded
  UnixSeconds recorded_at = 0;
  std::string recorded_by;  // operator name
};

// The SLA-terms version a tenant's contract pins (none stored: the service's
// [sla] configuration applies).
struct TenantSlaTerms {
  std::string tenant_id;
  std::string version;
  UnixSeconds pinned_at = 0;
  std::string pinned_by;    // operator name
};

enum class SlaClaimState { kFiled, kApproved, kRefused };

// A compensation claim (赔偿申请) filed by a tenant for one ended month; an
// operator verifies it against the month's report and approves it (the
// month's credits are granted with it) or refuses it with a reason. At most
// one claim per tenant and month.
struct SlaClaim {
  std::string tenant_id;
  std::string claim_id;       // "clm_..."
  std::string month;          // "YYYY-MM" (local, [sla] utc_offset_minutes)
  std::string statement;      // the tenant's own words, <= 2000 bytes (no personal data expected)
  std::string filed_by;       // the app that filed it
  UnixSeconds filed_at = 0;
  std::string terms_version;  // the terms the claim is judged by ("" = the service's [sla] table)
  SlaClaimState state = SlaClaimState::kFiled;
  std::optional<UnixSeconds> decided_at;
  std::string decided_by;     // operator name
  std::string decision_reason;  // required for a refusal, <= 2000 bytes
};

}  // namespace duet::store
