// The SLA area's Admin API routes (issue 5 §2, §3, §7), registered by
// ApiRoutes behind RequestAuth::operator_request:
//   GET    /admin/v1/sla/report?month=YYYY-MM[&tenant=T]   monthly report (JSON)
//   GET    /admin/v1/sla/credits[?tenant=T][&month=M]      proposed / approved credits
//   POST   /admin/v1/sla/credits/{credit_id}/approve       grant once (409 after)
//   POST   /admin/v1/maintenance-windows                   {starts_at, ends_at, description}
//   GET    /admin/v1/maintenance-windows[?from=&to=]
//   DELETE /admin/v1/maintenance-windows/{window_id}       only before it starts (409 after)
//   GET    /admin/v1/tenants/{tenant_id}/rate-limit        production limit (null: unlimited)
//   PUT    /admin/v1/tenants/{tenant_id}/rate-limit        {requests_per_second: N | 0 | null}
// Reads are for the operator and security_officer roles, changes for the
// operator role (the auditor reads only the audit log).
#pragma once

#include <nlohmann/json.hpp>

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// `s` and `auth` must outlive the router. Without a rate limiter
// (s.limiter null) PUT …/rate-limit answers 503.
void register_sla_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

// The JSON of a monthly report and of a credit, as GET /admin/v1/sla/report
// answers them (the tenant portal shows the same figures).
nlohmann::json sla_report_json(const core::SlaMonthlyReport& r, int64_t now);
nlohmann::json sla_credit_json(const store::SlaCredit& c);

}  // namespace duet::server
