// Monthly usage statements (issue 14 item 9, core/statements.h), registered
// by ApiRoutes:
//   GET /api/v1/statements/{month}[?format=json|csv]                       the tenant's (signed_business_request)
//   GET /admin/v1/tenants/{tenant_id}/statements/{month}[?format=json|csv]  operator, security_officer
#pragma once

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// `s` and `auth` must outlive the router. Without s.statements both answer 503.
void register_statement_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
