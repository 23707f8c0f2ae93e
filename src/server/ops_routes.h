// The operational routes: GET /metrics, the http registry (request counters
// and histograms of the http layer) with core::CoreMetrics exported as
// duet_*_total counters, brought up to date at each scrape. (/healthz and
// /readyz are the http::Server built-ins.)
#pragma once

#include <memory>
#include <mutex>

#include "core/core_deps.h"
#include "http/metrics.h"
#include "http/router.h"

namespace duet::server {

class OpsRoutes {
 public:
  // `core` must outlive this object; this object must outlive the router.
  // Declares the duet_*_total counters in `registry` (a new one when null).
  OpsRoutes(core::CoreMetrics& core, std::shared_ptr<http::MetricsRegistry> registry);

  void register_routes(http::Router& r);

  // Copies the core counters into the registry (done by GET /metrics).
  void export_core_metrics();

 private:
  core::CoreMetrics& core_;
  std::shared_ptr<http::MetricsRegistry> registry_;
  std::mutex export_mu_;
};

}  // namespace duet::server
