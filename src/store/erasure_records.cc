// Purge records read from a store that is not opened as a store
// (store/erasure_records.h): raw read-only SQLite, or one PostgreSQL query.
#include "store/erasure_records.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include "store/pg_db.h"
#include "store/sqlite_db.h"
#include "store/store_error.h"

namespace duet::store {

namespace {

constexpr const char* kSelectErasures =
    "SELECT tenant_id, holder_id, erased_at, erased_by, destroyed, revoked_certificates, retain_until "
    "FROM holder_erasures ORDER BY erased_at, tenant_id, holder_id";

std::string column_text(sqlite3_stmt* st, int col) {
  const unsigned char* p = sqlite3_column_text(st, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st, col));
}

}  // namespace

Result<std::vector<HolderErasure>> read_sqlite_holder_erasures(const std::string& db_path) {
  struct stat sb;
  if (::stat(db_path.c_str(), &sb) != 0) return store_error(StoreError::kNotFound, "no database file");
  struct Db {
    sqlite3* db = nullptr;
    sqlite3_stmt* st = nullptr;
    ~Db() {
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
  } d;
  int rc = sqlite3_open_v2(db_path.c_str(), &d.db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) return sqlite::sqlite_error(rc, "open database read-only");
  sqlite3_busy_timeout(d.db, 10000);
  // A database from before schema v25 has no purge records.
  rc = sqlite3_prepare_v2(d.db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'holder_erasures'", -1,
                          &d.st, nullptr);
  if (rc != SQLITE_OK) return sqlite::sqlite_error(rc, "read the schema");
  rc = sqlite3_step(d.st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite::sqlite_error(rc, "read the schema");
  const bool has_table = rc == SQLITE_ROW;
  sqlite3_finalize(d.st);
  d.st = nullptr;
  std::vector<HolderErasure> out;
  if (!has_table) return out;
  rc = sqlite3_prepare_v2(d.db, kSelectErasures, -1, &d.st, nullptr);
  if (rc != SQLITE_OK) return sqlite::sqlite_error(rc, "read purge records");
  while ((rc = sqlite3_step(d.st)) == SQLITE_ROW) {
    HolderErasure e;
    e.tenant_id = column_text(d.st, 0);
    e.holder_id = column_text(d.st, 1);
    e.erased_at = sqlite3_column_int64(d.st, 2);
    e.erased_by = column_text(d.st, 3);
    e.destroyed = column_text(d.st, 4);
    e.revoked_certificates = column_text(d.st, 5);
    e.retain_until = sqlite3_column_int64(d.st, 6);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite::sqlite_error(rc, "read purge records");
  return out;
}

Result<std::vector<HolderErasure>> read_pg_holder_erasures(const std::string& dsn) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> c, pg::Connection::open(dsn, ""));
  DUET_ASSIGN_OR_RETURN(pg::Rows t, c->query("SELECT to_regclass('holder_erasures') IS NOT NULL"));
  std::vector<HolderErasure> out;
  if (t.empty() || t.get_int(0, 0) == 0) return out;
  DUET_ASSIGN_OR_RETURN(pg::Rows r, c->query(kSelectErasures));
  for (int i = 0; i < r.size(); ++i) {
    HolderErasure e;
    e.tenant_id = r.text(i, 0);
    e.holder_id = r.text(i, 1);
    e.erased_at = r.get_int(i, 2);
    e.erased_by = r.text(i, 3);
    e.destroyed = r.text(i, 4);
    e.revoked_certificates = r.text(i, 5);
    e.retain_until = r.get_int(i, 6);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace duet::store
