// Which webhook jobs a PIN failure or a lock produces, and to which URLs: the
// order's callback URL (signing with an order that has one) and the tenant's
// notify URL (when an operator set one); the body names the event, never a
// PIN-derived value.
#include "core/holder_alarms.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/test_fixture.h"

namespace duet::core {
namespace {

class HolderAlarmsTest : public CoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreTest::SetUp());
    tenant = new_tenant("alarms").tenant_id;
    ASSERT_FALSE(tenant.empty());
    order.tenant_id = tenant;
    order.order_id = "ord_alarm";
    order.callback_url = "https://biz.example/cb";
  }
  void set_notify_url(const std::string& url) {
    store::TenantNotifyTarget t;
    t.tenant_id = tenant;
    t.url = url;
    t.secret_ciphertext = Bytes{1, 2, 3};
    t.updated_at = clock.now();
    ASSERT_OK(store_->set_tenant_notify_target(store::WriteContext{}, t));
  }
  std::string tenant;
  store::SignOrder order;
};

TEST_F(HolderAlarmsTest, FailureWithoutNotifyTargetGoesOnlyToTheOrderCallback) {
  auto jobs = pin_failure_alarms(*store_, tenant, "hld_1", &order, "sign", 4, false, 1234);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].url, "https://biz.example/cb");
  EXPECT_EQ(jobs[0].tenant_id, tenant);
  EXPECT_EQ(jobs[0].order_id, "ord_alarm");
  EXPECT_EQ(jobs[0].next_attempt_at, 1234);
  auto body = nlohmann::json::parse(jobs[0].payload);
  EXPECT_EQ(body["event"], "holder.pin_failed");
  EXPECT_EQ(body["holder_id"], "hld_1");
  EXPECT_EQ(body["use"], "sign");
  EXPECT_EQ(body["order_id"], "ord_alarm");
  EXPECT_EQ(body["attempts_left"], 4);
  EXPECT_EQ(body["occurred_at"], 1234);
  EXPECT_EQ(body.size(), 6u) << "nothing beyond the documented fields: " << jobs[0].payload;
}

TEST_F(HolderAlarmsTest, LockWithNotifyTargetGoesToBothUrlsWithTheSameBody) {
  ASSERT_NO_FATAL_FAILURE(set_notify_url("https://ops.example/notify"));
  auto jobs = pin_failure_alarms(*store_, tenant, "hld_1", &order, "sign", 0, true, 99);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].url, "https://biz.example/cb");
  EXPECT_EQ(jobs[0].order_id, "ord_alarm");
  EXPECT_EQ(jobs[1].url, "https://ops.example/notify");
  EXPECT_EQ(jobs[1].order_id, "") << "a notice job belongs to no order";
  EXPECT_EQ(jobs[0].payload, jobs[1].payload);
  auto body = nlohmann::json::parse(jobs[1].payload);
  EXPECT_EQ(body["event"], "holder.locked");
  EXPECT_EQ(body["attempts_left"], 0);
}

TEST_F(HolderAlarmsTest, RefreshFailureHasNoOrderAndGoesOnlyToTheNotifyUrl) {
  ASSERT_NO_FATAL_FAILURE(set_notify_url("https://ops.example/notify"));
  auto jobs = pin_failure_alarms(*store_, tenant, "hld_2", nullptr, "refresh", 2, false, 50);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].url, "https://ops.example/notify");
  auto body = nlohmann::json::parse(jobs[0].payload);
  EXPECT_TRUE(body["order_id"].is_null());
  EXPECT_EQ(body["use"], "refresh");
  EXPECT_EQ(body["event"], "holder.pin_failed");
}

TEST_F(HolderAlarmsTest, NoCallbackUrlAndNoNotifyTargetMeansNoJobs) {
  order.callback_url.clear();
  EXPECT_TRUE(pin_failure_alarms(*store_, tenant, "hld_1", &order, "sign", 3, false, 1).empty());
  EXPECT_TRUE(pin_failure_alarms(*store_, tenant, "hld_1", nullptr, "refresh_confirm", 3, false, 1).empty());
}

TEST_F(HolderAlarmsTest, ClearedNotifyUrlProducesNoNoticeJob) {
  ASSERT_NO_FATAL_FAILURE(set_notify_url(""));
  auto jobs = pin_failure_alarms(*store_, tenant, "hld_1", &order, "sign", 1, false, 1);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].url, "https://biz.example/cb");
}

}  // namespace
}  // namespace duet::core
