// SqliteStore: its transactions, migrations and opening (sqlite_store_impl.h).
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Status SqliteStore::migrate() {
  return run<Status>(kNoWrite, Transaction::Kind::kWrite, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(c.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, "
        "applied_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)))",
        "create schema_version"));
    DUET_ASSIGN_OR_RETURN(int current, read_version(c));
    if (current > sqlite_store_latest_schema_version())
      return corrupt("database schema is newer than this binary");
    for (const sqlite::Migration& m : sqlite::migrations()) {
      if (m.version <= current) continue;
      DUET_TRY_STATUS(c.exec(m.sql, "apply migration"));
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "INSERT INTO schema_version (version) VALUES (?1)"));
      st.bind(1, m.version);
      DUET_TRY_STATUS(st.run());
    }
    return Status::Ok();
  });
}

Result<int> SqliteStore::schema_version() {
  return run<Result<int>>(kNoWrite, Transaction::Kind::kRead, [&](Connection& c) { return read_version(c); });
}

// One request_nonces row; kDuplicate if it was seen before.
Status SqliteStore::insert_nonce_row(Connection& c, std::string_view tenant_id, std::string_view app_id,
                                     std::string_view nonce, UnixSeconds seen_at) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "INSERT INTO request_nonces (tenant_id, app_id, nonce, seen_at) VALUES (?1, ?2, ?3, ?4)"));
  st.bind(1, tenant_id).bind(2, app_id).bind(3, nonce).bind(4, seen_at);
  return st.run();
}

// The bound request nonce, inside the transaction that commits with it; a
// nonce seen before is the request's authentication failure.
Status SqliteStore::insert_nonce_in(Connection& c, const PendingNonce& n) {
  Status done = insert_nonce_row(c, n.tenant_id, n.app_id, n.nonce, n.seen_at);
  if (!done.ok() && store_error_kind(done.error()) == StoreError::kDuplicate)
    return make_error(ErrorCode::kUnauthenticated, "nonce already used");
  return done;
}

// A caller's row limit as an SQL LIMIT (size_t may not fit in int64).
int64_t SqliteStore::clamp_limit(size_t limit) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int64_t>::max() - 1);
  return static_cast<int64_t>(std::min(limit, kMax));
}

// UPDATE with (?1 = id, ?2 = value) that must change exactly one row.
Status SqliteStore::update_one(const WriteContext& context, std::string_view sql, std::string_view id, int64_t value,
                               std::string_view what) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
    st.bind(1, id).bind(2, value);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found(what);
  });
}

Result<int> SqliteStore::read_version(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  DUET_TRY_STATUS(st.step());
  return static_cast<int>(st.column_int(0));
}

Result<Holder> SqliteStore::load_holder(Connection& c, std::string_view tenant_id, std::string_view holder_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      select_from(kHolderCols, "holders", "tenant_id = ?1 AND holder_id = ?2")));
  st.bind(1, tenant_id).bind(2, holder_id);
  return query_one<Holder>(st, read_holder, "holder");
}

Result<CallbackJob> SqliteStore::load_callback(Connection& c, std::string_view tenant_id, std::string_view job_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      select_from(kCallbackCols, "callback_jobs", "tenant_id = ?1 AND job_id = ?2")));
  st.bind(1, tenant_id).bind(2, job_id);
  return query_one<CallbackJob>(st, read_callback, "callback");
}

void SqliteStore::hook(std::string_view point) {
  if (options_.test_hook) options_.test_hook(point);
}

}  // namespace duet::store::sqlite_store

namespace duet::store {

using sqlite_store::SqliteStore;

int sqlite_store_latest_schema_version() { return sqlite::migrations().back().version; }

Result<std::unique_ptr<Store>> open_sqlite_store(SqliteStoreOptions options) {
  if (options.path.empty()) return make_error(ErrorCode::kInvalidArgument, "sqlite store path is empty");
  if (!options.quota_order) return make_error(ErrorCode::kInvalidArgument, "sqlite store needs the quota order rule");
  auto store = std::make_unique<SqliteStore>(std::move(options));
  DUET_TRY_STATUS(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace duet::store
