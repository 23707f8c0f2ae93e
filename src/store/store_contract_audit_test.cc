// Contract of the audit section of store.h (issue 5 §4): chain assignment,
// gap-free seq under concurrency, the fail-closed binding of write
// transactions, checkpoints, keys and operator tokens.
#include <atomic>
#include <set>
#include <thread>

#include "base/result_testing.h"
#include "store/audit_encoding.h"
#include "store/store_contract_test.h"
#include "store/write_context.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

AuditEvent event(const std::string& tenant, const std::string& action, UnixSeconds at) {
  AuditEvent e;
  e.at = at;
  e.tenant_id = tenant;
  e.actor_type = "app";
  e.actor_id = "app_x";
  e.action = action;
  e.target = "ord_1";
  e.outcome = "ok";
  e.address = "127.0.0.1";
  e.request_id = "req_1";
  return e;
}


TEST_P(StoreContractTest, AuditAppendAssignsAChainFromGenesis) {
  auto head0 = store_->get_audit_head();
  ASSERT_TRUE(head0.ok());
  EXPECT_EQ(head0->seq, 0);
  EXPECT_EQ(head0->hash, audit_genesis_hash());

  auto a = store_->append_audit_event(event("t1", "order.create", kNow));
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->seq, 1);
  EXPECT_EQ(a->prev_hash, audit_genesis_hash());
  EXPECT_EQ(a->hash, audit_event_hash(audit_genesis_hash(), *a));
  auto b = store_->append_audit_event(event("t2", "order.get", kNow + 1));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->seq, 2);
  EXPECT_EQ(b->prev_hash, a->hash);

  auto head = store_->get_audit_head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 2);
  EXPECT_EQ(head->hash, b->hash);

  reopen();
  auto all = store_->list_audit_events(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].action, "order.create");
  EXPECT_EQ((*all)[0].hash, a->hash);
  EXPECT_EQ((*all)[1].tenant_id, "t2");
  auto after = store_->list_audit_events(1, 100);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].seq, 2);
}

TEST_P(StoreContractTest, AuditAppendRefusesIncompleteEvents) {
  AuditEvent e = event("t1", "", kNow);
  EXPECT_EQ(store_->append_audit_event(e).code(), ErrorCode::kInvalidArgument);
  e = event("t1", "x", kNow);
  e.actor_type = "martian";
  EXPECT_EQ(store_->append_audit_event(e).code(), ErrorCode::kInvalidArgument);
  e = event("t1", "x", kNow);
  e.outcome = "";
  EXPECT_EQ(store_->append_audit_event(e).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ok_value(store_->get_audit_head()).seq, 0);
}

TEST_P(StoreContractTest, AuditBatchAppendIsOrderedAndAtomic) {
  std::vector<AuditEvent> batch = {event("t1", "a", kNow), event("t1", "b", kNow), event("t1", "c", kNow)};
  ASSERT_TRUE(store_->append_audit_events(batch).ok());
  EXPECT_EQ(batch[0].seq, 1);
  EXPECT_EQ(batch[2].seq, 3);
  EXPECT_EQ(batch[1].prev_hash, batch[0].hash);
  // One bad event: none of the batch is appended.
  std::vector<AuditEvent> bad = {event("t1", "d", kNow), event("t1", "", kNow)};
  EXPECT_FALSE(store_->append_audit_events(bad).ok());
  EXPECT_EQ(ok_value(store_->get_audit_head()).seq, 3);
}

TEST_P(StoreContractTest, AuditConcurrentAppendsHaveNoGapsAndOneChain) {
  constexpr int kThreads = 8, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        if (!store_->append_audit_event(event("t" + std::to_string(t), "a", kNow + i)).ok()) ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = store_->list_audit_events(0, 1000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kThreads * kEach));
  Bytes prev = audit_genesis_hash();
  for (size_t i = 0; i < all->size(); ++i) {
    const AuditEvent& e = (*all)[i];
    EXPECT_EQ(e.seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(e.hash, audit_event_hash(prev, e));
    prev = e.hash;
  }
}

