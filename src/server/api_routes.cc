#include "server/api_routes.h"

#include "server/admin_routes.h"
#include "server/business_routes.h"
#include "server/claim_routes.h"
#include "server/disclosure_routes.h"
#include "server/holder_routes.h"
#include "server/pki_routes.h"
#include "server/portal_routes.h"
#include "server/request_auth.h"
#include "server/sla_routes.h"
#include "server/incident_routes.h"
#include "server/notice_routes.h"
#include "server/statement_routes.h"

namespace duet::server {

struct ApiRoutes::Impl {
  ApiServices services;
  RequestAuth auth;
  OpsRoutes ops;

  Impl(ApiServices s, std::shared_ptr<http::MetricsRegistry> metrics, ServiceHealthProbe health)
      : services(s),
        auth(s.deps, s.admin, s.holders, s.audit_recorder, s.limiter),
        ops(s.deps.metrics, std::move(metrics), std::move(health)) {}
};

ApiRoutes::ApiRoutes(ApiServices services, std::shared_ptr<http::MetricsRegistry> metrics, ServiceHealthProbe health)
    : impl_(std::make_unique<Impl>(services, std::move(metrics), std::move(health))) {}

ApiRoutes::~ApiRoutes() = default;

void ApiRoutes::register_routes(http::Router& router) {
  Impl& m = *impl_;
  m.ops.register_routes(router);
  register_admin_routes(router, m.services, m.auth);
  register_business_routes(router, m.services, m.auth);
  register_holder_routes(router, m.services, m.auth);
  register_pki_routes(router, m.services);
  register_sla_routes(router, m.services, m.auth);
  register_portal_routes(router, m.services, m.auth);
  register_incident_routes(router, m.services, m.auth);
  register_notice_routes(router, m.services, m.auth);
  register_claim_routes(router, m.services, m.auth);
  register_disclosure_routes(router, m.services, m.auth);
  register_statement_routes(router, m.services, m.auth);
}

}  // namespace duet::server
