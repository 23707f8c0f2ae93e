// The SLA area's Admin API routes (issue 5 §2, §3, §7), registered by
// ApiRoutes::Impl::sla_routes:
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

#include <functional>
#include <initializer_list>
#include <string_view>

#include "core/core_deps.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"
#include "http/http.h"
#include "http/router.h"

namespace duet::server {

using SlaAdminFn = std::function<Result<http::Response>(const http::Request&, const core::OperatorContext&)>;

struct SlaRouteDeps {
  core::CoreDeps deps;
  core::SlaService& sla;
  core::RateLimiter* limiter;  // null: rate-limit routes answer 503
  // ApiRoutes' operator wrapper: authentication, roles, audit, error model.
  std::function<http::Handler(SlaAdminFn, std::initializer_list<std::string_view>)> admin;
};

void register_sla_routes(http::Router& r, SlaRouteDeps d);

// 429 rate_limited with Retry-After (seconds).
http::Response rate_limited_response(const http::Request& req, const core::RateDecision& d);

}  // namespace duet::server