TEST_P(StoreContractTest, AuditTenantListingFiltersByTenantAndHalfOpenTime) {
  for (UnixSeconds d : {0, 10, 20, 30}) {
    ASSERT_TRUE(store_->append_audit_event(event("ta", "x", kNow + d)).ok());
    ASSERT_TRUE(store_->append_audit_event(event("tb", "x", kNow + d)).ok());
  }
  auto r = store_->list_tenant_audit_events("ta", kNow + 10, kNow + 30, 0, 100);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);  // at 10 and 20; 30 is excluded
  for (const auto& e : *r) EXPECT_EQ(e.tenant_id, "ta");
  EXPECT_EQ((*r)[0].at, kNow + 10);
  EXPECT_EQ((*r)[1].at, kNow + 20);
  auto page = store_->list_tenant_audit_events("ta", kNow, kNow + 100, (*r)[0].seq, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].at, kNow + 20);
  EXPECT_TRUE(ok_value(store_->list_tenant_audit_events("nobody", 0, kNow * 2, 0, 10)).empty());
}

TEST_P(StoreContractTest, AuditBoundEventIsAppendedInsideEveryWriteTransaction) {
  PendingAuditEvent pending{event("", "tenant.create", kNow)};
  pending.event.actor_type = "operator";
  pending.event.outcome = "pending";
  {
    const WriteContext bound{&pending, nullptr};
    Tenant t;
    t.tenant_id = "ten_bound";
    t.name = "Bound";
    t.created_at = kNow;
    ASSERT_TRUE(store_->create_tenant(bound, t).ok());
    // A read carries nothing.
    ASSERT_TRUE(store_->get_tenant("ten_bound").ok());
    // A refused write carries nothing either.
    EXPECT_FALSE(store_->create_tenant(bound, t).ok());
  }
  EXPECT_EQ(pending.appended, 1);
  EXPECT_EQ(pending.last_seq, 1);
  auto all = store_->list_audit_events(0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].action, "tenant.create");
  EXPECT_EQ((*all)[0].outcome, "ok");  // written as committed
  // Unbound: nothing appended.
  Tenant t2;
  t2.tenant_id = "ten_unbound";
  t2.name = "U";
  t2.created_at = kNow;
  ASSERT_TRUE(store_->create_tenant({}, t2).ok());
  EXPECT_EQ(ok_value(store_->get_audit_head()).seq, 1);
}

