#include "core/compensation_claims.h"

#include "core/sla_terms.h"
#include "store/ids.h"

namespace duet::core {

namespace {

Unexpected invalid(std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); }

Status check_text(const std::string& s, const char* what) {
  if (s.size() > 2000) return invalid(std::string(what) + " is longer than 2000 bytes");
  for (unsigned char ch : s)
    if (ch < 0x20 && ch != '\n' && ch != '\t') return invalid(std::string(what) + " contains control characters");
  return Status::Ok();
}

}  // namespace

CompensationClaimService::CompensationClaimService(CoreDeps deps, SlaService& sla)
    : deps_(deps), stores_(deps.store), sla_(sla) {}

Result<store::SlaTermsVersion> CompensationClaimService::record_terms(const OperatorContext& op, std::string document,
                                                                      UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(SlaTerms terms, parse_sla_terms(document));
  store::SlaTermsVersion v{terms.version, terms.digest_hex, std::move(document), now, op.name};
  op.write.name_audit_target("terms_version", v.version);
  DUET_TRY_STATUS(stores_.claims.record_sla_terms(op.write, v));
  return stores_.claims.get_sla_terms(v.version);
}

Result<std::vector<store::SlaTermsVersion>> CompensationClaimService::list_terms() {
  return stores_.claims.list_sla_terms();
}

Result<store::SlaTermsVersion> CompensationClaimService::get_terms(std::string_view version) {
  return stores_.claims.get_sla_terms(version);
}

Result<store::TenantSlaTerms> CompensationClaimService::pin_terms(const OperatorContext& op,
                                                                  const std::string& tenant_id,
                                                                  const std::string& version, UnixSeconds now) {
  if (version.empty()) return invalid("version is required");
  op.write.name_audit_target("tenant_id", tenant_id);
  store::TenantSlaTerms pin{tenant_id, version, now, op.name};
  DUET_TRY_STATUS(stores_.claims.pin_tenant_sla_terms(op.write, pin));
  return pin;
}

Result<std::optional<store::SlaTermsVersion>> CompensationClaimService::tenant_terms(std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(std::optional<store::TenantSlaTerms> pin, stores_.claims.get_tenant_sla_terms(tenant_id));
  if (!pin) return std::optional<store::SlaTermsVersion>();
  DUET_ASSIGN_OR_RETURN(store::SlaTermsVersion v, stores_.claims.get_sla_terms(pin->version));
  return std::optional<store::SlaTermsVersion>(std::move(v));
}

Result<store::SlaClaim> CompensationClaimService::file(const AppContext& app, const std::string& month,
                                                       std::string statement, UnixSeconds now) {
  return file(ClaimFiler{app.tenant_id, app.app_id, app.environment == store::AppEnvironment::kProduction, app.write},
              month, std::move(statement), now);
}

Result<store::SlaClaim> CompensationClaimService::file(const ClaimFiler& filer, const std::string& month,
                                                       std::string statement, UnixSeconds now) {
  if (!filer.production)
    return make_error(ErrorCode::kForbidden, "the sandbox is outside the service level agreement: "
                                             "claims are filed with production credentials");
  DUET_TRY_STATUS(check_text(statement, "statement"));
  DUET_ASSIGN_OR_RETURN(MonthRange range, month_range(month, sla_.config().calendar.utc_offset_minutes));
  if (now < range.to) return make_error(ErrorCode::kConflict, "a claim is filed for a month that has ended");
  DUET_ASSIGN_OR_RETURN(std::optional<store::TenantSlaTerms> pin, stores_.claims.get_tenant_sla_terms(filer.tenant_id));
  store::SlaClaim c;
  c.tenant_id = filer.tenant_id;
  c.claim_id = store::new_id("clm_");
  c.month = range.month;
  c.statement = std::move(statement);
  c.filed_by = filer.filed_by;
  c.filed_at = now;
  c.terms_version = pin ? pin->version : "";
  filer.write.name_audit_target("claim_id", c.claim_id);
  Status filed = stores_.claims.file_sla_claim(filer.write, c);
  if (!filed.ok() && store::store_error_kind(filed) == store::StoreError::kDuplicate)
    return make_error(ErrorCode::kConflict, "a claim for this month was already filed");
  DUET_TRY_STATUS(filed);
  return c;
}

Result<std::vector<store::SlaClaim>> CompensationClaimService::tenant_claims(const AppContext& app) {
  return stores_.claims.list_sla_claims(app.tenant_id);
}

