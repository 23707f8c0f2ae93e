// Contract tests of the callback queue's backlog (store/callbacks.h
// CallbackBacklog, read by GET /metrics for the alert rules) and of the
// limits of the sweeps that lease or expire in batches, on every backend.
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kNow = StoreContractTest::kNow;

TEST_P(StoreContractTest, CallbackBacklogCountsUndeliveredDueJobsOfEveryTenant) {
  EXPECT_EQ(ok_value(store_->callback_backlog(kNow)).due, 0);
  EXPECT_FALSE(ok_value(store_->callback_backlog(kNow)).oldest_due_at.has_value());

  World a = make_world("a");
  World b = make_world("b");
  SignOrder oa = create(order_for(a));
  SignOrder ob = create(order_for(b));
  CallbackJob early = callback_for(oa, "early");
  early.next_attempt_at = kNow - 50;
  CallbackJob due = callback_for(ob, "due");  // due at kNow
  CallbackJob later = callback_for(oa, "later");
  later.next_attempt_at = kNow + 100;
  CallbackJob delivered = callback_for(ob, "delivered");
  delivered.next_attempt_at = kNow - 80;
  for (const CallbackJob& j : {early, due, later, delivered}) ASSERT_OK(store_->enqueue_callback({}, j));
  ASSERT_OK(store_->mark_callback_delivered({}, b.tenant_id, delivered.job_id, kNow - 70));

  CallbackBacklog now = ok_value(store_->callback_backlog(kNow));
  EXPECT_EQ(now.due, 2) << "early and due; not the future one, not the delivered one";
  EXPECT_EQ(now.oldest_due_at, kNow - 50);

  // A job being delivered (leased) is still waiting until it is delivered.
  ASSERT_EQ(ok_value(store_->claim_due_callbacks({}, "w", kNow, 30, 1)).size(), 1u);
  EXPECT_EQ(ok_value(store_->callback_backlog(kNow)).due, 2);

  // Later, the future job is due too; delivering the early one removes it.
  ASSERT_OK(store_->mark_callback_delivered({}, a.tenant_id, early.job_id, kNow + 1));
  CallbackBacklog after = ok_value(store_->callback_backlog(kNow + 100));
  EXPECT_EQ(after.due, 2) << "due and later";
  EXPECT_EQ(after.oldest_due_at, kNow);
}

// "Leases up to `limit` due jobs": never more, whatever plan the backend's
// database picks (PostgreSQL leased two with limit 1 when the pick was an
// IN (subquery)), oldest due first.
TEST_P(StoreContractTest, ClaimDueCallbacksLeasesAtMostTheLimit) {
  World a = make_world("a");
  World b = make_world("b");
  SignOrder oa = create(order_for(a));
  SignOrder ob = create(order_for(b));
  std::vector<CallbackJob> jobs;
  for (int i = 0; i < 5; ++i) {
    CallbackJob j = callback_for(i % 2 ? ob : oa, "job" + std::to_string(i));
    j.next_attempt_at = kNow - 100 + i;
    ASSERT_OK(store_->enqueue_callback({}, j));
    jobs.push_back(j);
  }
  std::vector<CallbackJob> one = ok_value(store_->claim_due_callbacks({}, "w1", kNow, 30, 1));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].job_id, jobs[0].job_id) << "the oldest due job first";
  std::vector<CallbackJob> two = ok_value(store_->claim_due_callbacks({}, "w2", kNow, 30, 2));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].job_id, jobs[1].job_id);
  EXPECT_EQ(two[1].job_id, jobs[2].job_id);
  EXPECT_EQ(ok_value(store_->claim_due_callbacks({}, "w3", kNow, 30, 10)).size(), 2u) << "the rest";
}

// expire_orders expires at most `limit` orders per call, the longest overdue
// first, and the next call takes the rest.
TEST_P(StoreContractTest, ExpireOrdersExpiresAtMostTheLimit) {
  World w = make_world("t");
  std::vector<SignOrder> orders;
  for (int i = 0; i < 4; ++i) orders.push_back(create(order_for(w, 1, kNow + 10 + i)));
  std::vector<SignOrder> first = ok_value(store_->expire_orders({}, kNow + 100, 1, nullptr));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].order_id, orders[0].order_id);
  EXPECT_EQ(ok_value(store_->expire_orders({}, kNow + 100, 2, nullptr)).size(), 2u);
  EXPECT_EQ(ok_value(store_->expire_orders({}, kNow + 100, 10, nullptr)).size(), 1u);
  EXPECT_TRUE(ok_value(store_->expire_orders({}, kNow + 100, 10, nullptr)).empty());
}

}  // namespace
}  // namespace duet::store::testing
