// Availability accounting (issue 5 §2, docs/sla.md): per-minute request
// outcomes per tenant and for the whole service, aggregated in memory by the
// request path and flushed to the store with additive upserts (so several
// nodes add up), and the service's own probe for minutes without traffic.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "core/clock.h"
#include "keys/data_protector.h"
#include "store/sla.h"
#include "store/store.h"

namespace duet::core {

// An answer is normal when it is not a 5xx and took less than 3 s (the
// SLA's wording; `slow_us` only changes in tests).
inline constexpr int64_t kSlowAnswerUs = 3'000'000;
bool is_normal_answer(int status, int64_t duration_us, int64_t slow_us = kSlowAnswerUs);

// The monitoring endpoints (/healthz, /readyz, /metrics) are not service
// traffic: a load balancer's health checks must not decide a minute.
bool counts_for_availability(std::string_view route);

// Minute start of a Unix time.
inline UnixSeconds minute_of(UnixSeconds t) { return t >= 0 ? t - t % 60 : t - ((t % 60) + 60) % 60; }

class AvailabilityRecorder {
 public:
  // With a node_id, every request and probe is also counted in the row of
  // tenant_id "node:<node_id>": which node answered and probed in each minute
  // (several nodes, issue 6). Reports read only the service and tenant rows
  // (tenant ids never start with "node:").
  AvailabilityRecorder(store::SlaStore& store, const Clock& clock, int64_t slow_us = kSlowAnswerUs,
                       std::string node_id = "");

  // Counts one answered request in the current minute, for the service row,
  // the node's row and (when known) the tenant's row. Thread-safe, no store call.
  void record_request(std::string_view route, std::string_view tenant_id, int status, int64_t duration_us);
  // Counts one self-check result in the current minute (service row).
  void record_probe(bool ok);

  // Writes everything aggregated since the last flush in one store call
  // (add_availability). On failure the counts are kept and retried by the
  // next flush (the failed transaction added nothing). At most
  // kMaxPendingRows rows are kept; beyond that the oldest minutes are
  // dropped (they will read as unavailable: the store was down).
  Status flush();
  size_t pending_rows() const;

  static constexpr size_t kMaxPendingRows = 100'000;

 private:
  using Key = std::pair<UnixSeconds, std::string>;  // (minute, tenant_id)
  void add_locked(const store::AvailabilityMinute& d);

  store::SlaStore& store_;
  const Clock& clock_;
  int64_t slow_us_;
  std::string node_row_;  // "node:<id>", or "" without a node id
  mutable std::mutex mu_;
  std::map<Key, store::AvailabilityMinute> rows_;
};

// The probe: a real self-check of what a request needs. Reads the store
// (schema version and the tenant list) and runs a crypto round trip through
// the data protector (seal + open of fresh random bytes). Ok when all passed.
Status run_self_check(store::Store& store, keys::DataProtector& protector);

}  // namespace duet::core
