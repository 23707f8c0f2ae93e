// The service side of the audit log (core/audit_service.h): the audit key,
// signed checkpoints that verify offline, operator tokens and operators, on
// a real SQLite store with a real key file (core/test_fixture.h).
#include <gtest/gtest.h>

#include "core/audit_chain.h"
#include "core/audit_service.h"
#include "core/audit_test_event.h"
#include "core/test_fixture.h"

namespace duet::core {
namespace {

using store::AuditEvent;

class AuditServiceTest : public CoreStoreTest {
 protected:
  AuditServiceTest() : CoreStoreTest("duet-audit-", 1'700'000'000) {}
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreStoreTest::SetUp());
    audit = std::make_unique<AuditService>(*deps);
  }
  void TearDown() override {
    audit.reset();
    CoreStoreTest::TearDown();
  }
  // Reopens the store and the key file as a restart would.
  void open() {
    deps.reset();
    store_.reset();
    ASSERT_NO_FATAL_FAILURE(open_store());
    audit = std::make_unique<AuditService>(*deps);
  }
  void append(int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(store_->append_audit_event(sample_audit_event(i)).ok());
  }
  std::unique_ptr<AuditService> audit;
};

TEST_F(AuditServiceTest, KeyIsCreatedOnceSealedAndCheckpointsVerifyOffline) {
  ASSERT_TRUE(audit->ensure_key().ok());
  auto keys = store_->list_audit_keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_FALSE((*keys)[0].sealed_private_key.empty());
  // Reopened: the same key is loaded, not a new one.
  audit.reset();
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_TRUE(audit->ensure_key().ok());
  ASSERT_OK_AND_ASSIGN(auto reopened_keys, store_->list_audit_keys());
  EXPECT_EQ(reopened_keys.size(), 1u);

  // Nothing to sign on an empty chain.
  ASSERT_OK_AND_ASSIGN(auto none, audit->checkpoint_now());
  EXPECT_FALSE(none.has_value());
  append(5);
  // Thresholds: 5 events < 10 and no time passed: not due.
  ASSERT_OK_AND_ASSIGN(auto not_due, audit->checkpoint_if_due(10, 60));
  EXPECT_FALSE(not_due.has_value());
  append(5);
  auto cp = audit->checkpoint_if_due(10, 60);
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ((*cp)->seq, 10);
  append(1);
  ASSERT_OK_AND_ASSIGN(auto not_due_yet, audit->checkpoint_if_due(10, 60));
  EXPECT_FALSE(not_due_yet.has_value());
  clock.advance(60);
  auto timed = audit->checkpoint_if_due(10, 60);
  ASSERT_TRUE(timed.ok() && timed->has_value());
  EXPECT_EQ((*timed)->seq, 11);

  AuditVerifyInput in;
  ASSERT_OK_AND_ASSIGN(in.events, store_->list_audit_events(0, 100));
  ASSERT_OK_AND_ASSIGN(in.checkpoints, store_->list_audit_checkpoints(0, 100));
  ASSERT_OK_AND_ASSIGN(in.keys, audit->public_keys());
  ASSERT_OK_AND_ASSIGN(in.head, store_->get_audit_head());
  auto r = verify_audit_chain(in);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.checkpoints, 2);
}

TEST_F(AuditServiceTest, OperatorsAndBootstrapTokens) {
  // The daemon keeps the minted token in its file (server/token_bootstrap);
  // core registers it, once however often it is asked.
  std::string token = audit->mint_operator_token();
  EXPECT_EQ(token.size(), 4 + 64u);
  EXPECT_EQ(token.rfind("adm_", 0), 0u);
  EXPECT_NE(audit->mint_operator_token(), token);
  EXPECT_EQ(audit->register_role_token(token, "auditor", "root").code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(audit->register_role_token(token, "auditor", "auditor").ok());
  ASSERT_TRUE(audit->register_role_token(token, "auditor", "auditor").ok());
  auto found = store_->find_admin_token(protector->keyed_hash("admin_token", as_bytes(token)));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->role, "auditor");
  // The bootstrap was audited in its transaction.
  auto events = store_->list_audit_events(0, 10);
  ASSERT_TRUE(events.ok()) << events.error().to_string();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "operator.bootstrap");
  EXPECT_EQ((*events)[0].actor_type, "system");

  auto o = audit->create_operator({}, "carol", "security_officer");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(audit->create_operator({}, "carol", "operator").code(), ErrorCode::kConflict);
  EXPECT_EQ(audit->create_operator({}, "bad name", "operator").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(audit->create_operator({}, "dave", "root").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(audit->revoke_operator({"carol", "security_officer"}, "carol").code(), ErrorCode::kConflict);
  ASSERT_TRUE(audit->revoke_operator({"x", "security_officer"}, "auditor").ok());
  // A revoked bootstrap token stays revoked at the next start.
  ASSERT_TRUE(audit->register_role_token(token, "auditor", "auditor").ok());
  EXPECT_FALSE(store_->find_admin_token(protector->keyed_hash("admin_token", as_bytes(token))).ok());
}

}  // namespace
}  // namespace duet::core
