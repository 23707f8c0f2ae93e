// The SLA area's background work in duetd (one thread, a one-second tick):
//   - flushes the availability recorder every [sla] flush_interval_ms, and
//     once more at stop() (after the HTTP server drained);
//   - runs the self-check probe once per minute of the service clock
//     (core::run_self_check) and records its result for that minute;
//   - reloads the production rate limits every [limits] refresh_seconds and
//     prunes rate-limit windows older than a minute;
//   - once an hour proposes the credits of the previous month (the report
//     of an ended month does that; idempotent).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/availability.h"
#include "core/core_deps.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"

namespace duet::server {

class SlaWorkers {
 public:
  SlaWorkers(core::CoreDeps deps, core::AvailabilityRecorder& recorder, core::SlaService& sla,
             core::RateLimiter* limiter);
  ~SlaWorkers();
  SlaWorkers(const SlaWorkers&) = delete;
  SlaWorkers& operator=(const SlaWorkers&) = delete;

  void start();
  // Stops the loop and flushes what is left. Idempotent.
  void stop();

 private:
  void run();
  void tick();

  core::CoreDeps deps_;
  core::AvailabilityRecorder& recorder_;
  core::SlaService& sla_;
  core::RateLimiter* limiter_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
  int64_t last_probe_minute_ = -1;
  int64_t last_flush_ms_ = 0, last_refresh_ms_ = 0, last_proposal_ms_ = -3'600'000;
};

}  // namespace duet::server
