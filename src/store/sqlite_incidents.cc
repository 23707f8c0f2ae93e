// SqliteStore: the incident area (store/incidents.h), each call one
// transaction; SQL and row decoding shared with PostgreSQL (incident_rows.h).
#include "store/incident_rows.h"
#include "store/sqlite_row.h"
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

namespace {

Status require_tenant(Connection& c, std::string_view tenant_id) {
  if (tenant_id.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT 1 FROM tenants WHERE tenant_id = ?1"));
  st.bind(1, tenant_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kNotFound, "tenant not found");
  return Status::Ok();
}

Result<Incident> get_incident_in(Connection& c, std::string_view incident_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kGetIncident.sqlite()));
  st.bind(1, incident_id);
  DUET_ASSIGN_OR_RETURN(std::vector<Incident> v, sqlite::read_rows<Incident>(st, read_incident));
  if (v.empty()) return store_error(StoreError::kNotFound, "incident not found");
  return std::move(v.front());
}

}  // namespace

Status SqliteStore::create_incident(const WriteContext& context, const Incident& i) {
  DUET_TRY_STATUS(validate_incident(i));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(require_tenant(c, i.tenant_id));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertIncident.sqlite()));
    st.bind(1, i.incident_id).bind(2, i.tenant_id).bind(3, incident_services_text(i.services))
        .bind(4, incident_cause_text(i.cause)).bind(5, i.description).bind(6, i.started_at)
        .bind(7, i.response_started_at).bind(8, i.resolved_at).bind(9, i.dr_switched_at).bind(10, i.created_by)
        .bind(11, i.updated_by).bind(12, i.created_at).bind(13, i.updated_at);
    return st.run();
  });
}

Result<Incident> SqliteStore::get_incident(std::string_view incident_id) {
  return read_single<Incident>([&](Connection& c) { return get_incident_in(c, incident_id); });
}

Status SqliteStore::update_incident(const WriteContext& context, const Incident& i, UnixSeconds expected_updated_at) {
  DUET_TRY_STATUS(validate_incident(i));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Incident stored, get_incident_in(c, i.incident_id));
    if (i.cause == IncidentCause::kCustomerSide && stored.tenant_id.empty())
      return make_error(ErrorCode::kInvalidArgument, "a customer-side incident names its tenant");
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kUpdateIncident.sqlite()));
    st.bind(1, i.incident_id).bind(2, incident_services_text(i.services)).bind(3, incident_cause_text(i.cause))
        .bind(4, i.description).bind(5, i.started_at).bind(6, i.response_started_at).bind(7, i.resolved_at)
        .bind(8, i.dr_switched_at).bind(9, i.updated_by).bind(10, i.updated_at).bind(11, expected_updated_at);
    DUET_TRY_STATUS(st.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "the incident was changed meanwhile");
    return Status::Ok();
  });
}

Result<std::vector<Incident>> SqliteStore::list_incidents(UnixSeconds from, UnixSeconds to,
                                                          std::optional<std::string_view> tenant_id) {
  return read_single<std::vector<Incident>>([&](Connection& c) -> Result<std::vector<Incident>> {
    DUET_ASSIGN_OR_RETURN(Statement st,
                          Statement::prepare(c, tenant_id ? kListTenantIncidents.sqlite() : kListIncidents.sqlite()));
    st.bind(1, from).bind(2, to);
    if (tenant_id) st.bind(3, *tenant_id);
    return sqlite::read_rows<Incident>(st, read_incident);
  });
}

}  // namespace duet::store::sqlite_store
