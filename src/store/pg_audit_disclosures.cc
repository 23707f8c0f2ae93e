// PgStore: disclosures of a tenant's audit events to a regulator
// (store/audit_disclosures.h); mirrors sqlite_audit_disclosures.cc. Each
// step is one conditional update, so two officers deciding at once (or two
// auditors running at once): one wins, the other is kConflict.
#include "store/area_sql.h"
#include "store/audit_disclosure_rows.h"
#include "store/pg_areas.h"
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

using namespace audit_disclosure_rows;

namespace {

Result<AuditDisclosure> disclosure_by_id(Connection& c, std::string_view id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kSelect.pg(), {id}));
  DUET_ASSIGN_OR_RETURN(std::vector<AuditDisclosure> v, pg::read_rows<AuditDisclosure>(r, read_disclosure));
  if (v.empty()) return not_found("disclosure");
  return std::move(v.front());
}

}  // namespace

Status PgStore::request_audit_disclosure(const WriteContext& context, const AuditDisclosure& d) {
  DUET_TRY_STATUS(validate_request(d));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Rows t, c.query(kTenantExists.pg(), {d.tenant_id}));
    if (t.empty()) return not_found("tenant");
    return pg::run(c, kInsert.pg(),
                   {d.disclosure_id, d.tenant_id, d.from, d.to, d.purpose, d.requested_by, d.requested_at});
  });
}

Result<AuditDisclosure> PgStore::get_audit_disclosure(std::string_view disclosure_id) {
  return read_single<AuditDisclosure>([&](Connection& c) { return disclosure_by_id(c, disclosure_id); });
}

Result<std::vector<AuditDisclosure>> PgStore::list_audit_disclosures() {
  return read_single<std::vector<AuditDisclosure>>([&](Connection& c) -> Result<std::vector<AuditDisclosure>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kList.pg()));
    return pg::read_rows<AuditDisclosure>(r, read_disclosure);
  });
}

Status PgStore::decide_audit_disclosure(const WriteContext& context, std::string_view disclosure_id,
                                        DisclosureState decision, std::string_view decided_by,
                                        std::string_view reason, UnixSeconds now) {
  DUET_TRY_STATUS(validate_decision(decision, reason));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(AuditDisclosure d, disclosure_by_id(c, disclosure_id));
    DUET_ASSIGN_OR_RETURN(int64_t n,
                          changes(c, kDecide.pg(), {d.disclosure_id, state_text(decision), now, decided_by, reason}));
    if (n != 1) return conflict("the disclosure was already decided");
    return Status::Ok();
  });
}

Status PgStore::mark_audit_disclosure_run(const WriteContext& context, std::string_view disclosure_id,
                                          std::string_view run_by, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(AuditDisclosure d, disclosure_by_id(c, disclosure_id));
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kMarkRun.pg(), {d.disclosure_id, now, run_by}));
    if (n != 1) return conflict("the disclosure is not approved, or already run");
    return Status::Ok();
  });
}

}  // namespace duet::store::pg_store
