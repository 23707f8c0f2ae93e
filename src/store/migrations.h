// The schema as ONE list of numbered migrations, for both backends
// (sqlite_schema.h and pg_schema.h hand each its dialect's text to its
// runner). Each migration is written once: the column types are spelled
// {int} (SQLite INTEGER, PostgreSQL BIGINT) and {bytes} (BLOB, BYTEA), and
// where the dialects really differ — a rebuilt table in SQLite against an
// ALTER in PostgreSQL, a literal — the two texts stand side by side in one
// piece. The same version therefore means the same tables and columns in
// both. Append new versions; never edit a published one (a database at any
// older version replays the missing ones).
#pragma once

#include <span>
#include <string_view>

namespace duet::store {

enum class SqlDialect { kSqlite, kPostgres };

struct Migration {
  int version;
  std::string_view sql;  // the statements, in the dialect asked for
};

// Every migration in version order (1, 2, ...), rendered for `dialect`.
// The texts live for the whole program.
std::span<const Migration> schema_migrations(SqlDialect dialect);

}  // namespace duet::store
