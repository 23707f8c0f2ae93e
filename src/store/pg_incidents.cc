// PgStore: the incident area (store/incidents.h); mirrors sqlite_incidents.cc
// with the same SQL and row decoding (incident_rows.h).
#include "store/incident_rows.h"
#include "store/pg_store_impl.h"
#include "store/pg_util.h"

namespace duet::store::pg_store {

namespace {

Status require_tenant(Connection& c, std::string_view tenant_id) {
  if (tenant_id.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT 1 FROM tenants WHERE tenant_id = $1", {tenant_id}));
  if (r.empty()) return pg::not_found("tenant");
  return Status::Ok();
}

Result<Incident> get_incident_in(Connection& c, std::string_view incident_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kGetIncident.pg(), {incident_id}));
  DUET_ASSIGN_OR_RETURN(std::vector<Incident> v, pg::read_rows<Incident>(r, read_incident));
  if (v.empty()) return pg::not_found("incident");
  return std::move(v.front());
}

}  // namespace

Status PgStore::create_incident(const WriteContext& context, const Incident& i) {
  DUET_TRY_STATUS(validate_incident(i));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(require_tenant(c, i.tenant_id));
    return pg::run(c, kInsertIncident.pg(),
                   {i.incident_id, i.tenant_id, incident_services_text(i.services), incident_cause_text(i.cause),
                    i.description, i.started_at, i.response_started_at, i.resolved_at, i.dr_switched_at,
                    i.created_by, i.updated_by, i.created_at, i.updated_at});
  });
}

Result<Incident> PgStore::get_incident(std::string_view incident_id) {
  return read_single<Incident>([&](Connection& c) { return get_incident_in(c, incident_id); });
}

Status PgStore::update_incident(const WriteContext& context, const Incident& i, UnixSeconds expected_updated_at) {
  DUET_TRY_STATUS(validate_incident(i));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Incident stored, get_incident_in(c, i.incident_id));
    if (i.cause == IncidentCause::kCustomerSide && stored.tenant_id.empty())
      return pg::invalid("a customer-side incident names its tenant");
    DUET_ASSIGN_OR_RETURN(int64_t n, pg::changes(c, kUpdateIncident.pg(),
        {i.incident_id, incident_services_text(i.services), incident_cause_text(i.cause), i.description,
         i.started_at, i.response_started_at, i.resolved_at, i.dr_switched_at, i.updated_by, i.updated_at,
         expected_updated_at}));
    if (n != 1) return pg::conflict("the incident was changed meanwhile");
    return Status::Ok();
  });
}

Result<std::vector<Incident>> PgStore::list_incidents(UnixSeconds from, UnixSeconds to,
                                                      std::optional<std::string_view> tenant_id) {
  return read_single<std::vector<Incident>>([&](Connection& c) -> Result<std::vector<Incident>> {
    Result<Rows> r = tenant_id ? c.query(kListTenantIncidents.pg(), {from, to, *tenant_id})
                               : c.query(kListIncidents.pg(), {from, to});
    if (!r.ok()) return Unexpected{r.error()};
    return pg::read_rows<Incident>(*r, read_incident);
  });
}

}  // namespace duet::store::pg_store
