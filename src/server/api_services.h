// The core services behind the three APIs, as the route files see them. The
// Daemon builds and owns every service (daemon.cc) and hands this set of
// references to ApiRoutes; no route file builds a service, and nothing
// reaches back from the routes for one.
#pragma once

#include "base/result.h"
#include "core/admin_service.h"
#include "core/audit_service.h"
#include "core/business_service.h"
#include "core/certificate_service.h"
#include "core/compensation_claims.h"
#include "core/core_deps.h"
#include "core/holder_service.h"
#include "core/metering.h"
#include "core/portal_service.h"
#include "core/rate_limit.h"
#include "core/retention.h"
#include "core/sla_service.h"
#include "core/statements.h"
#include "core/timestamp_service.h"

namespace duet::server {

class AuditRecorder;

// Every reference must outlive the ApiRoutes (and so the router) it is given to.
struct ApiServices {
  core::CoreDeps deps;
  core::AdminService& admin;
  core::BusinessService& business;
  core::HolderService& holders;
  core::AuditService& audit;        // audit key, checkpoints, operators
  core::MeteringService& metering;  // packages and notices
  core::RetentionService& retention;
  core::SlaService& sla;
  core::RateLimiter* limiter = nullptr;        // Business API rate limits; null: none
  core::CertificateService* certs = nullptr;   // the built-in CA; null: certificate routes answer 503
  core::TimestampService* tsa = nullptr;       // the time-stamping unit; null: /pki/tsa answers 503
  AuditRecorder& audit_recorder;     // request events no write transaction carried
  core::PortalService* portal = nullptr;  // the tenant portal; null: /portal/v1 routes answer 503
  core::CompensationClaimService* claims = nullptr;  // SLA terms and claims; null: their routes answer 503
  core::StatementService* statements = nullptr;      // monthly statements; null: their routes answer 503

  // The CA when it is loaded and can answer; 503 unavailable otherwise.
  Result<core::CertificateService*> ready_ca() const {
    if (certs == nullptr || !certs->ready()) return make_error(ErrorCode::kUnavailable, "the CA is not available");
    return certs;
  }
};

}  // namespace duet::server
