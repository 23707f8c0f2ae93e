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
    {"duet_pdf_refused_busy_total", "PDF requests refused because pdf.max_in_flight documents were in memory.",
     &core::CoreMetrics::pdf_refused_busy},
    {"duet_pdf_refused_tenant_share_total",
     "PDF requests refused because their tenant held pdf.max_in_flight_per_tenant documents in memory.",
     &core::CoreMetrics::pdf_refused_tenant_share},
};

constexpr const char* kPdfInFlight = "duet_pdf_documents_in_flight";

struct GaugeSpec {
  const char* name;
  const char* help;
  int64_t (*read)(const ServiceHealth&);
};

constexpr GaugeSpec kHealthGauges[] = {
    {"duet_ready", "1 when the node is ready (store and KEK available: what /readyz answers), else 0.",
     [](const ServiceHealth& h) -> int64_t { return h.ready() ? 1 : 0; }},
    {"duet_store_available", "1 when the store answers, else 0.",
     [](const ServiceHealth& h) -> int64_t { return h.store_available ? 1 : 0; }},
    {"duet_kek_available", "1 when the key-encryption key answers a seal/open check, else 0.",
     [](const ServiceHealth& h) -> int64_t { return h.kek_available ? 1 : 0; }},
    {"duet_callbacks_pending", "Webhook deliveries due and not yet delivered (all tenants, all nodes).",
     [](const ServiceHealth& h) { return h.callbacks_pending; }},
    {"duet_callbacks_oldest_pending_seconds", "How long the oldest due webhook delivery has been waiting.",
     [](const ServiceHealth& h) { return h.callbacks_oldest_pending_seconds; }},
};

}  // namespace

OpsRoutes::OpsRoutes(core::CoreMetrics& core, std::shared_ptr<http::MetricsRegistry> registry,
                     ServiceHealthProbe probe)
    : core_(core), registry_(std::move(registry)), probe_(std::move(probe)) {
  if (!registry_) registry_ = std::make_shared<http::MetricsRegistry>();
  for (const auto& c : kCoreCounters) registry_->declare(c.name, http::MetricsRegistry::Type::kCounter, c.help);
  registry_->declare(kPdfInFlight, http::MetricsRegistry::Type::kGauge,
                     "PDF documents held in memory now (at most pdf.max_in_flight).");
  if (probe_)
    for (const auto& g : kHealthGauges) registry_->declare(g.name, http::MetricsRegistry::Type::kGauge, g.help);
}

void OpsRoutes::export_core_metrics() {
  std::lock_guard<std::mutex> lock(export_mu_);
  for (const auto& c : kCoreCounters) {
    http::Counter& counter = registry_->counter(c.name);
    double v = static_cast<double>((core_.*(c.field)).load());
    if (v > counter.value()) counter.inc(v - counter.value());
  }
  registry_->gauge(kPdfInFlight).set(static_cast<double>(core_.pdf_in_flight.load()));
  if (!probe_) return;
  const ServiceHealth health = probe_();
  for (const auto& g : kHealthGauges) registry_->gauge(g.name).set(static_cast<double>(g.read(health)));
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
