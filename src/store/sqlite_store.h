// The SQLite backend of store::Store (the embedded default, docs/architecture.md).
//
// - The database is one file in WAL mode with foreign keys on and a busy
//   timeout; several processes may open the same file.
// - Migrations: numbered scripts applied at open, each in the same
//   BEGIN IMMEDIATE transaction that records it in schema_version; reopening
//   applies only what is missing. A file whose schema is newer than this
//   binary is refused (kCorrupt).
// - Threads: one writer connection that every write transaction of the
//   process uses in turn (a mutex; its page cache stays current, and reads
//   use it too whenever it is idle), and a small pool of reader connections
//   (up to max_connections, opened lazily). Reads run concurrently under
//   WAL; writes take BEGIN IMMEDIATE, so other processes wait up to the busy
//   timeout instead of failing on lock upgrade. A background thread
//   checkpoints the WAL (sqlite_db.h, ConnectionPool).
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
#include "store/quota_order.h"
#include "store/store.h"

namespace duet::store {

struct SqliteStoreOptions {
  std::string path;                           // database file; created if absent
  std::chrono::milliseconds busy_timeout{5000};
  int max_connections = 4;
  // WAL frames added between two background checkpoints (ConnectionPool in
  // sqlite_db.h); 0 takes the default (4000 pages, 16 MiB).
  int checkpoint_pages = 0;
  // The quota consumption order metering runs (core::quota_order_rule(),
  // store/quota_order.h). Required: open refuses a store without it.
  QuotaOrderRule quota_order;
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
