// PgStore: SLA terms versions, tenant pins and compensation claims
// (store/sla_claims.h), each call one transaction; mirrors
// sqlite_sla_claims.cc. A decision is one conditional update of the claim
// (state = 'filed'), so two operators deciding at once: one wins, the other
// is kConflict with nothing changed.
#include "store/pg_areas.h"
#include "store/pg_store_impl.h"
#include "store/area_sql.h"
#include "store/sla_claim_rows.h"
#include "store/tenant_notice_rows.h"

namespace duet::store::pg_store {

using namespace sla_claim_rows;

namespace {

Result<std::optional<SlaTermsVersion>> terms_row(Connection& c, std::string_view version) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kSelectTerms.pg(), {version}));
  DUET_ASSIGN_OR_RETURN(std::vector<SlaTermsVersion> v, pg::read_rows<SlaTermsVersion>(r, read_terms));
  if (v.empty()) return std::optional<SlaTermsVersion>();
  return std::optional<SlaTermsVersion>(std::move(v.front()));
}

Result<SlaClaim> claim_by_id(Connection& c, std::string_view claim_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kFindClaim.pg(), {claim_id}));
  DUET_ASSIGN_OR_RETURN(std::vector<SlaClaim> v, pg::read_rows<SlaClaim>(r, read_claim));
  if (v.empty()) return not_found("claim");
  return std::move(v.front());
}

Result<bool> tenant_exists(Connection& c, std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kTenantExists.pg(), {tenant_id}));
  return !r.empty();
}

}  // namespace

Status PgStore::record_sla_terms(const WriteContext& context, const SlaTermsVersion& terms) {
  DUET_TRY_STATUS(validate_terms(terms));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(std::optional<SlaTermsVersion> existing, terms_row(c, terms.version));
    if (existing) {
      if (existing->digest_hex == terms.digest_hex) return Status::Ok();
      return conflict("this terms version is recorded with another digest");
    }
    return pg::run(c, kInsertTerms.pg(),
                   {terms.version, terms.digest_hex, terms.document, terms.recorded_at, terms.recorded_by});
  });
}

Result<SlaTermsVersion> PgStore::get_sla_terms(std::string_view version) {
  return read_single<SlaTermsVersion>([&](Connection& c) -> Result<SlaTermsVersion> {
    DUET_ASSIGN_OR_RETURN(std::optional<SlaTermsVersion> t, terms_row(c, version));
    if (!t) return not_found("terms version");
    return std::move(*t);
  });
}

Result<std::vector<SlaTermsVersion>> PgStore::list_sla_terms() {
  return read_single<std::vector<SlaTermsVersion>>([&](Connection& c) -> Result<std::vector<SlaTermsVersion>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kListTerms.pg()));
    return pg::read_rows<SlaTermsVersion>(r, read_terms);
  });
}

Status PgStore::pin_tenant_sla_terms(const WriteContext& context, const TenantSlaTerms& pin) {
  return write(context, [&](Connection& c) -> Status {
    // The tenant's row locked: two pins of one tenant at once are taken one
    // after the other, so each notice names a real change.
    DUET_ASSIGN_OR_RETURN(Rows tenant, c.query("SELECT 1 FROM tenants WHERE tenant_id = $1 FOR UPDATE", {pin.tenant_id}));
    if (tenant.empty()) return not_found("tenant");
    DUET_ASSIGN_OR_RETURN(std::optional<SlaTermsVersion> t, terms_row(c, pin.version));
    if (!t) return not_found("terms version");
    DUET_ASSIGN_OR_RETURN(Rows cur, c.query(kPinnedVersion.pg(), {pin.tenant_id}));
    const bool changed = cur.empty() || cur.text(0, 0) != pin.version;
    DUET_TRY_STATUS(pg::run(c, kUpsertPin.pg(), {pin.tenant_id, pin.version, pin.pinned_at, pin.pinned_by}));
    if (!changed) return Status::Ok();
    return pg::insert_tenant_notice(c, pin.tenant_id, NoticeKind::kSlaTermsChanged, pin.pinned_at, pin.pinned_at,
                                    pin.version);
  });
}

Result<std::optional<TenantSlaTerms>> PgStore::get_tenant_sla_terms(std::string_view tenant_id) {
  return read_single<std::optional<TenantSlaTerms>>([&](Connection& c) -> Result<std::optional<TenantSlaTerms>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kSelectPin.pg(), {tenant_id}));
    DUET_ASSIGN_OR_RETURN(std::vector<TenantSlaTerms> v, pg::read_rows<TenantSlaTerms>(r, read_pin));
    if (v.empty()) return std::optional<TenantSlaTerms>();
    return std::optional<TenantSlaTerms>(std::move(v.front()));
  });
}

Status PgStore::file_sla_claim(const WriteContext& context, const SlaClaim& claim) {
  DUET_TRY_STATUS(validate_claim(claim));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(bool tenant, tenant_exists(c, claim.tenant_id));
    if (!tenant) return not_found("tenant");
    // The (tenant_id, month) unique key refuses a second claim, also one
    // filed concurrently (23505: kDuplicate).
    return pg::run(c, kInsertClaim.pg(),
                   {claim.tenant_id, claim.claim_id, claim.month, claim.statement, claim.filed_by, claim.filed_at,
                    claim.terms_version});
  });
}

Result<SlaClaim> PgStore::get_sla_claim(std::string_view tenant_id, std::string_view claim_id) {
  return read_single<SlaClaim>([&](Connection& c) -> Result<SlaClaim> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kSelectClaim.pg(), {tenant_id, claim_id}));
    DUET_ASSIGN_OR_RETURN(std::vector<SlaClaim> v, pg::read_rows<SlaClaim>(r, read_claim));
    if (v.empty()) return not_found("claim");
    return std::move(v.front());
  });
}

Result<SlaClaim> PgStore::find_sla_claim(std::string_view claim_id) {
  return read_single<SlaClaim>([&](Connection& c) { return claim_by_id(c, claim_id); });
}

Result<std::vector<SlaClaim>> PgStore::list_sla_claims(std::string_view tenant_id) {
  return read_single<std::vector<SlaClaim>>([&](Connection& c) -> Result<std::vector<SlaClaim>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kListClaims.pg(), {tenant_id}));
    return pg::read_rows<SlaClaim>(r, read_claim);
  });
}

Status PgStore::decide_sla_claim(const WriteContext& context, std::string_view claim_id, SlaClaimState decision,
                                 std::string_view decided_by, std::string_view reason, UnixSeconds now,
                                 const std::vector<CreditGrant>& grants) {
  DUET_TRY_STATUS(validate_decision(decision, reason, grants.size()));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(SlaClaim claim, claim_by_id(c, claim_id));
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kDecideClaim.pg(),
                                             {claim.tenant_id, claim.claim_id, claim_state_text(decision), now,
                                              decided_by, reason}));
    if (n != 1) return conflict("the claim was already decided");
    for (const CreditGrant& g : grants) {
      DUET_ASSIGN_OR_RETURN(SlaCredit credit, pg::find_sla_credit(c, g.credit_id));
      if (credit.tenant_id != claim.tenant_id || credit.month != claim.month) return not_found("credit");
      DUET_TRY_STATUS(pg::approve_sla_credit(c, g.credit_id, decided_by, now, g.bonus));
    }
    return Status::Ok();
  });
}

}  // namespace duet::store::pg_store
