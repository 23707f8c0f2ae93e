// Runs the backend-neutral contract suite against SQLite on a temporary file.
#include "store/sqlite_test_util.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreContractTest,
    ::testing::Values(StoreBackendParam{
        "Sqlite", []() -> std::unique_ptr<StoreBackend> { return std::make_unique<SqliteBackend>(); }}),
    store_backend_name);

}  // namespace
}  // namespace duet::store::testing
