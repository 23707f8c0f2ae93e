// The PostgreSQL schema as numbered migrations (private to the PostgreSQL
// backend). Version numbers match the SQLite schema's (sqlite_schema.cc): the
// same version means the same tables and columns, in PostgreSQL types
// (BIGINT for integers and times, BYTEA for byte strings). Append new
// versions; never edit a published one.
#pragma once

#include <span>
#include <string_view>

#include "base/result.h"

namespace duet::store::pg {

class Connection;

struct Migration {
  int version;
  std::string_view sql;
};

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
