// Admin API: disclosures of a tenant's audit events to a regulator (§4.4;
// core/audit_disclosures.h; docs/audit.md "Export for a regulator"):
//
//   POST /admin/v1/audit/disclosures                          auditor: request {tenant_id, from, to, purpose}
//   GET  /admin/v1/audit/disclosures                          auditor, security_officer
//   GET  /admin/v1/audit/disclosures/{disclosure_id}          auditor, security_officer
//   POST /admin/v1/audit/disclosures/{disclosure_id}/approve  security_officer, not the requester {reason?}
//   POST /admin/v1/audit/disclosures/{disclosure_id}/refuse   security_officer, not the requester {reason}
//   POST /admin/v1/audit/disclosures/{disclosure_id}/run      auditor, once after approval: the events
//
// Every call is an audited operator action (operator_request).
#pragma once

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

void register_disclosure_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
