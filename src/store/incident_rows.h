// The incident table's columns, row decoder and SQL, shared by both backends
// (sqlite_incidents.cc, pg_incidents.cc).
#pragma once

#include <optional>
#include <string_view>

#include "base/result.h"
#include "store/incident_records.h"
#include "store/row_reader.h"
#include "store/sql_text.h"
#include "store/store_error.h"

namespace duet::store {

// The checks every backend runs before writing (store/incidents.h).
inline Status validate_incident(const Incident& i) {
  auto invalid = [](const char* m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (i.incident_id.empty()) return invalid("incident id is empty");
  if (i.cause == IncidentCause::kCustomerSide && i.tenant_id.empty())
    return invalid("a customer-side incident names its tenant");
  for (const auto& t : {i.response_started_at, i.resolved_at, i.dr_switched_at})
    if (t && *t < i.started_at) return invalid("an incident's times cannot be before it started");
  return Status::Ok();
}

constexpr std::string_view kIncidentCols =
    "incident_id, tenant_id, services, cause, description, started_at, response_started_at, resolved_at, "
    "dr_switched_at, created_by, updated_by, created_at, updated_at";

inline Result<Incident> read_incident(const RowReader& r) {
  Incident i;
  i.incident_id = r.text(0);
  i.tenant_id = r.text(1);
  auto services = incident_services_from(r.text(2));
  auto cause = incident_cause_from(r.text(3));
  if (!services || !cause) return store_error(StoreError::kCorrupt, "unknown incident cause or services");
  i.services = *services;
  i.cause = *cause;
  i.description = r.text(4);
  i.started_at = r.get_int(5);
  i.response_started_at = r.optional_int(6);
  i.resolved_at = r.optional_int(7);
  i.dr_switched_at = r.optional_int(8);
  i.created_by = r.text(9);
  i.updated_by = r.text(10);
  i.created_at = r.get_int(11);
  i.updated_at = r.get_int(12);
  return i;
}

// (the columns in kIncidentCols order)
inline constexpr SqlText kInsertIncident{
    "INSERT INTO sla_incidents (incident_id, tenant_id, services, cause, description, started_at, "
    "response_started_at, resolved_at, dr_switched_at, created_by, updated_by, created_at, updated_at) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"};
// (id, services, cause, description, started, response, resolved, dr, updated_by, updated_at, expected updated_at)
inline constexpr SqlText kUpdateIncident{
    "UPDATE sla_incidents SET services = ?2, cause = ?3, description = ?4, started_at = ?5, "
    "response_started_at = ?6, resolved_at = ?7, dr_switched_at = ?8, updated_by = ?9, updated_at = ?10 "
    "WHERE incident_id = ?1 AND updated_at = ?11"};
// (from, to)
inline constexpr SqlText kListIncidents{
    "SELECT incident_id, tenant_id, services, cause, description, started_at, response_started_at, resolved_at, "
    "dr_switched_at, created_by, updated_by, created_at, updated_at FROM sla_incidents "
    "WHERE started_at < ?2 AND (resolved_at IS NULL OR resolved_at > ?1) ORDER BY started_at, incident_id"};
// (from, to, tenant)
inline constexpr SqlText kListTenantIncidents{
    "SELECT incident_id, tenant_id, services, cause, description, started_at, response_started_at, resolved_at, "
    "dr_switched_at, created_by, updated_by, created_at, updated_at FROM sla_incidents "
    "WHERE started_at < ?2 AND (resolved_at IS NULL OR resolved_at > ?1) AND tenant_id IN ('', ?3) "
    "ORDER BY started_at, incident_id"};
// (id)
inline constexpr SqlText kGetIncident{
    "SELECT incident_id, tenant_id, services, cause, description, started_at, response_started_at, resolved_at, "
    "dr_switched_at, created_by, updated_by, created_at, updated_at FROM sla_incidents WHERE incident_id = ?1"};

}  // namespace duet::store
