// SqliteStore: request nonces and the callback queue (store/nonces.h, store/callbacks.h).
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Status SqliteStore::insert_nonce(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                                 std::string_view nonce, UnixSeconds seen_at) {
  if (nonce.empty()) return invalid("nonce is empty");
  return write(context, [&](Connection& c) { return insert_nonce_row(c, tenant_id, app_id, nonce, seen_at); });
}

Result<size_t> SqliteStore::prune_nonces(const WriteContext& context, UnixSeconds before) {
  return run<Result<size_t>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<size_t> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "DELETE FROM request_nonces WHERE seen_at < ?1"));
    st.bind(1, before);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return static_cast<size_t>(n);
  });
}

Status SqliteStore::enqueue_callback(const WriteContext& context, const CallbackJob& job) {
  if (job.tenant_id.empty() || job.order_id.empty()) return invalid("callback ids are empty");
  return write(context,
               [&](Connection& c) { return insert_callback(c, job, job.tenant_id, job.order_id, job.created_at); });
}

Result<CallbackJob> SqliteStore::get_callback(std::string_view tenant_id, std::string_view job_id) {
  return read_single<CallbackJob>([&](Connection& c) { return load_callback(c, tenant_id, job_id); });
}

Result<std::vector<CallbackJob>> SqliteStore::claim_due_callbacks(const WriteContext& context, std::string_view worker,
                                                                  UnixSeconds now, int lease_seconds, size_t limit) {
  if (worker.empty() || lease_seconds < 1)
    return Unexpected{invalid("worker and a positive lease are required").error()};
  return run<Result<std::vector<CallbackJob>>>(
      context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<std::vector<CallbackJob>> {
        std::vector<std::pair<std::string, std::string>> due;
        {
          DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
              "SELECT tenant_id, job_id FROM callback_jobs WHERE delivered_at IS NULL AND next_attempt_at <= ?1 "
              "AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY next_attempt_at LIMIT ?2"));
          st.bind(1, now).bind(2, static_cast<int64_t>(limit));
          for (;;) {
            DUET_ASSIGN_OR_RETURN(bool row, st.step());
            if (!row) break;
            due.emplace_back(st.column_text(0), st.column_text(1));
          }
        }
        std::vector<CallbackJob> claimed;
        for (const auto& [tenant, id] : due) {
          DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
              "UPDATE callback_jobs SET lease_owner = ?3, lease_until = ?4, attempts = attempts + 1 "
              "WHERE tenant_id = ?1 AND job_id = ?2 AND delivered_at IS NULL "
              "AND (lease_until IS NULL OR lease_until <= ?5)"));
          up.bind(1, tenant).bind(2, id).bind(3, worker).bind(4, now + lease_seconds).bind(5, now);
          DUET_ASSIGN_OR_RETURN(int n, run_changes(c, up));
          if (n != 1) continue;  // claimed by another worker meanwhile
          DUET_ASSIGN_OR_RETURN(CallbackJob job, load_callback(c, tenant, id));
          claimed.push_back(std::move(job));
        }
        return claimed;
      });
}

Status SqliteStore::mark_callback_delivered(const WriteContext& context, std::string_view tenant_id,
                                            std::string_view job_id, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE callback_jobs SET delivered_at = ?3, lease_owner = NULL, lease_until = NULL "
        "WHERE tenant_id = ?1 AND job_id = ?2 AND delivered_at IS NULL"));
    st.bind(1, tenant_id).bind(2, job_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
  });
}

Status SqliteStore::mark_callback_failed(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view job_id, std::string_view worker, std::string_view error,
                                         UnixSeconds next_attempt_at) {
  constexpr size_t kMaxError = 512;
  std::string_view err = error.substr(0, std::min(error.size(), kMaxError));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE callback_jobs SET last_error = ?4, next_attempt_at = ?5, lease_owner = NULL, lease_until = NULL "
        "WHERE tenant_id = ?1 AND job_id = ?2 AND delivered_at IS NULL AND lease_owner = ?3"));
    st.bind(1, tenant_id).bind(2, job_id).bind(3, worker).bind(4, err).bind(5, next_attempt_at);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
  });
}

Result<CallbackBacklog> SqliteStore::callback_backlog(UnixSeconds now) {
  return read_single<CallbackBacklog>([&](Connection& c) -> Result<CallbackBacklog> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT COUNT(*), MIN(next_attempt_at) FROM callback_jobs "
        "WHERE delivered_at IS NULL AND next_attempt_at <= ?1"));
    st.bind(1, now);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return corrupt("callback backlog: no row");
    return CallbackBacklog{st.column_int(0), st.column_optional_int(1)};
  });
}

}  // namespace duet::store::sqlite_store
