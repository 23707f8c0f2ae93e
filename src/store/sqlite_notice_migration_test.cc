// Schema v30 on SQLite (store/migrations_v13_on.cc): the rebuild of
// `notices` for the new kinds keeps every row of a v29 database with every
// column — the e-mail delivery record and the window a notice is about
// included — and the new kinds are written on it. The CHECK still refuses a
// kind nobody knows, for writers other than the store as well.
#include <gtest/gtest.h>

#include <string>

#include "core/quota_order.h"
#include "store/sqlite_store.h"
#include "store/sqlite_test_util.h"

namespace duet::store::testing {
namespace {

TEST(SqliteStore, UpgradesAVersion29DatabaseKeepingItsNoticesAndTheirMailRecord) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  std::string sql = "PRAGMA foreign_keys = ON;" + schema_sql_up_to(29);
  sql +=
      "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_old', 'old', 0, 1);"
      "INSERT INTO packages (tenant_id, package_id, kind, quantity, used, starts_at, expires_at, source, note, "
      "  created_at) VALUES ('ten_old', 'pkg_old', 'per_signature', 10000, 8000, 1, 999999, 'purchase', '', 1);"
      "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, webhook_state, email_state, "
      "  email_attempts, email_next_at, email_last_error) "
      "  VALUES ('ten_old', 'ntc_pkg', 'pkg_old', 'used_80', 5, 'queued', 'failed', 8, 77, 'smtp: rejected');"
      "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at, "
      "  subject_id, email_state, email_attempts, email_sent_at) "
      "  VALUES ('ten_old', 'ntc_mnt', NULL, 'maintenance_planned', 6, 'none', 900, 'mnt_old', 'sent', 2, 7);";
  ASSERT_EQ(run_raw_sql(path, sql), "");
  // A v29 database refuses the new kinds: the migration is what allows them.
  EXPECT_NE(run_raw_sql(path, "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, "
                              "webhook_state) VALUES ('ten_old', 'ntc_x', NULL, 'tenant_suspended', 8, 'pending')"),
            "");

  SqliteStoreOptions options;
  options.quota_order = core::quota_order_rule();
  options.path = path;
  auto opened = open_sqlite_store(std::move(options));
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  Store& store = **opened;
  EXPECT_GE(*store.schema_version(), 30);

  auto notices = store.list_notices("ten_old", 10);
  ASSERT_TRUE(notices.ok()) << notices.error().to_string();
  ASSERT_EQ(notices->size(), 2u);
  EXPECT_EQ((*notices)[0].notice_id, "ntc_mnt");
  EXPECT_EQ((*notices)[0].kind, NoticeKind::kMaintenancePlanned);
  EXPECT_EQ((*notices)[0].subject_id, "mnt_old");
  EXPECT_EQ((*notices)[0].effective_at, 900);
  EXPECT_EQ((*notices)[1].notice_id, "ntc_pkg");
  EXPECT_EQ((*notices)[1].package_id, "pkg_old");
  EXPECT_EQ((*notices)[1].webhook_state, "queued");
  auto mails = store.list_notice_mail_states("ten_old", 10);
  ASSERT_TRUE(mails.ok());
  ASSERT_EQ(mails->size(), 2u);
  EXPECT_EQ((*mails)[0].state, "sent");
  EXPECT_EQ((*mails)[0].attempts, 2);
  EXPECT_EQ((*mails)[0].sent_at, 7);
  EXPECT_EQ((*mails)[1].state, "failed");
  EXPECT_EQ((*mails)[1].attempts, 8);
  EXPECT_EQ((*mails)[1].last_error, "smtp: rejected");

  ASSERT_TRUE(store.set_tenant_suspended({}, "ten_old", true, 10).ok());
  notices = store.list_notices("ten_old", 10);
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 3u);
  EXPECT_EQ(notices->front().kind, NoticeKind::kTenantSuspended);
  // The unique (package, kind) rule and the kind CHECK survive the rebuild.
  EXPECT_NE(run_raw_sql(path, "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, "
                              "webhook_state) VALUES ('ten_old', 'ntc_dup', 'pkg_old', 'used_80', 9, 'pending')"),
            "");
  EXPECT_NE(run_raw_sql(path, "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, "
                              "webhook_state) VALUES ('ten_old', 'ntc_y', NULL, 'tenant_deleted', 9, 'pending')"),
            "");
}

}  // namespace
}  // namespace duet::store::testing
