// The three APIs of docs/api/openapi.yaml on an http::Router: JSON ⇄ core
// structs, authentication of each API, the §6 error model.
//
//  - Business API /api/v1: core::authenticate_business_request over the raw
//    path and raw query string exactly as received.
//  - Holder API /app/v1: "Authorization: Bearer <device token>"
//    (POST /app/v1/activations needs none: the activation code is the credential).
//  - Admin API /admin/v1: "Authorization: Bearer <admin token>".
//  - PKI /pki (no authentication): CA certificates, CRLs (application/pkix-crl)
//    and the OCSP responder (POST application/ocsp-request → application/ocsp-response).
//  - GET /metrics: the http registry with core::CoreMetrics exported as
//    duet_*_total counters, brought up to date at each scrape.
//    (/healthz and /readyz are the http::Server built-ins.)
//
// Malformed JSON is 400 bad_encoding; a missing field or a field of the wrong
// type is 400 invalid_argument naming the field. Handlers never throw.
//
// Idempotent order creation: with an Idempotency-Key the core returns the
// first order on a repeat. The answer is 201 when this request created the
// order and 200 for a repeat. A repeat is recognised when the order was
// created before this request started (created_at < the clock at entry) or
// when its id was already answered by this process (a bounded in-memory set,
// which covers repeats within the same second on one node).
#pragma once

#include <memory>

#include "core/admin_service.h"
#include "core/audit_service.h"
#include "core/business_service.h"
#include "core/certificate_service.h"
#include "core/core_deps.h"
#include "core/holder_service.h"
#include "core/retention.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"
#include "http/metrics.h"
#include "http/router.h"

namespace duet::server {

class AuditRecorder;

class ApiRoutes {
 public:
  // `deps` (and what it refers to) and `metrics` must outlive this object;
  // the object must outlive every router/server it registered on.
  // `certs` (nullable: no certificate and /pki routes then) must outlive this object.
  ApiRoutes(core::CoreDeps deps, std::shared_ptr<http::MetricsRegistry> metrics,
            core::CertificateService* certs = nullptr);
  ~ApiRoutes();
  ApiRoutes(const ApiRoutes&) = delete;
  ApiRoutes& operator=(const ApiRoutes&) = delete;

  // Registers every route of openapi.yaml except the http::Server built-ins
  // /healthz and /readyz (GET /metrics is registered here).
  void register_routes(http::Router& router);

  // Copies the core counters into the registry (done by GET /metrics).
  void export_core_metrics();

  core::AdminService& admin();
  core::BusinessService& business();
  core::HolderService& holders();
  // The audit log's service side (key, checkpoints, operators) and the
  // writer of request events no write transaction carried (audit_recorder.h).
  core::AuditService& audit();
  AuditRecorder& audit_recorder();
  // The retention service of GET/PUT /admin/v1/retention (must outlive this
  // object); call before register_routes. Unset: one with the default settings.
  void set_retention(core::RetentionService* retention);
  // The SLA services (reports, credits, maintenance windows) and the
  // Business API rate limiter (both must outlive this object; the limiter
  // may be null: no limits); call before register_routes. Unset: an
  // SlaService with the default settings and no rate limits.
  void set_sla(core::SlaService* sla, core::RateLimiter* limiter);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Strict base64 (RFC 4648 §4, with padding, no whitespace, canonical trailing
// bits); nullopt when malformed.
std::optional<Bytes> decode_base64(std::string_view text);
std::string encode_base64(ByteView data);

}  // namespace duet::server
