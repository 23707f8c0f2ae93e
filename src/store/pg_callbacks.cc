// PgStore: request nonces and the callback queue (store/nonces.h, store/callbacks.h).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Status PgStore::insert_nonce(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                             std::string_view nonce, UnixSeconds seen_at) {
  if (nonce.empty()) return invalid("nonce is empty");
  return write_single(context, [&](Connection& c) { return insert_nonce_row(c, tenant_id, app_id, nonce, seen_at); });
}

Result<size_t> PgStore::prune_nonces(const WriteContext& context, UnixSeconds before) {
  return write_single_value<size_t>(context, [&](Connection& c) -> Result<size_t> {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, "DELETE FROM request_nonces WHERE seen_at < $1", {before}));
    return static_cast<size_t>(n);
  });
}

Status PgStore::enqueue_callback(const WriteContext& context, const CallbackJob& job) {
  if (job.tenant_id.empty() || job.order_id.empty()) return invalid("callback ids are empty");
  return write_single(
      context, [&](Connection& c) { return insert_callback(c, job, job.tenant_id, job.order_id, job.created_at); });
}

Result<CallbackJob> PgStore::get_callback(std::string_view tenant_id, std::string_view job_id) {
  return read_single<CallbackJob>([&](Connection& c) { return load_callback(c, tenant_id, job_id); });
}

Result<std::vector<CallbackJob>> PgStore::claim_due_callbacks(const WriteContext& context, std::string_view worker,
                                                              UnixSeconds now, int lease_seconds, size_t limit) {
  if (worker.empty() || lease_seconds < 1) return invalid("worker and a positive lease are required");
  return write_single_value<std::vector<CallbackJob>>(context, [&](Connection& c) -> Result<std::vector<CallbackJob>> {
    // One statement: jobs locked by a concurrent claimer are skipped, and
    // the lease condition is re-checked on each row it updates. The due
    // jobs are picked in a CTE, which runs once: as an IN (subquery) the
    // planner may rescan the LIMITed subquery and lease more than `limit`.
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "WITH due AS (SELECT tenant_id AS due_tenant, job_id AS due_job FROM callback_jobs "
        "WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) "
        "ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) "
        "UPDATE callback_jobs SET lease_owner = $2, lease_until = $3, attempts = attempts + 1 FROM due "
        "WHERE tenant_id = due.due_tenant AND job_id = due.due_job "
        "AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until <= $1) "
        "RETURNING " + std::string(kCallbackCols),
        {now, worker, now + lease_seconds, clamp_limit(limit)}));
    DUET_ASSIGN_OR_RETURN(std::vector<CallbackJob> jobs,
                          all_rows<CallbackJob>(r, [](const Row& row) -> Result<CallbackJob> {
                            return read_callback(row);
                          }));
    std::stable_sort(jobs.begin(), jobs.end(), [](const CallbackJob& a, const CallbackJob& b) {
      return a.next_attempt_at < b.next_attempt_at;
    });
    return jobs;
  });
}

Status PgStore::mark_callback_delivered(const WriteContext& context, std::string_view tenant_id,
                                        std::string_view job_id, UnixSeconds now) {
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE callback_jobs SET delivered_at = $3, lease_owner = NULL, lease_until = NULL "
        "WHERE tenant_id = $1 AND job_id = $2 AND delivered_at IS NULL",
        {tenant_id, job_id, now}));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
  });
}

Status PgStore::mark_callback_failed(const WriteContext& context, std::string_view tenant_id, std::string_view job_id,
                                     std::string_view worker, std::string_view error, UnixSeconds next_attempt_at) {
  constexpr size_t kMaxError = 512;
  std::string_view err = error.substr(0, std::min(error.size(), kMaxError));
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE callback_jobs SET last_error = $4, next_attempt_at = $5, lease_owner = NULL, lease_until = NULL "
        "WHERE tenant_id = $1 AND job_id = $2 AND delivered_at IS NULL AND lease_owner = $3",
        {tenant_id, job_id, worker, err, next_attempt_at}));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
  });
}

Result<CallbackBacklog> PgStore::callback_backlog(UnixSeconds now) {
  return read_single<CallbackBacklog>([&](Connection& c) -> Result<CallbackBacklog> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT COUNT(*), MIN(next_attempt_at) FROM callback_jobs "
                                          "WHERE delivered_at IS NULL AND next_attempt_at <= $1",
                                          {now}));
    if (r.size() != 1) return corrupt("callback backlog: no row");
    return CallbackBacklog{r.get_int(0, 0), r.optional_int(0, 1)};
  });
}

}  // namespace duet::store::pg_store
