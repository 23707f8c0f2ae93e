#include "store/pg_schema.h"

#include <string>

#include "store/pg_db.h"
#include "store/store_error.h"

namespace duet::store::pg {
namespace {

// Concurrent CREATE ... IF NOT EXISTS can still fail when another session
// creates the object at the same moment: with a unique violation in the
// catalog (23505), duplicate_table (42P07) or, for the table's row type,
// duplicate_object (42710).
bool already_exists(const Error& e) {
  return e.message.find("SQLSTATE 23505") != std::string::npos ||
         e.message.find("SQLSTATE 42P07") != std::string::npos ||
         e.message.find("SQLSTATE 42710") != std::string::npos;
}

}  // namespace

std::span<const Migration> migrations() { return schema_migrations(SqlDialect::kPostgres); }

int latest_schema_version() { return migrations().back().version; }

Result<int> read_schema_version(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows rows, c.query("SELECT COALESCE(MAX(version), 0)::bigint FROM schema_version"));
  return static_cast<int>(rows.get_int(0, 0));
}

Status migrate(Connection& c) {
  Status created = c.exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL PRIMARY KEY, "
      "applied_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM now())::bigint))",
      "create schema_version");
  if (!created.ok() && !already_exists(created.error())) return created;

  DUET_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(c, Transaction::Kind::kWrite));
  // Serialises migrators (nodes starting together); readers are not blocked.
  DUET_TRY_STATUS(c.exec("LOCK TABLE schema_version IN EXCLUSIVE MODE", "lock schema_version"));
  DUET_ASSIGN_OR_RETURN(int current, read_schema_version(c));
  if (current > latest_schema_version())
    return store_error(StoreError::kCorrupt, "database schema is newer than this binary");
  for (const Migration& m : migrations()) {
    if (m.version <= current) continue;
    DUET_TRY_STATUS(c.exec(m.sql, "apply migration"));
    DUET_TRY_STATUS(c.query("INSERT INTO schema_version (version) VALUES ($1)", {m.version}));
  }
  return tx.commit();
}

}  // namespace duet::store::pg
