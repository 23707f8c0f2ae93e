#include "store/sqlite_backup.h"

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string_view>

#include "store/store_error.h"

namespace duet::store {
namespace {

namespace fs = std::filesystem;

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

Result<Db> open_db(const std::string& path, int flags, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return store_error(StoreError::kUnavailable, "cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  return db;
}

Status exec(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return store_error(StoreError::kUnavailable, std::string(what) + ": " + msg);
  return Status::Ok();
}

}  // namespace

Status sqlite_online_backup(const std::string& source_path, const std::string& target_path, int busy_timeout_ms) {
  std::error_code ec;
  if (!fs::exists(source_path, ec)) return store_error(StoreError::kNotFound, "no database at " + source_path);
  if (fs::exists(target_path, ec)) return store_error(StoreError::kConflict, target_path + " exists");
  Status result = [&]() -> Status {
    // The source is opened read-write (not read-only) so that a WAL database
    // can be read even when its -shm needs creating; nothing is written to it.
    DUET_ASSIGN_OR_RETURN(Db src, open_db(source_path, SQLITE_OPEN_READWRITE, busy_timeout_ms));
    DUET_ASSIGN_OR_RETURN(Db dst, open_db(target_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_timeout_ms));
    sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
    if (!b) return store_error(StoreError::kUnavailable, std::string("backup init: ") + sqlite3_errmsg(dst.get()));
    // Copy in steps so a writer is never blocked for long; BUSY/LOCKED are
    // retried (the busy timeout also applies inside a step).
    int rc = SQLITE_OK;
    int busy_rounds = 0;
    do {
      rc = sqlite3_backup_step(b, 256);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        if (++busy_rounds > 1000) break;
        sqlite3_sleep(10);
      }
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    int fin = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || fin != SQLITE_OK)
      return store_error(StoreError::kUnavailable, std::string("backup: ") + sqlite3_errstr(rc == SQLITE_DONE ? fin : rc));
    // The copy keeps the source's WAL flag in its header; make it a plain
    // rollback-journal file so the backup is exactly one file.
    DUET_TRY_STATUS(exec(dst.get(), "PRAGMA journal_mode=DELETE", "journal mode of the copy"));
    return Status::Ok();
  }();
  if (!result.ok()) {
    fs::remove(target_path, ec);
    fs::remove(target_path + "-journal", ec);
    return result;
  }
  Status check = sqlite_integrity_check(target_path);
  if (!check.ok()) fs::remove(target_path, ec);
  return check;
}

Status sqlite_integrity_check(const std::string& path) {
  DUET_ASSIGN_OR_RETURN(Db db, open_db(path, SQLITE_OPEN_READONLY, 10000));
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &st, nullptr) != SQLITE_OK)
    return store_error(StoreError::kUnavailable, std::string("integrity_check: ") + sqlite3_errmsg(db.get()));
  std::string first;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    first = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return store_error(StoreError::kUnavailable, "integrity_check did not run");
  if (first != "ok") return store_error(StoreError::kCorrupt, "integrity_check: " + first);
  return Status::Ok();
}

}  // namespace duet::store
