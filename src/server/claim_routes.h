// SLA terms and compensation claims (issue 14 item 4, core/compensation_claims.h),
// registered by ApiRoutes:
// Admin API (operator_request; reads: operator, security_officer; changes: operator):
//   POST /admin/v1/sla/terms                     the terms document itself as the body (JSON)
//   GET  /admin/v1/sla/terms                     recorded versions (version, digest, recorded_at/by)
//   GET  /admin/v1/sla/terms/{version}           one version with its document
//   PUT  /admin/v1/tenants/{tenant_id}/sla-terms {"version": "v1"}
//   GET  /admin/v1/sla/claims[?tenant=T]
//   GET  /admin/v1/sla/claims/{claim_id}         the claim, the month's figures and credits (核查)
//   POST /admin/v1/sla/claims/{claim_id}/approve {"reason": "..."} (optional)
//   POST /admin/v1/sla/claims/{claim_id}/refuse  {"reason": "..."} (required)
// Business API (signed_business_request):
//   GET  /api/v1/sla/terms                       the tenant's pinned version and document
//   POST /api/v1/sla/claims                      {"month": "YYYY-MM", "statement": "..."}
//   GET  /api/v1/sla/claims
//   GET  /api/v1/sla/claims/{claim_id}
#pragma once

#include <nlohmann/json.hpp>

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// `s` and `auth` must outlive the router. Without s.claims every route answers 503.
void register_claim_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

// A claim as the Business API and the portal answer it (docs/sla.md "Claims").
nlohmann::json sla_claim_json(const store::SlaClaim& c);

}  // namespace duet::server
