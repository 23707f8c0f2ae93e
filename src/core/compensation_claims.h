// Compensation claims (赔偿申请) and the versioned SLA terms (issue 14 item
// 4; docs/sla.md "SLA terms" and "Claims").
//
// Terms: an operator records an SLA-terms document (core/sla_terms.h: its
// exact bytes and their SM3 digest; a version never changes) and pins a
// version per tenant; reports, credits and claims of the tenant are computed
// by it from then on. The tenant reads its pinned terms over the Business
// API.
//
// Claims: a production app of the tenant files a claim for one ended month
// (one per tenant and month; sandbox credentials cannot: the sandbox is
// outside the SLA). An operator verifies (核查) it against the month's report
// — reading it proposes the month's credits by the pinned terms — and
// approves it, which grants every proposed credit of that month as its
// bonus package in ONE store transaction with the decision, or refuses it
// with a reason. An approval with nothing due is refused (409
// no_compensation_due: the operator refuses with the reason instead). Every
// step is an audited action of its caller.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "core/contexts.h"
#include "core/core_deps.h"
#include "core/sla_service.h"
#include "store/sla_claims.h"

namespace duet::core {

// Who files a claim: a production app (the Business API) or a tenant admin
// signed in to the portal (docs/portal.md). `filed_by` is the app id or the
// portal user id; `write` carries the caller's audit event.
struct ClaimFiler {
  std::string tenant_id;
  std::string filed_by;
  bool production = false;  // the sandbox is outside the SLA: false is 403
  store::WriteContext write{};
};

// A claim with what the operator verifies it against.
struct ClaimReview {
  store::SlaClaim claim;
  std::vector<store::SlaCredit> credits;  // the month's credits (proposed / approved)
  std::optional<TenantSlaReport> report;  // the month's figures (admin views only)
};

class CompensationClaimService {
 public:
  struct Stores {
    store::TenantStore& tenants;
    store::MeteringStore& metering;
    store::SlaStore& sla;
    store::SlaClaimStore& claims;
    explicit Stores(store::Store& s) : tenants(s), metering(s), sla(s), claims(s) {}
  };

  // `sla` computes the month's report and proposes its credits; it must
  // outlive this service.
  CompensationClaimService(CoreDeps deps, SlaService& sla);

  // --- terms (operators) ---
  // Records a document (kInvalidArgument when it does not parse; kConflict
  // when its version is recorded with other bytes; the same bytes again
  // return the recorded version).
  Result<store::SlaTermsVersion> record_terms(const OperatorContext& op, std::string document, UnixSeconds now);
  Result<std::vector<store::SlaTermsVersion>> list_terms();
  Result<store::SlaTermsVersion> get_terms(std::string_view version);
  Result<store::TenantSlaTerms> pin_terms(const OperatorContext& op, const std::string& tenant_id,
                                          const std::string& version, UnixSeconds now);
  // The tenant's pin and its document; nullopt: none pinned.
  Result<std::optional<store::SlaTermsVersion>> tenant_terms(std::string_view tenant_id);

  // --- claims (the tenant) ---
  Result<store::SlaClaim> file(const AppContext& app, const std::string& month, std::string statement,
                               UnixSeconds now);
  Result<store::SlaClaim> file(const ClaimFiler& filer, const std::string& month, std::string statement,
                               UnixSeconds now);
  Result<std::vector<store::SlaClaim>> tenant_claims(const AppContext& app);
  Result<ClaimReview> tenant_claim(const AppContext& app, std::string_view claim_id);

  // --- claims (operators) ---
  Result<std::vector<store::SlaClaim>> claims(std::string_view tenant_id);
  Result<ClaimReview> review(const OperatorContext& op, std::string_view claim_id, UnixSeconds now);
  Result<ClaimReview> approve(const OperatorContext& op, std::string_view claim_id, std::string reason,
                              UnixSeconds now);
  Result<ClaimReview> refuse(const OperatorContext& op, std::string_view claim_id, std::string reason,
                             UnixSeconds now);

 private:
  ServiceDeps deps_;
  Stores stores_;
  SlaService& sla_;
};

}  // namespace duet::core
