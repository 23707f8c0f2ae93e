#include "server/sla_workers.h"

#include <algorithm>
#include <chrono>

#include "server/log.h"

namespace duet::server {

namespace {
int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
void warn(const char* event, const Error& e) {
  log_event("warn", event, {{"code", std::string(error_code_name(e.code))}, {"message", e.message}});
}
}  // namespace

SlaWorkers::SlaWorkers(core::CoreDeps deps, core::AvailabilityRecorder& recorder, core::SlaService& sla,
                       core::RateLimiter* limiter)
    : deps_(deps), recorder_(recorder), sla_(sla), limiter_(limiter) {}

SlaWorkers::~SlaWorkers() { stop(); }

void SlaWorkers::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  if (limiter_ != nullptr) {
    if (Status s = limiter_->refresh(); !s.ok()) warn("rate_limits_refresh_failed", s.error());
  }
  thread_ = std::thread([this] { run(); });
}

void SlaWorkers::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status s = recorder_.flush(); !s.ok()) warn("availability_flush_failed", s.error());
}

void SlaWorkers::run() {
  log_event("info", "worker_started", {{"worker", "sla"}});
  for (;;) {
    try {
      tick();
    } catch (const std::exception& e) {
      log_event("error", "worker_exception", {{"worker", "sla"}, {"message", e.what()}});
    }
    std::unique_lock lock(mu_);
    int64_t wait_ms = std::min<int64_t>(1000, std::max<int64_t>(50, sla_.config().flush_interval_ms));
    if (cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_; })) break;
  }
  log_event("info", "worker_stopped", {{"worker", "sla"}});
}

void SlaWorkers::tick() {
  int64_t now_ms = steady_ms();
  core::UnixSeconds now = deps_.clock.now();
  // One probe per minute of the service clock.
  int64_t minute = core::minute_of(now);
  int64_t probe_every = std::max<int64_t>(1, sla_.config().probe_interval_seconds / 60);
  if (last_probe_minute_ < 0 || minute >= last_probe_minute_ + 60 * probe_every) {
    last_probe_minute_ = minute;
    Status s = core::run_self_check(deps_.store, deps_.protector);
    recorder_.record_probe(s.ok());
    if (!s.ok()) warn("sla_probe_failed", s.error());
  }
  if (now_ms - last_flush_ms_ >= sla_.config().flush_interval_ms) {
    last_flush_ms_ = now_ms;
    if (Status s = recorder_.flush(); !s.ok()) warn("availability_flush_failed", s.error());
  }
  if (limiter_ != nullptr && now_ms - last_refresh_ms_ >= limiter_->config().refresh_seconds * 1000) {
    last_refresh_ms_ = now_ms;
    if (Status s = limiter_->refresh(); !s.ok()) warn("rate_limits_refresh_failed", s.error());
    auto pruned = deps_.store.prune_rate_windows({}, now - 60);
    if (!pruned.ok()) warn("rate_windows_prune_failed", pruned.error());
  }
  if (now_ms - last_proposal_ms_ >= 3'600'000) {
    last_proposal_ms_ = now_ms;
    auto range = core::month_range(core::month_of(now, sla_.config().calendar.utc_offset_minutes),
                                   sla_.config().calendar.utc_offset_minutes);
    if (range.ok() && now >= range->from + 120) {
      std::string previous = core::month_of(range->from - 1, sla_.config().calendar.utc_offset_minutes);
      auto r = sla_.report({}, previous, "", now);
      if (!r.ok()) warn("sla_credit_proposal_failed", r.error());
    }
  }
}

}  // namespace duet::server
