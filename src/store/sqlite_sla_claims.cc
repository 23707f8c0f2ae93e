// SqliteStore: SLA terms versions, tenant pins and compensation claims
// (store/sla_claims.h), each call one transaction.
#include "store/area_sql.h"
#include "store/sla_claim_rows.h"
#include "store/sqlite_metering.h"
#include "store/sqlite_store_impl.h"
#include "store/tenant_notice_rows.h"

namespace duet::store::sqlite_store {

using namespace sla_claim_rows;

namespace {

Unexpected missing(std::string_view what) { return store_error(StoreError::kNotFound, std::string(what) + " not found"); }

Result<bool> row_exists(Connection& c, std::string_view sql, std::string_view a, std::string_view b = {}) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
  st.bind(1, a);
  if (!b.empty()) st.bind(2, b);
  return st.step();
}

Result<std::optional<SlaTermsVersion>> terms_row(Connection& c, std::string_view version) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kSelectTerms.sqlite()));
  st.bind(1, version);
  DUET_ASSIGN_OR_RETURN(std::vector<SlaTermsVersion> v, sqlite::read_rows<SlaTermsVersion>(st, read_terms));
  if (v.empty()) return std::optional<SlaTermsVersion>();
  return std::optional<SlaTermsVersion>(std::move(v.front()));
}

Result<SlaClaim> claim_by_id(Connection& c, std::string_view claim_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kFindClaim.sqlite()));
  st.bind(1, claim_id);
  DUET_ASSIGN_OR_RETURN(std::vector<SlaClaim> v, sqlite::read_rows<SlaClaim>(st, read_claim));
  if (v.empty()) return missing("claim");
  return std::move(v.front());
}

}  // namespace

Status SqliteStore::record_sla_terms(const WriteContext& context, const SlaTermsVersion& terms) {
  DUET_TRY_STATUS(validate_terms(terms));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(std::optional<SlaTermsVersion> existing, terms_row(c, terms.version));
    if (existing) {
      if (existing->digest_hex == terms.digest_hex) return Status::Ok();
      return store_error(StoreError::kConflict, "this terms version is recorded with another digest");
    }
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertTerms.sqlite()));
    st.bind(1, terms.version).bind(2, terms.digest_hex).bind(3, terms.document).bind(4, terms.recorded_at)
        .bind(5, terms.recorded_by);
    return st.run();
  });
}

Result<SlaTermsVersion> SqliteStore::get_sla_terms(std::string_view version) {
  return read_single<SlaTermsVersion>([&](Connection& c) -> Result<SlaTermsVersion> {
    DUET_ASSIGN_OR_RETURN(std::optional<SlaTermsVersion> t, terms_row(c, version));
    if (!t) return missing("terms version");
    return std::move(*t);
  });
}

Result<std::vector<SlaTermsVersion>> SqliteStore::list_sla_terms() {
  return read_single<std::vector<SlaTermsVersion>>([&](Connection& c) -> Result<std::vector<SlaTermsVersion>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kListTerms.sqlite()));
    return sqlite::read_rows<SlaTermsVersion>(st, read_terms);
  });
}

Status SqliteStore::pin_tenant_sla_terms(const WriteContext& context, const TenantSlaTerms& pin) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(bool tenant, row_exists(c, kTenantExists.sqlite(), pin.tenant_id));
    if (!tenant) return missing("tenant");
    DUET_ASSIGN_OR_RETURN(std::optional<SlaTermsVersion> t, terms_row(c, pin.version));
    if (!t) return missing("terms version");
    bool changed = true;
    {
      DUET_ASSIGN_OR_RETURN(Statement cur, Statement::prepare(c, kPinnedVersion.sqlite()));
      cur.bind(1, pin.tenant_id);
      DUET_ASSIGN_OR_RETURN(bool row, cur.step());
      if (row) changed = cur.column_text(0) != pin.version;
    }
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kUpsertPin.sqlite()));
    st.bind(1, pin.tenant_id).bind(2, pin.version).bind(3, pin.pinned_at).bind(4, pin.pinned_by);
    DUET_TRY_STATUS(st.run());
    if (!changed) return Status::Ok();
    return sqlite::insert_tenant_notice(c, pin.tenant_id, NoticeKind::kSlaTermsChanged, pin.pinned_at, pin.pinned_at,
                                        pin.version);
  });
}

