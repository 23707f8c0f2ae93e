// The three APIs of docs/api/openapi.yaml on an http::Router, one route file
// per API (the index of where a route lives):
//
//  - Business API /api/v1   server/business_routes.h (+ the tenant's packages, verify)
//  - Holder API   /app/v1   server/holder_routes.h
//  - Admin API    /admin/v1 server/admin_routes.h, server/sla_routes.h
//  - PKI          /pki      server/pki_routes.h (no authentication)
//  - GET /metrics           server/ops_routes.h (/healthz and /readyz are
//                           the http::Server built-ins)
//
// Authentication, roles, nonces, rate limits, the audit event of each
// request and the §6 error model are the wrappers of server/request_auth.h;
// request bodies are read with server/json_body.h and answered with the
// mappers of server/json_mapping.h. Malformed JSON is 400 bad_encoding; a
// missing field or a field of the wrong type is 400 invalid_argument naming
// the field. Handlers never throw.
//
// The core services are built by the Daemon and given in ApiServices
// (server/api_services.h); this object owns only the wrappers and the
// /metrics exporter.
#pragma once

#include <memory>

#include "http/metrics.h"
#include "http/router.h"
#include "server/api_services.h"
#include "server/ops_routes.h"

namespace duet::server {

class ApiRoutes {
 public:
  // What `services` refers to must outlive this object; the object must
  // outlive every router it registered on. `metrics` null: a registry of its own.
  // `health` feeds the health gauges of GET /metrics (server/ops_routes.h).
  ApiRoutes(ApiServices services, std::shared_ptr<http::MetricsRegistry> metrics, ServiceHealthProbe health);
  ~ApiRoutes();
  ApiRoutes(const ApiRoutes&) = delete;
  ApiRoutes& operator=(const ApiRoutes&) = delete;

  // Registers every route of openapi.yaml except the http::Server built-ins
  // /healthz and /readyz (GET /metrics is registered here).
  void register_routes(http::Router& router);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::server
