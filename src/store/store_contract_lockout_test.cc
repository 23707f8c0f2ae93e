// Contract tests of the PIN lockout as every backend must run core's rule
// (core/pin_attempt_rule.h; store.h "PIN attempts"): the backend hands the
// rule the counters it read with the holder's row held and counts the
// attempt with ONE conditional update, so under any concurrency a holder
// gets exactly the failures the rule allows, then is locked, and the right
// PIN on the last allowed attempt still signs. A backend that counts from
// stale counters, skips the condition or drops the lock fails these.
#include <atomic>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result_testing.h"
#include "core/pin_attempt_rule.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kNow = StoreContractTest::kNow;
const core::PinAttemptPolicy kPolicy{/*max_consecutive=*/5, /*budget=*/10, /*window_seconds=*/30 * 86'400};

// One wrong-PIN attempt the way core makes it: count it (begin), then fail it
// with the lock core's rule decides. Returns the begin's outcome.
Result<PinAttemptCounters> wrong_attempt(Store& store, const SignOrder& order) {
  SignSession s;
  s.tenant_id = order.tenant_id;
  s.session_id = new_id("ses_");
  s.order_id = order.order_id;
  s.holder_id = order.holder_id;
  const std::string attempt = new_id("att_");
  auto counted = store.begin_sign_attempt({}, s, attempt, kNow - kPolicy.window_seconds, core::pin_attempt_rule(kPolicy),
                                          kNow);
  if (!counted.ok()) return counted;
  Status failed = store.fail_pin_attempt({}, s.tenant_id, attempt, core::locks_after_failure(*counted, kPolicy),
                                         s.session_id, {}, std::nullopt, kNow);
  if (!failed.ok()) return Unexpected{failed.error()};
  return counted;
}

// 16 threads guess wrong as fast as they can, each on its own order, until
// the store refuses them: exactly max_consecutive attempts are counted and
// failed, the last of them locks the holder, and every later one is refused.
TEST_P(StoreContractTest, ConcurrentWrongPinsFailExactlyTheLimitThenLock) {
  World w = make_world("t");
  constexpr int kThreads = 16;
  std::vector<SignOrder> orders;
  for (int i = 0; i < kThreads; ++i) orders.push_back(create(order_for(w)));
  std::atomic<int> counted{0}, refused{0}, other{0}, locking{0};
  run_together(kThreads, [&](int i) {
    // Bounded, so a backend that never locks fails instead of hanging.
    for (int tries = 0; tries < 4 * kPolicy.budget; ++tries) {
      auto r = wrong_attempt(*store_, orders[static_cast<size_t>(i)]);
      if (r.ok()) {
        ++counted;
        if (core::locks_after_failure(*r, kPolicy)) ++locking;
        continue;
      }
      if (r.code() == ErrorCode::kLocked) ++refused;
      else ++other;
      break;
    }
  });
  EXPECT_EQ(counted.load(), kPolicy.max_consecutive);
  EXPECT_EQ(locking.load(), 1) << "one failure reached the limit";
  EXPECT_EQ(refused.load(), kThreads);
  EXPECT_EQ(other.load(), 0);
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, HolderStatus::kLocked);
  EXPECT_EQ(h->failed_attempts, kPolicy.max_consecutive);
  // Locked for good: a later attempt is refused and counts nothing.
  EXPECT_EQ(wrong_attempt(*store_, create(order_for(w))).code(), ErrorCode::kLocked);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, kPolicy.max_consecutive);
}

// Four wrong guesses (concurrently), then the right PIN on the fifth and
// last allowed attempt. While its proof is being checked the counts are at
// the limit, so 8 concurrent attempts are all refused (and count nothing);
// then the proof is accepted: the holder stays active with the consecutive
// count reset, and the order signs.
TEST_P(StoreContractTest, TheRightPinOnTheLastAllowedAttemptStillSigns) {
  World w = make_world("t");
  {
    std::vector<SignOrder> orders;
    for (int i = 0; i < 4; ++i) orders.push_back(create(order_for(w)));
    std::latch go(4);
    std::vector<std::thread> threads;
    std::atomic<int> failed{0};
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        if (wrong_attempt(*store_, orders[static_cast<size_t>(i)]).ok()) ++failed;
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(failed.load(), 4);
  }
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  ASSERT_EQ(h->status, HolderStatus::kActive);
  ASSERT_EQ(h->failed_attempts, 4);

  SignOrder last = create(order_for(w));
  SignSession s = session_for(last);
  auto counted = store_->begin_sign_attempt({}, s, attempt_id_for(s), kNow - kPolicy.window_seconds,
                                            core::pin_attempt_rule(kPolicy), kNow);
  ASSERT_TRUE(counted.ok()) << counted.error().to_string();
  EXPECT_EQ(counted->consecutive_failures, kPolicy.max_consecutive) << "counted as a failure until its proof verifies";
  EXPECT_EQ(core::pin_attempts_left(*counted, kPolicy), 0);

  constexpr int kRacers = 8;
  std::vector<SignOrder> others;
  for (int i = 0; i < kRacers; ++i) others.push_back(create(order_for(w)));
  std::atomic<int> refused{0};
  run_together(kRacers, [&](int i) {
    if (wrong_attempt(*store_, others[static_cast<size_t>(i)]).code() == ErrorCode::kLocked) ++refused;
  });
  EXPECT_EQ(refused.load(), kRacers);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, kPolicy.max_consecutive);

  ASSERT_TRUE(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), s.r_values, kNow).ok());
  h = store_->get_holder(w.tenant_id, w.holder_id);
  EXPECT_EQ(h->status, HolderStatus::kActive) << "the right PIN on the last try never locks";
  EXPECT_EQ(h->failed_attempts, 0);
  ASSERT_TRUE(store_->finish_order({}, w.tenant_id, last.order_id, s.session_id, {Bytes{0x30}}, std::nullopt, kNow).ok());
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, last.order_id)).state, OrderState::kSigned);
  // The success reset the consecutive count, not the window's failures.
  auto next = wrong_attempt(*store_, create(order_for(w)));
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->consecutive_failures, 1);
  EXPECT_EQ(next->failures_in_window, 5);
}

}  // namespace
}  // namespace duet::store::testing
