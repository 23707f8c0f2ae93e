// store::CallbackStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). The callback (webhook) queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

// The webhook deliveries waiting for a worker (GET /metrics, the alert rules
// of deploy/prometheus): `due` undelivered jobs whose next attempt is at or
// before the time asked (leased ones included: a delivery in progress is
// still waiting), and the earliest next_attempt_at among them. Jobs that
// gave up after callback_max_attempts (core/callbacks.h) are never due.
struct CallbackBacklog {
  int64_t due = 0;
  std::optional<UnixSeconds> oldest_due_at;
};

class CallbackStore {
 public:
  virtual ~CallbackStore() = default;

  // --- callback queue -------------------------------------------------------
  // Enqueues a job on its own (tenant_id and order_id must be set; created_at
  // is taken from the job). Notice webhooks (order_id empty) are enqueued
  // only by sweep_package_notices. In every call that takes a CallbackJob, the
  // store sets tenant_id/order_id to the order's, makes job_id with
  // new_id("cbk_") if empty, and starts attempts at 0 without a lease; an
  // empty url is kInvalidArgument.
  virtual Status enqueue_callback(const WriteContext& context, const CallbackJob& job) = 0;
  virtual Result<CallbackJob> get_callback(std::string_view tenant_id, std::string_view job_id) = 0;
  // Leases up to `limit` due jobs (all tenants): undelivered, next_attempt_at
  // <= now, and no lease or an expired one. Each is leased to `worker` until
  // now + lease_seconds and its attempts incremented; a job is leased to one
  // worker at a time.
  virtual Result<std::vector<CallbackJob>> claim_due_callbacks(const WriteContext& context, std::string_view worker,
                                                               UnixSeconds now, int lease_seconds, size_t limit) = 0;
  // Records delivery; succeeds once per job (kConflict afterwards).
  virtual Status mark_callback_delivered(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view job_id, UnixSeconds now) = 0;
  // Records a failed delivery by the lease holder: lease released, last_error
  // set, retried at next_attempt_at. kConflict if `worker` no longer holds
  // the lease or the job was delivered.
  virtual Status mark_callback_failed(const WriteContext& context, std::string_view tenant_id, std::string_view job_id,
                                      std::string_view worker, std::string_view error, UnixSeconds next_attempt_at) = 0;
  // The backlog at `now` (all tenants; CallbackBacklog). A read: one indexed
  // range over the due jobs.
  virtual Result<CallbackBacklog> callback_backlog(UnixSeconds now) = 0;
};

}  // namespace duet::store
