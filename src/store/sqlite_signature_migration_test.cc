// Upgrades of databases older binaries left behind, on SQLite
// (store/migrations.cc). v11: a v10 database keeps its package notices
// through the rebuild of `notices`, its tenants get no v1 cut-off, and the
// new tenant notices work on it. v16: holders and orders take the
// environment of the app that created them.
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

TEST(SqliteStore, UpgradesAVersion15DatabaseIntoTwoEnvironments) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  std::string sql = "PRAGMA foreign_keys = ON;" + schema_sql_up_to(15);
  sql +=
      "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_old', 'old', 0, 1);"
      "INSERT INTO apps (tenant_id, app_id, secret_ciphertext, environment, created_at) VALUES "
      "  ('ten_old', 'app_sbx_old', X'01', 'sandbox', 1), ('ten_old', 'app_prd_old', X'02', 'production', 1);"
      "INSERT INTO holders (tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, "
      "  lookup_hash, status, created_at, identity_verified_by) VALUES "
      "  ('ten_old', 'hld_sbx', X'a1', X'a2', X'a3', X'5e', 'active', 1, 'app_sbx_old'),"
      "  ('ten_old', 'hld_prd', X'a1', X'a2', X'a3', X'6e', 'active', 1, 'app_prd_old'),"
      "  ('ten_old', 'hld_legacy', X'a1', X'a2', X'a3', X'7e', 'active', 1, '');"
      "INSERT INTO sign_orders (tenant_id, order_id, app_id, holder_id, title, display_text, output_format, "
      "  expires_at, callback_url, state, created_at, updated_at) VALUES "
      "  ('ten_old', 'ord_sbx', 'app_sbx_old', 'hld_sbx', 't', 'd', 'raw', 9999999999, '', 'pending', 1, 1),"
      "  ('ten_old', 'ord_prd', 'app_prd_old', 'hld_prd', 't', 'd', 'raw', 9999999999, '', 'pending', 1, 1);"
      "INSERT INTO sign_order_items (tenant_id, order_id, item_index, input, input_is_digest) VALUES "
      "  ('ten_old', 'ord_sbx', 0, X'aa', 0), ('ten_old', 'ord_prd', 0, X'aa', 0);";
  ASSERT_EQ(run_raw_sql(path, sql), "");
  SqliteStoreOptions options;
  options.quota_order = core::quota_order_rule();
  options.path = path;
  auto opened = open_sqlite_store(std::move(options));
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  Store& store = **opened;
  EXPECT_GE(*store.schema_version(), 16);
  for (const auto& [holder_id, env] : {std::pair{"hld_sbx", AppEnvironment::kSandbox},
                                       std::pair{"hld_prd", AppEnvironment::kProduction},
                                       std::pair{"hld_legacy", AppEnvironment::kProduction}}) {
    auto h = store.get_holder("ten_old", holder_id);
    ASSERT_TRUE(h.ok()) << h.error().to_string();
    EXPECT_EQ(h->environment, env) << holder_id;
  }
  auto sbx = store.get_order("ten_old", "ord_sbx");
  auto prd = store.get_order("ten_old", "ord_prd");
  ASSERT_TRUE(sbx.ok() && prd.ok());
  EXPECT_EQ(sbx->environment, AppEnvironment::kSandbox);
  EXPECT_EQ(prd->environment, AppEnvironment::kProduction);
  // The sandbox holder's identity may now become a production holder too.
  Holder twin = *store.get_holder("ten_old", "hld_sbx");
  twin.holder_id = "hld_prd_twin";
  twin.environment = AppEnvironment::kProduction;
  twin.identity_verified_by = "";
  EXPECT_TRUE(store.create_holder({}, twin).ok());
}

}  // namespace
}  // namespace duet::store::testing
