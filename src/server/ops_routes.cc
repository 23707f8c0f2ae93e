#include "server/ops_routes.h"

#include <atomic>

namespace duet::server {

namespace {

struct CounterSpec {
  const char* name;
  const char* help;
  std::atomic<uint64_t> core::CoreMetrics::*field;
};

constexpr CounterSpec kCoreCounters[] = {
    {"duet_cosignatures_total", "Items signed by the two-party protocol.", &core::CoreMetrics::cosignatures},
    {"duet_sign_attempts_total", "Signing attempts counted against holders (step-2 answers).",
     &core::CoreMetrics::sign_attempts},
    {"duet_failed_signatures_total", "Final signatures that did not verify (e.g. wrong PIN).",
     &core::CoreMetrics::failed_signatures},
    {"duet_holder_locks_total", "Attempts that locked a holder's key.", &core::CoreMetrics::holder_locks},
    {"duet_enrollments_total", "Completed enrollments (activation codes redeemed).", &core::CoreMetrics::enrollments},
    {"duet_callbacks_delivered_total", "Webhook deliveries acknowledged with 2xx.",
     &core::CoreMetrics::callbacks_delivered},
    {"duet_callbacks_failed_total", "Webhook delivery attempts that failed.", &core::CoreMetrics::callbacks_failed},
    {"duet_orders_expired_total", "Orders moved to expired by the sweeper.", &core::CoreMetrics::orders_expired},
    {"duet_certificates_issued_total", "Holder certificates issued (certificate requests co-signed).",
     &core::CoreMetrics::certificates_issued},
    {"duet_certificates_revoked_total", "Holder certificates revoked.", &core::CoreMetrics::certificates_revoked},
};

}  // namespace

OpsRoutes::OpsRoutes(core::CoreMetrics& core, std::shared_ptr<http::MetricsRegistry> registry)
    : core_(core), registry_(std::move(registry)) {
  if (!registry_) registry_ = std::make_shared<http::MetricsRegistry>();
  for (const auto& c : kCoreCounters) registry_->declare(c.name, http::MetricsRegistry::Type::kCounter, c.help);
}

void OpsRoutes::export_core_metrics() {
  std::lock_guard<std::mutex> lock(export_mu_);
  for (const auto& c : kCoreCounters) {
    http::Counter& counter = registry_->counter(c.name);
    double v = static_cast<double>((core_.*(c.field)).load());
    if (v > counter.value()) counter.inc(v - counter.value());
  }
}

void OpsRoutes::register_routes(http::Router& r) {
  r.get("/metrics", [this](const http::Request&) {
    export_core_metrics();
    http::Response resp;
    resp.status = 200;
    resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    resp.body = registry_->render();
    return resp;
  });
}

}  // namespace duet::server
