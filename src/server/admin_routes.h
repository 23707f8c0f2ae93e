// The Admin API (/admin/v1) of docs/api/openapi.yaml, all behind
// RequestAuth::operator_request ("Authorization: Bearer <operator token>"):
//   tenants and apps (operator role only): create, list, get, production
//     activation, signature-v1 cut-off, suspend/resume, app credentials and settings;
//   packages and webhook target of a tenant (core/metering.h);
//   the audit log, its checkpoints (auditor, security_officer) and the
//     operators (security_officer; docs/operations-roles.md);
//   retention settings and purges (core/retention.h; changes: security_officer).
// The SLA area's Admin routes are in server/sla_routes.h.
#pragma once

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// `s` and `auth` must outlive the router.
void register_admin_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
