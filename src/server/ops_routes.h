// The operational routes: GET /metrics, the http registry (request counters
// and histograms of the http layer) with core::CoreMetrics exported as
// duet_*_total counters and the ServiceHealth gauges, brought up to date at
// each scrape. (/healthz and /readyz are the http::Server built-ins.) The
// alert rules over these series are deploy/prometheus/duet-alerts.yml.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "core/core_deps.h"
#include "http/metrics.h"
#include "http/router.h"

namespace duet::server {

// What a scrape reads from the node's dependencies, exported as gauges:
// duet_ready, duet_store_available, duet_kek_available (1 or 0),
// duet_callbacks_pending and duet_callbacks_oldest_pending_seconds.
struct ServiceHealth {
  bool store_available = false;
  bool kek_available = false;
  // The webhook backlog (store::CallbackBacklog); unknown (store down): 0.
  int64_t callbacks_pending = 0;
  int64_t callbacks_oldest_pending_seconds = 0;  // now - the oldest due job's time
  // What /readyz answers (the daemon's readiness rule, draining aside).
  bool ready() const { return store_available && kek_available; }
};
using ServiceHealthProbe = std::function<ServiceHealth()>;

class OpsRoutes {
 public:
  // `core` must outlive this object; this object must outlive the router.
  // Declares the duet_*_total counters and the health gauges in `registry` (a
  // new one when null). `probe` null: the health gauges are not exported.
  OpsRoutes(core::CoreMetrics& core, std::shared_ptr<http::MetricsRegistry> registry, ServiceHealthProbe probe);

  void register_routes(http::Router& r);

  // Copies the core counters into the registry and reads the health probe
  // (done by GET /metrics).
  void export_core_metrics();

 private:
  core::CoreMetrics& core_;
  std::shared_ptr<http::MetricsRegistry> registry_;
  ServiceHealthProbe probe_;
  std::mutex export_mu_;
};

}  // namespace duet::server
