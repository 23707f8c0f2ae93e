// The SQLite backend of store::Store (the embedded default, DESIGN.md §5).
//
// - The database is one file in WAL mode with foreign keys on and a busy
//   timeout; several processes may open the same file.
// - Migrations: numbered scripts applied at open, each in the same
//   BEGIN IMMEDIATE transaction that records it in schema_version; reopening
//   applies only what is missing. A file whose schema is newer than this
//   binary is refused (kCorrupt).
// - Threads: a small pool of connections, each used by one thread at a time
//   (a mutex + condition variable hand them out; up to max_connections are
//   opened lazily). Reads run concurrently under WAL; writes take
//   BEGIN IMMEDIATE, so SQLite serialises them and waits up to the busy
//   timeout instead of failing on lock upgrade.
// - Each pooled connection caches its prepared statements (BEGIN/COMMIT
//   included); a call that is a single SELECT runs without an explicit
//   transaction (autocommit gives it one snapshot), multi-statement reads
//   run in one BEGIN DEFERRED transaction.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/store.h"

namespace duet::store {

struct SqliteStoreOptions {
  std::string path;                           // database file; created if absent
  std::chrono::milliseconds busy_timeout{5000};
  int max_connections = 4;
  // Test hook: called inside write transactions at named points (e.g.
  // "finish_order:after_order_update"); lets tests simulate a crash there.
  // Empty in production.
  std::function<void(std::string_view point)> test_hook;
};

// Opens (creating if needed) and migrates the database.
Result<std::unique_ptr<Store>> open_sqlite_store(SqliteStoreOptions options);

// The newest schema version this binary knows.
int sqlite_store_latest_schema_version();

}  // namespace duet::store