Result<std::optional<TenantSlaTerms>> SqliteStore::get_tenant_sla_terms(std::string_view tenant_id) {
  return read_single<std::optional<TenantSlaTerms>>([&](Connection& c) -> Result<std::optional<TenantSlaTerms>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kSelectPin.sqlite()));
    st.bind(1, tenant_id);
    DUET_ASSIGN_OR_RETURN(std::vector<TenantSlaTerms> v, sqlite::read_rows<TenantSlaTerms>(st, read_pin));
    if (v.empty()) return std::optional<TenantSlaTerms>();
    return std::optional<TenantSlaTerms>(std::move(v.front()));
  });
}

Status SqliteStore::file_sla_claim(const WriteContext& context, const SlaClaim& claim) {
  DUET_TRY_STATUS(validate_claim(claim));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(bool tenant, row_exists(c, kTenantExists.sqlite(), claim.tenant_id));
    if (!tenant) return missing("tenant");
    DUET_ASSIGN_OR_RETURN(bool taken, row_exists(c, kClaimForMonth.sqlite(), claim.tenant_id, claim.month));
    if (taken) return store_error(StoreError::kDuplicate, "a claim for this month exists");
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertClaim.sqlite()));
    st.bind(1, claim.tenant_id).bind(2, claim.claim_id).bind(3, claim.month).bind(4, claim.statement)
        .bind(5, claim.filed_by).bind(6, claim.filed_at).bind(7, claim.terms_version);
    return st.run();
  });
}

Result<SlaClaim> SqliteStore::get_sla_claim(std::string_view tenant_id, std::string_view claim_id) {
  return read_single<SlaClaim>([&](Connection& c) -> Result<SlaClaim> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kSelectClaim.sqlite()));
    st.bind(1, tenant_id).bind(2, claim_id);
    DUET_ASSIGN_OR_RETURN(std::vector<SlaClaim> v, sqlite::read_rows<SlaClaim>(st, read_claim));
    if (v.empty()) return missing("claim");
    return std::move(v.front());
  });
}

Result<SlaClaim> SqliteStore::find_sla_claim(std::string_view claim_id) {
  return read_single<SlaClaim>([&](Connection& c) { return claim_by_id(c, claim_id); });
}

Result<std::vector<SlaClaim>> SqliteStore::list_sla_claims(std::string_view tenant_id) {
  return read_single<std::vector<SlaClaim>>([&](Connection& c) -> Result<std::vector<SlaClaim>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kListClaims.sqlite()));
    st.bind(1, tenant_id);
    return sqlite::read_rows<SlaClaim>(st, read_claim);
  });
}

Status SqliteStore::decide_sla_claim(const WriteContext& context, std::string_view claim_id, SlaClaimState decision,
                                     std::string_view decided_by, std::string_view reason, UnixSeconds now,
                                     const std::vector<CreditGrant>& grants) {
  DUET_TRY_STATUS(validate_decision(decision, reason, grants.size()));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(SlaClaim claim, claim_by_id(c, claim_id));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kDecideClaim.sqlite()));
    st.bind(1, claim.tenant_id).bind(2, claim.claim_id).bind(3, claim_state_text(decision)).bind(4, now)
        .bind(5, decided_by).bind(6, reason);
    DUET_TRY_STATUS(st.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "the claim was already decided");
    for (const CreditGrant& g : grants) {
      DUET_ASSIGN_OR_RETURN(SlaCredit credit, sqlite::find_sla_credit(c, g.credit_id));
      if (credit.tenant_id != claim.tenant_id || credit.month != claim.month) return missing("credit");
      DUET_TRY_STATUS(sqlite::approve_sla_credit(c, g.credit_id, decided_by, now, g.bonus));
    }
    return Status::Ok();
  });
}

}  // namespace duet::store::sqlite_store
