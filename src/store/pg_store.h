// The PostgreSQL backend of store::Store (several stateless duetd nodes on
// one database, docs/architecture.md). Same contracts and error kinds as the SQLite
// backend; both pass the contract suite (store/store_contract_test.h).
//
// - Connections: a pool of up to max_connections libpq connections, opened
//   lazily, each lent to one thread at a time; each caches its prepared
//   statements. A connection found broken is dropped and a new one opened.
// - Transactions: every multi-step state change is ONE transaction at READ
//   COMMITTED made of conditional updates ("... WHERE state IN (...)", whose
//   re-check after a concurrent writer commits is what makes "exactly one
//   wins") and row locks taken in one global order (order, then session, then
//   holder), with affected-row counts checked. A transaction that fails with
//   a serialization failure or deadlock (SQLSTATE 40001 / 40P01) is run again
//   from the start, a few times. Calls that are one statement run without an
//   explicit transaction (autocommit). Reads of several statements run in a
//   REPEATABLE READ READ ONLY transaction (one snapshot).
// - Migrations: numbered (store/migrations.h), applied at open in one
//   transaction under an exclusive lock on schema_version, so nodes starting
//   together migrate once. A database newer than this binary is kCorrupt.
// - No advisory locks, LISTEN/NOTIFY or gap-free sequences.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/quota_order.h"
#include "store/store.h"

namespace duet::store {

struct PostgresStoreOptions {
  std::string dsn;          // libpq connection string or URI, e.g. "host=/run/pg dbname=duet"
  int max_connections = 8;  // pool size per Store
  // A schema to keep the tables in (created if absent; every connection's
  // search_path). Empty: the DSN's default (normally "public"). Letters,
  // digits and '_' only, else kInvalidArgument.
  std::string schema;
  // The quota consumption order, as SqliteStoreOptions::quota_order. Required.
  QuotaOrderRule quota_order;
  // Test hook, as SqliteStoreOptions::test_hook. Empty in production.
  std::function<void(std::string_view point)> test_hook;
};

// Connects, migrates and returns the store. kUnavailable when the server
// cannot be reached.
Result<std::unique_ptr<Store>> open_postgres_store(PostgresStoreOptions options);

// The newest schema version this binary knows.
int postgres_store_latest_schema_version();

}  // namespace duet::store
