// store::SlaClaimStore, one area of store::Store (store/store.h: the rules
// every implementation keeps): versioned SLA-terms documents, the version
// each tenant pins, and compensation claims (issue 14 item 4). Records in
// store/sla_claim_records.h; SQLite: store/sqlite_sla_claims.cc, PostgreSQL:
// store/pg_sla_claims.cc.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/sla_claim_records.h"
#include "store/records.h"
#include "store/write_context.h"

namespace duet::store {

// One credit granted by a claim's approval, with its bonus package.
struct CreditGrant {
  std::string credit_id;
  Package bonus;  // package_id filled
};

class SlaClaimStore {
 public:
  virtual ~SlaClaimStore() = default;

  // Records a terms version. Versions are immutable: the same version with
  // the same digest again is Ok (nothing changes); with another digest it is
  // kConflict. version/digest malformed, document empty: kInvalidArgument.
  virtual Status record_sla_terms(const WriteContext& context, const SlaTermsVersion& terms) = 0;
  virtual Result<SlaTermsVersion> get_sla_terms(std::string_view version) = 0;  // kNotFound
  // Every version, by recorded_at then version (documents included).
  virtual Result<std::vector<SlaTermsVersion>> list_sla_terms() = 0;

  // Pins (or re-pins) the version of a tenant's contract. When the version
  // differs from the one pinned (or none was), the tenant gets a
  // sla_terms_changed notice (subject_id = the version, effective_at =
  // created_at = pinned_at) in the same transaction; re-pinning the same
  // version records the new pin time and tells nobody. kNotFound when the
  // tenant or the version does not exist.
  virtual Status pin_tenant_sla_terms(const WriteContext& context, const TenantSlaTerms& pin) = 0;
  // The tenant's pin; nullopt when none is stored.
  virtual Result<std::optional<TenantSlaTerms>> get_tenant_sla_terms(std::string_view tenant_id) = 0;

  // Files a claim (state filed, no decision). kDuplicate when the tenant
  // already has a claim for the month (whatever its state); kNotFound
  // (tenant); a malformed claim is kInvalidArgument.
  virtual Status file_sla_claim(const WriteContext& context, const SlaClaim& claim) = 0;
  // A tenant's claim; another tenant's is kNotFound.
  virtual Result<SlaClaim> get_sla_claim(std::string_view tenant_id, std::string_view claim_id) = 0;
  // Entry point of the operator's decision (all tenants). kNotFound.
  virtual Result<SlaClaim> find_sla_claim(std::string_view claim_id) = 0;
  // Claims, narrowed to a tenant when non-empty, newest filed first.
  virtual Result<std::vector<SlaClaim>> list_sla_claims(std::string_view tenant_id) = 0;

  // Decides a filed claim, ONE transaction: the claim filed -> approved or
  // refused (decided_at = now, decided_by, reason) with one conditional
  // update, and for an approval every grant as approve_sla_credit does it
  // (the credit, which must be the claim tenant's and month's, proposed ->
  // approved, and its bonus package added). kConflict when the claim is no
  // longer filed or a credit is no longer proposed (nothing changes);
  // kNotFound (claim, credit); approved with no grant, or refused with an
  // empty reason, or a grant on a refusal: kInvalidArgument.
  virtual Status decide_sla_claim(const WriteContext& context, std::string_view claim_id, SlaClaimState decision,
                                  std::string_view decided_by, std::string_view reason, UnixSeconds now,
                                  const std::vector<CreditGrant>& grants) = 0;
};

}  // namespace duet::store
