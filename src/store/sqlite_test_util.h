// Temporary database files for the SQLite backend's tests.
#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "base/result.h"
#include "core/quota_order.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_store.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "duet-store-XXXXXX";
    char* made = mkdtemp(pattern.data());
    if (made) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The SQL with which a binary that knew schema versions 1 … `version` made
// its database: schema_version and those migrations, each recorded.
inline std::string schema_sql_up_to(int version) {
  std::string sql =
      "CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL DEFAULT 0);";
  for (const sqlite::Migration& m : sqlite::migrations()) {
    if (m.version <= version) {
      sql += std::string(m.sql) + ";INSERT INTO schema_version (version) VALUES (" + std::to_string(m.version) + ");";
    }
  }
  return sql;
}

// Runs `sql` on the database at `path` over a raw connection, as an older
// binary would have left it; SQLite's error message, empty on success.
inline std::string run_raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    error = "cannot open " + path;
  } else if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
  }
  sqlite3_close(db);
  return error;
}

class SqliteBackend final : public StoreBackend {
 public:
  Result<std::unique_ptr<Store>> open() override {
    SqliteStoreOptions options;
    options.quota_order = core::quota_order_rule();
    options.path = dir_.file("duet.db");
    return open_sqlite_store(std::move(options));
  }

 private:
  TempDir dir_;
};

}  // namespace duet::store::testing
