// Schema v15 on SQLite (store/migrations.cc, docs/audit.md "Checkpoints"): a
// database a v14 binary left behind, with an unchained (v1) checkpoint, is
// read by `duet audit verify --data` as it is (no prev_hash column yet), and
// after the upgrade the first chained checkpoint names that v1 one.
#include <gtest/gtest.h>

#include <string>

#include "core/quota_order.h"
#include "store/audit_encoding.h"
#include "store/audit_snapshot.h"
#include "store/sqlite_store.h"
#include "store/sqlite_test_util.h"

namespace duet::store::testing {
namespace {

TEST(SqliteStore, AVersion14AuditLogIsReadAndItsCheckpointsChainAfterTheUpgrade) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  const std::string h1(64, 'a');
  std::string sql = schema_sql_up_to(14);
  sql += "INSERT INTO audit_events (seq, at, tenant_id, actor_type, actor_id, action, target, outcome, address, "
         "  request_id, details, prev_hash, hash) VALUES (1, 5, '', 'system', 'w', 'x', '', 'ok', '', '', '', "
         "  zeroblob(32), x'" + h1 + "');"
         "UPDATE audit_head SET seq = 1, hash = x'" + h1 + "' WHERE id = 1;"
         "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) "
         "  VALUES (1, x'" + h1 + "', 6, 'audk_1', x'3001');";
  ASSERT_EQ(run_raw_sql(path, sql), "");

  auto before = read_sqlite_audit_snapshot(path);  // not migrated: read-only, as found
  ASSERT_TRUE(before.ok()) << before.error().to_string();
  ASSERT_EQ(before->checkpoints.size(), 1u);
  EXPECT_TRUE(before->checkpoints[0].prev_hash.empty());
  EXPECT_EQ(before->checkpoints[0].signature, (Bytes{0x30, 0x01}));

  SqliteStoreOptions options;
  options.quota_order = core::quota_order_rule();
  options.path = path;
  auto opened = open_sqlite_store(std::move(options));
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  Store& store = **opened;
  EXPECT_GE(*store.schema_version(), 15);
  AuditEvent e;
  e.at = 7;
  e.actor_type = "system";
  e.actor_id = "w";
  e.action = "y";
  e.outcome = "ok";
  auto second = store.append_audit_event(e);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  ASSERT_EQ(second->seq, 2);
  AuditCheckpoint v1 = before->checkpoints[0];
  AuditCheckpoint genesis{2, second->hash, 8, "audk_1", Bytes{2}, audit_genesis_hash()};
  EXPECT_EQ(store_error_kind(store.add_audit_checkpoint(genesis).error()), StoreError::kConflict);
  AuditCheckpoint chained{2, second->hash, 8, "audk_1", Bytes{2}, audit_checkpoint_hash(v1)};
  ASSERT_TRUE(store.add_audit_checkpoint(chained).ok());
  auto after = read_sqlite_audit_snapshot(path);
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  ASSERT_EQ(after->checkpoints.size(), 2u);
  EXPECT_TRUE(after->checkpoints[0].prev_hash.empty());
  EXPECT_EQ(after->checkpoints[1].prev_hash, audit_checkpoint_hash(v1));
}

}  // namespace
}  // namespace duet::store::testing