// The expiry sweep's bound event is appended once per expired order, with the
// order's tenant and id (so a tenant's export holds its expiries), and not at
// all when nothing expired.
TEST_P(StoreContractTest, AuditExpirySweepAppendsOneEventPerExpiredOrderWithItsTenant) {
  World a = make_world("ta"), b = make_world("tb");
  SignOrder oa = create(order_for(a, 1, kNow + 10));
  SignOrder ob = create(order_for(b, 1, kNow + 20));
  SignOrder later = create(order_for(a, 1, kNow + 500));
  const int64_t head = ok_value(store_->get_audit_head()).seq;
  PendingAuditEvent pending{event("", "worker.expiry", kNow + 30)};
  pending.event.actor_type = "system";
  pending.event.target = "";
  {
    const WriteContext bound{&pending, nullptr};
    auto none = store_->expire_orders(bound, kNow + 5, 10, nullptr);  // nothing due yet
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    EXPECT_EQ(ok_value(store_->get_audit_head()).seq, head);
    auto expired = store_->expire_orders(bound, kNow + 30, 10, nullptr);
    ASSERT_TRUE(expired.ok());
    ASSERT_EQ(expired->size(), 2u);
  }
  EXPECT_EQ(pending.appended, 2);
  auto all = store_->list_audit_events(head, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  std::set<std::pair<std::string, std::string>> seen;
  for (const AuditEvent& e : *all) {
    EXPECT_EQ(e.action, "worker.expiry");
    EXPECT_EQ(e.actor_type, "system");
    EXPECT_EQ(e.outcome, "ok");
    seen.insert({e.tenant_id, e.target});
  }
  EXPECT_EQ(seen, (std::set<std::pair<std::string, std::string>>{{a.tenant_id, "order_id:" + oa.order_id},
                                                                  {b.tenant_id, "order_id:" + ob.order_id}}));
  EXPECT_EQ(pending.last_seq, all->back().seq);
  auto only_a = store_->list_tenant_audit_events(a.tenant_id, 0, kNow * 2, head, 10);
  ASSERT_TRUE(only_a.ok());
  ASSERT_EQ(only_a->size(), 1u);
  EXPECT_EQ((*only_a)[0].target, "order_id:" + oa.order_id);
  EXPECT_EQ(ok_value(store_->get_order(a.tenant_id, later.order_id)).state, OrderState::kPending);
}

TEST_P(StoreContractTest, AuditBoundEventThatCannotBeAppendedRollsTheWriteBack) {
  // An invalid bound event (no action) cannot be appended: the write fails
  // and leaves no trace (fail-closed).
  PendingAuditEvent pending{event("", "", kNow)};
  {
    const WriteContext bound{&pending, nullptr};
    Tenant t;
    t.tenant_id = "ten_refused";
    t.name = "R";
    t.created_at = kNow;
    Status st = store_->create_tenant(bound, t);
    EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
    EXPECT_EQ(store_error_kind(st.error()), StoreError::kUnavailable);
  }
  EXPECT_EQ(pending.appended, 0);
  EXPECT_EQ(store_->get_tenant("ten_refused").code(), ErrorCode::kNotFound);
  EXPECT_EQ(ok_value(store_->get_audit_head()).seq, 0);
}

TEST_P(StoreContractTest, AuditCheckpointsMustMatchTheChain) {
  auto a = store_->append_audit_event(event("t", "a", kNow));
  auto b = store_->append_audit_event(event("t", "b", kNow));
  ASSERT_OK(b);
  ASSERT_TRUE(a.ok() && b.ok());
  AuditCheckpoint cp{2, b->hash, kNow + 5, "audk_1", Bytes{1, 2, 3}, {}};
  ASSERT_TRUE(store_->add_audit_checkpoint(cp).ok());
  EXPECT_EQ(store_error_kind(store_->add_audit_checkpoint(cp).error()), StoreError::kDuplicate);
  AuditCheckpoint wrong{1, b->hash, kNow, "audk_1", Bytes{1}, {}};
  EXPECT_EQ(store_->add_audit_checkpoint(wrong).code(), ErrorCode::kInvalidArgument);
  AuditCheckpoint missing{9, b->hash, kNow, "audk_1", Bytes{1}, {}};
  EXPECT_EQ(store_error_kind(store_->add_audit_checkpoint(missing).error()), StoreError::kNotFound);
  AuditCheckpoint first{1, a->hash, kNow, "audk_1", Bytes{9}, {}};
  ASSERT_TRUE(store_->add_audit_checkpoint(first).ok());
  auto list = store_->list_audit_checkpoints(0, 100);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].seq, 1);
  EXPECT_EQ((*list)[1].signature, (Bytes{1, 2, 3}));
  EXPECT_EQ((*list)[1].signed_at, kNow + 5);
  EXPECT_EQ(ok_value(store_->list_audit_checkpoints(2, 2)).size(), 1u);
  // Checkpoint calls never append audit events themselves.
  EXPECT_EQ(ok_value(store_->get_audit_head()).seq, 2);
}

