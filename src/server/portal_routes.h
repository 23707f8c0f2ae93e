// The tenant portal's API (/portal/v1, docs/portal.md; docs/api/openapi.yaml
// tag portal), registered by ApiRoutes, and the operator's routes that
// create portal users (/admin/v1/tenants/{tenant_id}/portal-users).
//
// Every /portal/v1 route but the sign-in and the FAQ runs behind
// RequestAuth::portal_session_request: the session cookie names the user and
// its tenant, and every answer is of that tenant only (the handlers pass the
// PortalContext to core::PortalService, which scopes every read by it).
#pragma once

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// Without a portal service (s.portal null) every route answers 503.
void register_portal_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
