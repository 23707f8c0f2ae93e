// Schema v11 on SQLite (store/migrations.cc): a database a v10 binary left
// behind keeps its package notices through the rebuild of `notices`, its
// tenants get no v1 cut-off, and the new tenant notices work on it.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <string>

#include "core/quota_order.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_store.h"
#include "store/sqlite_test_util.h"

namespace duet::store::testing {
namespace {

TEST(SqliteStore, UpgradesAVersion10DatabaseKeepingItsNotices) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  std::string sql = "PRAGMA foreign_keys = ON;" + schema_sql_up_to(10);
  sql +=
      "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_old', 'old', 0, 1);"
      "INSERT INTO packages (tenant_id, package_id, kind, quantity, used, starts_at, expires_at, source, note, "
      "  created_at) VALUES ('ten_old', 'pkg_old', 'per_signature', 10000, 8000, 1, 999999, 'purchase', '', 1);"
      "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, webhook_state) "
      "  VALUES ('ten_old', 'ntc_old', 'pkg_old', 'used_80', 5, 'queued');";
  ASSERT_EQ(run_raw_sql(path, sql), "");
  SqliteStoreOptions options;
  options.quota_order = core::quota_order_rule();
  options.path = path;
  auto opened = open_sqlite_store(std::move(options));
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  Store& store = **opened;
  EXPECT_GE(*store.schema_version(), 11);

  auto tenant = store.get_tenant("ten_old");
  ASSERT_TRUE(tenant.ok());
  EXPECT_FALSE(tenant->signature_v1_cutoff.has_value());  // v1 stays accepted
  auto notices = store.list_notices("ten_old", 10);
  ASSERT_TRUE(notices.ok()) << notices.error().to_string();
  ASSERT_EQ(notices->size(), 1u);
  EXPECT_EQ(notices->front().notice_id, "ntc_old");
  EXPECT_EQ(notices->front().package_id, "pkg_old");
  EXPECT_EQ(notices->front().kind, NoticeKind::kUsed80);
  EXPECT_EQ(notices->front().webhook_state, "queued");
  EXPECT_FALSE(notices->front().effective_at.has_value());

  ASSERT_TRUE(store.set_tenant_signature_v1_cutoff({}, "ten_old", 100'000, 10).ok());
  notices = store.list_notices("ten_old", 10);
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 2u);
  EXPECT_EQ(notices->front().kind, NoticeKind::kSignatureV1Cutoff);
  EXPECT_TRUE(notices->front().package_id.empty());
}

}  // namespace
}  // namespace duet::store::testing