// Chained checkpoints (prev_hash set, docs/audit.md "Checkpoints"): each
// must name the newest stored one; the name round-trips; a v1 one reads
// back with an empty prev_hash.
TEST_P(StoreContractTest, ChainedAuditCheckpointsExtendTheNewest) {
  std::vector<AuditEvent> ev;
  for (int i = 0; i < 4; ++i) ev.push_back(ok_value(store_->append_audit_event(event("t", "e", kNow))));
  AuditCheckpoint v1{1, ev[0].hash, kNow, "audk_1", Bytes{1}, {}};
  ASSERT_OK(store_->add_audit_checkpoint(v1));
  // The first chained one names the v1 checkpoint before it, not genesis.
  AuditCheckpoint wrong_first{2, ev[1].hash, kNow, "audk_1", Bytes{2}, audit_genesis_hash()};
  EXPECT_EQ(store_error_kind(store_->add_audit_checkpoint(wrong_first).error()), StoreError::kConflict);
  AuditCheckpoint c2{2, ev[1].hash, kNow, "audk_1", Bytes{2}, audit_checkpoint_hash(v1)};
  ASSERT_OK(store_->add_audit_checkpoint(c2));
  // Older than the newest: that head is signed already.
  AuditCheckpoint behind{1, ev[0].hash, kNow, "audk_1", Bytes{3}, audit_checkpoint_hash(c2)};
  EXPECT_EQ(store_error_kind(store_->add_audit_checkpoint(behind).error()), StoreError::kDuplicate);
  // Naming the same predecessor again (a fork) is refused.
  AuditCheckpoint fork{4, ev[3].hash, kNow, "audk_1", Bytes{4}, audit_checkpoint_hash(v1)};
  EXPECT_EQ(store_error_kind(store_->add_audit_checkpoint(fork).error()), StoreError::kConflict);
  AuditCheckpoint malformed{4, ev[3].hash, kNow, "audk_1", Bytes{4}, Bytes{1, 2}};
  EXPECT_EQ(store_->add_audit_checkpoint(malformed).code(), ErrorCode::kInvalidArgument);
  AuditCheckpoint c4{4, ev[3].hash, kNow + 1, "audk_1", Bytes{4}, audit_checkpoint_hash(c2)};
  ASSERT_OK(store_->add_audit_checkpoint(c4));
  auto list = ok_value(store_->list_audit_checkpoints(0, 100));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_TRUE(list[0].prev_hash.empty());
  EXPECT_EQ(list[1].prev_hash, audit_checkpoint_hash(v1));
  EXPECT_EQ(list[2].prev_hash, audit_checkpoint_hash(c2));
  EXPECT_EQ(audit_checkpoint_hash(list[2]), audit_checkpoint_hash(c4));
}

TEST_P(StoreContractTest, AuditKeysAndOperatorTokens) {
  AuditKey k{"audk_1", Bytes{1}, Bytes{2}, kNow};
  ASSERT_TRUE(store_->put_audit_key(k).ok());
  EXPECT_EQ(store_error_kind(store_->put_audit_key(k).error()), StoreError::kDuplicate);
  AuditKey k2{"audk_2", Bytes{3}, Bytes{4}, kNow + 1};
  ASSERT_TRUE(store_->put_audit_key(k2).ok());
  auto keys = store_->list_audit_keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].key_id, "audk_1");
  EXPECT_EQ((*keys)[1].sealed_private_key, Bytes{4});

  ASSERT_TRUE(store_->create_admin_token({}, {Bytes(32, 1), "alice", "auditor", kNow, std::nullopt}).ok());
  ASSERT_TRUE(store_->create_admin_token({}, {Bytes(32, 2), "alice", "auditor", kNow + 1, std::nullopt}).ok());
  ASSERT_TRUE(store_->create_admin_token({}, {Bytes(32, 3), "bob", "operator", kNow + 2, std::nullopt}).ok());
  auto n = store_->revoke_admin_tokens({}, "alice", kNow + 10);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(store_error_kind(store_->revoke_admin_tokens({}, "alice", kNow + 11).error()), StoreError::kNotFound);
  EXPECT_FALSE(store_->find_admin_token(Bytes(32, 1)).ok());
  EXPECT_TRUE(store_->find_admin_token(Bytes(32, 3)).ok());
  auto all = store_->list_admin_tokens();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].revoked_at, std::optional<UnixSeconds>(kNow + 10));
  EXPECT_FALSE((*all)[2].revoked_at.has_value());
}

}  // namespace
}  // namespace duet::store::testing
