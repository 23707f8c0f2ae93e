// Runs the backend-neutral contract suite against PostgreSQL. Each test gets
// a fresh, empty schema (dropped afterwards) in the database named by
// DUET_TEST_PG_DSN; without it every test FAILS (start a throw-away server
// with `eval "$(scripts/pg-test-server start DIR)"`; scripts/test does).
#include <cstdlib>
#include <string>

#include "core/quota_order.h"
#include "store/ids.h"
#include "store/pg_db.h"
#include "store/pg_store.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {
namespace {

class PostgresBackend final : public StoreBackend {
 public:
  PostgresBackend() : schema_("contract_" + new_id("").substr(0, 20)) {}
  ~PostgresBackend() override {
    const char* dsn = std::getenv("DUET_TEST_PG_DSN");
    if (!dsn || !opened_) return;
    auto conn = pg::Connection::open(dsn, "");
    if (conn.ok()) (void)(*conn)->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE", "drop test schema");
  }

  Result<std::unique_ptr<Store>> open() override {
    const char* dsn = std::getenv("DUET_TEST_PG_DSN");
    if (!dsn || !*dsn)
      return make_error(ErrorCode::kInvalidArgument,
                        "DUET_TEST_PG_DSN is not set: the PostgreSQL contract tests need a server; start one with "
                        "eval \"$(scripts/pg-test-server start DIR)\" (scripts/test does this)");
    opened_ = true;
    PostgresStoreOptions options;
    options.quota_order = core::quota_order_rule();
    options.dsn = dsn;
    options.schema = schema_;
    options.max_connections = 8;
    return open_postgres_store(std::move(options));
  }

 private:
  std::string schema_;
  bool opened_ = false;
};

INSTANTIATE_TEST_SUITE_P(
    Postgres, StoreContractTest,
    ::testing::Values(StoreBackendParam{
        "Postgres", []() -> std::unique_ptr<StoreBackend> { return std::make_unique<PostgresBackend>(); }}),
    store_backend_name);

}  // namespace
}  // namespace duet::store::testing
