// The rate limiter (core/rate_limit.h): sandbox and production limits,
// shared through the store, reloads never undoing a newer change.
#include <gtest/gtest.h>
#include <thread>
#include <atomic>

#include "core/rate_limit.h"
#include "core/sla_test_fixture.h"

namespace duet::core {
namespace {

TEST_F(SlaTest, RateLimiterSandboxAndProduction) {
  std::string t = tenant("limited");
  LimitsConfig lc;
  lc.sandbox_requests_per_second = 3;
  RateLimiter rl(*store_, clock, lc);
  AppContext sandbox{t, "app_s", store::AppEnvironment::kSandbox};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.check(sandbox).allowed) << i;
  RateDecision d = rl.check(sandbox);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 1);
  AppContext other{t, "app_s2", store::AppEnvironment::kSandbox};
  EXPECT_TRUE(rl.check(other).allowed);  // per app
  clock.advance(1);
  EXPECT_TRUE(rl.check(sandbox).allowed);  // next window

  AppContext prod{t, "app_p", store::AppEnvironment::kProduction};
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(rl.check(prod).allowed);  // unlimited by default
  ASSERT_TRUE(rl.set_tenant_limit({}, t, 2).ok());
  RateLimiter other_node(*store_, clock, lc);
  ASSERT_TRUE(other_node.refresh().ok());
  EXPECT_EQ(other_node.tenant_limit(t), 2);
  clock.advance(1);
  EXPECT_TRUE(rl.check(prod).allowed);
  EXPECT_TRUE(other_node.check(prod).allowed);
  EXPECT_FALSE(rl.check(prod).allowed);  // the two nodes share the counter
  ASSERT_TRUE(rl.set_tenant_limit({}, t, 0).ok());
  EXPECT_TRUE(rl.check(prod).allowed);
  EXPECT_EQ(rl.set_tenant_limit({}, "ten_nope", 5).code(), ErrorCode::kNotFound);
}

// A reload that read the store before an operator's change must not undo the change
// when it swaps in its older snapshot (the SLA worker reloads every few seconds while
// the Admin API sets limits).
TEST_F(SlaTest, RateLimiterReloadNeverUndoesANewerChange) {
  std::string t = tenant("raced");
  RateLimiter rl(*store_, clock, LimitsConfig{});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reloads{0};
  std::thread reloader([&] {
    while (!stop.load()) {
      EXPECT_TRUE(rl.refresh().ok());
      reloads.fetch_add(1);
    }
  });
  int stale = 0;
  for (int i = 1; i <= 400; ++i) {
    ASSERT_TRUE(rl.set_tenant_limit({}, t, i).ok());
    // Wait until a reload has finished after the change: the one under way when the
    // change was made, or a later one.
    uint64_t seen = reloads.load();
    while (reloads.load() < seen + 1) std::this_thread::yield();
    if (rl.tenant_limit(t) != i) ++stale;
  }
  stop = true;
  reloader.join();
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(rl.tenant_limit(t), 400);
}

}  // namespace
}  // namespace duet::core
