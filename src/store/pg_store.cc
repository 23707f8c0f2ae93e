// PgStore: its transactions, retries, migrations and opening (pg_store_impl.h).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Status PgStore::open() {
  auto lease = pool_.acquire();
  if (!lease.ok()) return Unexpected{lease.error()};
  return pg::migrate(**lease);
}

Result<int> PgStore::schema_version() {
  return read_single<int>([&](Connection& c) { return pg::read_schema_version(c); });
}

void PgStore::backoff(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int> jitter(1, 5 << attempt);
  std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
}

// One request_nonces row; kDuplicate if it was seen before.
Status PgStore::insert_nonce_row(Connection& c, std::string_view tenant_id, std::string_view app_id,
                                 std::string_view nonce, UnixSeconds seen_at) {
  return pg::run(c, "INSERT INTO request_nonces (tenant_id, app_id, nonce, seen_at) VALUES ($1, $2, $3, $4)",
                 {tenant_id, app_id, nonce, seen_at});
}

// UPDATE with ($1 = id, $2 = value) that must change exactly one row.
Status PgStore::update_one(const WriteContext& context, std::string_view sql, std::string_view id, int64_t value,
                           std::string_view what) {
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, sql, {id, value}));
    return n == 1 ? Status::Ok() : not_found(what);
  });
}

void PgStore::hook(std::string_view point) {
  if (options_.test_hook) options_.test_hook(point);
}

namespace {

// Creates the options' schema if it is set and absent (concurrent creators:
// "already exists" is success).
Status ensure_schema(const PostgresStoreOptions& options) {
  if (options.schema.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(auto conn, Connection::open(options.dsn, ""));
  Status s = conn->exec("CREATE SCHEMA IF NOT EXISTS " + options.schema, "create schema");
  if (!s.ok() && s.error().message.find("SQLSTATE 23505") == std::string::npos &&
      s.error().message.find("SQLSTATE 42P06") == std::string::npos)
    return s;
  return Status::Ok();
}

}  // namespace

}  // namespace duet::store::pg_store

namespace duet::store {

using pg_store::ensure_schema;
using pg_store::PgStore;
using pg_store::valid_schema_name;

int postgres_store_latest_schema_version() { return pg::latest_schema_version(); }

Result<std::unique_ptr<Store>> open_postgres_store(PostgresStoreOptions options) {
  if (options.dsn.empty()) return make_error(ErrorCode::kInvalidArgument, "postgres dsn is empty");
  if (!options.schema.empty() && !valid_schema_name(options.schema))
    return make_error(ErrorCode::kInvalidArgument, "postgres schema name must be lowercase letters, digits and _");
  if (options.max_connections < 1) return make_error(ErrorCode::kInvalidArgument, "max_connections must be >= 1");
  if (!options.quota_order) return make_error(ErrorCode::kInvalidArgument, "postgres store needs the quota order rule");
  DUET_TRY_STATUS(ensure_schema(options));
  auto store = std::make_unique<PgStore>(std::move(options));
  DUET_TRY_STATUS(store->open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace duet::store
