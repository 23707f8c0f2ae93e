// The PostgreSQL schema: the one migration list (store/migrations.h) in
// PostgreSQL's dialect (BIGINT for integers and times, BYTEA for byte
// strings), and its runner. Private to the PostgreSQL backend.
#pragma once

#include <span>

#include "base/result.h"
#include "store/migrations.h"

namespace duet::store::pg {

class Connection;

using Migration = store::Migration;

std::span<const Migration> migrations();
int latest_schema_version();

// The version recorded in schema_version (0 for an empty database).
Result<int> read_schema_version(Connection& c);

// Brings the database (the connection's search_path schema) to the latest
// version. Creates schema_version if absent, then in ONE transaction takes
// an EXCLUSIVE lock on it (a second node migrating at the same time waits
// here, then finds the work done), reads the version, applies each missing
// migration and records it. A database newer than this binary is kCorrupt.
Status migrate(Connection& c);

}  // namespace duet::store::pg
