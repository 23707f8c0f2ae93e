// Incident routes (issue 14 item 3, docs/sla.md "Incidents"):
//   POST  /admin/v1/incidents                 record one (operator)
//   GET   /admin/v1/incidents[?from=&to=&tenant=]   (operator, security officer)
//   GET   /admin/v1/incidents/{incident_id}
//   PATCH /admin/v1/incidents/{incident_id}   change fields; a time set to null is cleared (operator)
//   GET   /api/v1/incidents[?from=&to=]       the tenant's view: every tenant's and its own
// Every change is audited by the operator_request wrapper (action, operator,
// incident id). The handlers own one core::IncidentService over the store.
#pragma once

#include <nlohmann/json.hpp>

#include "core/incident_service.h"
#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// An incident as the APIs show it: with `for_operator`, who recorded and
// changed it (operator names are not shown to tenants).
nlohmann::json incident_json(const store::Incident& i, int64_t now, bool for_operator);

void register_incident_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