Result<ClaimReview> CompensationClaimService::tenant_claim(const AppContext& app, std::string_view claim_id) {
  ClaimReview r;
  DUET_ASSIGN_OR_RETURN(r.claim, stores_.claims.get_sla_claim(app.tenant_id, claim_id));
  DUET_ASSIGN_OR_RETURN(r.credits, stores_.sla.list_sla_credits(app.tenant_id, r.claim.month));
  return r;
}

Result<std::vector<store::SlaClaim>> CompensationClaimService::claims(std::string_view tenant_id) {
  return stores_.claims.list_sla_claims(tenant_id);
}

Result<ClaimReview> CompensationClaimService::review(const OperatorContext& op, std::string_view claim_id,
                                                     UnixSeconds now) {
  ClaimReview r;
  DUET_ASSIGN_OR_RETURN(r.claim, stores_.claims.find_sla_claim(claim_id));
  // The month's report by the tenant's pinned terms; for an ended month it
  // proposes (or withdraws) the credits in the store.
  DUET_ASSIGN_OR_RETURN(SlaMonthlyReport rep, sla_.report(op.write, r.claim.month, r.claim.tenant_id, now));
  if (!rep.tenants.empty()) r.report = std::move(rep.tenants.front());
  DUET_ASSIGN_OR_RETURN(r.credits, stores_.sla.list_sla_credits(r.claim.tenant_id, r.claim.month));
  return r;
}

Result<ClaimReview> CompensationClaimService::approve(const OperatorContext& op, std::string_view claim_id,
                                                      std::string reason, UnixSeconds now) {
  DUET_TRY_STATUS(check_text(reason, "reason"));
  DUET_ASSIGN_OR_RETURN(ClaimReview r, review(op, claim_id, now));
  if (r.claim.state != store::SlaClaimState::kFiled)
    return make_error(ErrorCode::kConflict, "the claim was already decided");
  if (r.report && !r.report->terms.version.empty() && r.report->terms.version != r.claim.terms_version) {
    // The tenant re-pinned since filing: judged by today's pin (the report
    // shows which), recorded in the decision.
    if (reason.empty()) reason = "judged by terms " + r.report->terms.version;
  }
  DUET_ASSIGN_OR_RETURN(std::vector<store::Package> packages, stores_.metering.list_packages(r.claim.tenant_id));
  std::vector<store::CreditGrant> grants;
  for (const auto& c : r.credits) {
    if (c.state != store::SlaCreditState::kProposed) continue;
    store::Package bonus = bonus_package(c, packages, now, sla_.config().calendar.utc_offset_minutes);
    packages.push_back(bonus);
    grants.push_back({c.credit_id, std::move(bonus)});
  }
  if (grants.empty())
    return make_error(ErrorCode::kConflict,
                      "no compensation is due for this month: refuse the claim with a reason instead");
  op.write.name_audit_target("claim_id", r.claim.claim_id);
  DUET_TRY_STATUS(stores_.claims.decide_sla_claim(op.write, r.claim.claim_id, store::SlaClaimState::kApproved,
                                                  op.name, reason, now, grants));
  DUET_ASSIGN_OR_RETURN(r.claim, stores_.claims.find_sla_claim(claim_id));
  DUET_ASSIGN_OR_RETURN(r.credits, stores_.sla.list_sla_credits(r.claim.tenant_id, r.claim.month));
  return r;
}

Result<ClaimReview> CompensationClaimService::refuse(const OperatorContext& op, std::string_view claim_id,
                                                     std::string reason, UnixSeconds now) {
  DUET_TRY_STATUS(check_text(reason, "reason"));
  if (reason.empty()) return invalid("a refusal needs a reason");
  ClaimReview r;
  DUET_ASSIGN_OR_RETURN(r.claim, stores_.claims.find_sla_claim(claim_id));
  op.write.name_audit_target("claim_id", r.claim.claim_id);
  DUET_TRY_STATUS(stores_.claims.decide_sla_claim(op.write, r.claim.claim_id, store::SlaClaimState::kRefused,
                                                  op.name, reason, now, {}));
  DUET_ASSIGN_OR_RETURN(r.claim, stores_.claims.find_sla_claim(claim_id));
  DUET_ASSIGN_OR_RETURN(r.credits, stores_.sla.list_sla_credits(r.claim.tenant_id, r.claim.month));
  return r;
}

}  // namespace duet::core
