// SqliteStore: disclosures of a tenant's audit events to a regulator
// (store/audit_disclosures.h), each call one transaction.
#include "store/area_sql.h"
#include "store/audit_disclosure_rows.h"
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

using namespace audit_disclosure_rows;

namespace {

Result<AuditDisclosure> disclosure_by_id(Connection& c, std::string_view id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kSelect.sqlite()));
  st.bind(1, id);
  DUET_ASSIGN_OR_RETURN(std::vector<AuditDisclosure> v, sqlite::read_rows<AuditDisclosure>(st, read_disclosure));
  if (v.empty()) return store_error(StoreError::kNotFound, "disclosure not found");
  return std::move(v.front());
}

}  // namespace

Status SqliteStore::request_audit_disclosure(const WriteContext& context, const AuditDisclosure& d) {
  DUET_TRY_STATUS(validate_request(d));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement exists, Statement::prepare(c, kTenantExists.sqlite()));
    exists.bind(1, d.tenant_id);
    DUET_ASSIGN_OR_RETURN(bool tenant, exists.step());
    if (!tenant) return store_error(StoreError::kNotFound, "tenant not found");
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsert.sqlite()));
    st.bind(1, d.disclosure_id).bind(2, d.tenant_id).bind(3, d.from).bind(4, d.to).bind(5, d.purpose)
        .bind(6, d.requested_by).bind(7, d.requested_at);
    return st.run();
  });
}

Result<AuditDisclosure> SqliteStore::get_audit_disclosure(std::string_view disclosure_id) {
  return read_single<AuditDisclosure>([&](Connection& c) { return disclosure_by_id(c, disclosure_id); });
}

Result<std::vector<AuditDisclosure>> SqliteStore::list_audit_disclosures() {
  return read_single<std::vector<AuditDisclosure>>([&](Connection& c) -> Result<std::vector<AuditDisclosure>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kList.sqlite()));
    return sqlite::read_rows<AuditDisclosure>(st, read_disclosure);
  });
}

Status SqliteStore::decide_audit_disclosure(const WriteContext& context, std::string_view disclosure_id,
                                            DisclosureState decision, std::string_view decided_by,
                                            std::string_view reason, UnixSeconds now) {
  DUET_TRY_STATUS(validate_decision(decision, reason));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(AuditDisclosure d, disclosure_by_id(c, disclosure_id));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kDecide.sqlite()));
    st.bind(1, d.disclosure_id).bind(2, state_text(decision)).bind(3, now).bind(4, decided_by).bind(5, reason);
    DUET_TRY_STATUS(st.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "the disclosure was already decided");
    return Status::Ok();
  });
}

Status SqliteStore::mark_audit_disclosure_run(const WriteContext& context, std::string_view disclosure_id,
                                              std::string_view run_by, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(AuditDisclosure d, disclosure_by_id(c, disclosure_id));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kMarkRun.sqlite()));
    st.bind(1, d.disclosure_id).bind(2, now).bind(3, run_by);
    DUET_TRY_STATUS(st.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "the disclosure is not approved, or already run");
    return Status::Ok();
  });
}

}  // namespace duet::store::sqlite_store
