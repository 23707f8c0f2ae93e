// Schema v14 on SQLite (store/migrations.cc): a database a v13 binary left
// behind gets tenants.cert_identity_policy = 'none' for its tenants, and the
// column's CHECK holds for writers other than the store. Read and written
// with the sqlite3 CLI as well, not only through the store.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/quota_order.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_store.h"
#include "store/sqlite_test_util.h"

namespace duet::store::testing {
namespace {

// Runs the sqlite3 command-line shell on `path` with `sql`; its output and
// whether it succeeded.
std::pair<bool, std::string> sqlite3_cli(const std::string& path, const std::string& sql) {
  std::string cmd = "sqlite3 -bail '" + path + "' \"" + sql + "\" 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {false, "popen failed"};
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  return {rc == 0, out};
}

TEST(SqliteStore, UpgradesAVersion13DatabaseToIdentityPolicyNone) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  std::string sql = "PRAGMA foreign_keys = ON;" + schema_sql_up_to(13);
  sql += "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_old', 'old', 0, 1);";
  ASSERT_EQ(run_raw_sql(path, sql), "");
  {
    SqliteStoreOptions options;
    options.quota_order = core::quota_order_rule();
    options.path = path;
    auto opened = open_sqlite_store(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    Store& store = **opened;
    EXPECT_GE(*store.schema_version(), 14);
    auto tenant = store.get_tenant("ten_old");
    ASSERT_TRUE(tenant.ok()) << tenant.error().to_string();
    EXPECT_EQ(tenant->cert_identity_policy, "none");
    ASSERT_TRUE(store.set_tenant_cert_identity_policy({}, "ten_old", "gmt0015").ok());
  }
  auto read = sqlite3_cli(path, "SELECT cert_identity_policy FROM tenants WHERE tenant_id = 'ten_old';");
  ASSERT_TRUE(read.first) << read.second;
  EXPECT_EQ(read.second, "gmt0015\n");
  auto bad = sqlite3_cli(path, "UPDATE tenants SET cert_identity_policy = 'all' WHERE tenant_id = 'ten_old';");
  EXPECT_FALSE(bad.first) << bad.second;
  EXPECT_NE(bad.second.find("CHECK constraint failed"), std::string::npos) << bad.second;
  auto made = sqlite3_cli(path, "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_new', 'n', 0, 2);"
                                "SELECT cert_identity_policy FROM tenants WHERE tenant_id = 'ten_new';");
  ASSERT_TRUE(made.first) << made.second;
  EXPECT_EQ(made.second, "none\n");
}

}  // namespace
}  // namespace duet::store::testing
