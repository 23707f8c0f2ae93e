// Order callbacks (core/callbacks.h): which order states make a job and what
// its body says; the dispatcher delivering through a fake WebhookSender,
// retrying a failure with doubling backoff, giving up after
// callback_max_attempts; expire_due_orders moving past-due orders to expired
// with their callback queued.
#include "core/callbacks.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/request_signing.h"
#include "core/test_fixture.h"

namespace duet::core {
namespace {

using store::OrderState;

store::SignOrder order_in(OrderState state) {
  store::SignOrder o;
  o.tenant_id = "tnt_1";
  o.order_id = "ord_1";
  o.holder_id = "hld_1";
  o.callback_url = "https://biz.example/cb";
  o.output_format = store::OutputFormat::kDer;
  o.state = state;
  store::SignItem a, b;
  a.signature = Bytes{0x01, 0xab};
  b.signature = Bytes{0xff};
  o.items = {a, b};
  return o;
}

TEST(MakeOrderCallbackTest, NoCallbackUrlMeansNoJob) {
  auto o = order_in(OrderState::kSigned);
  o.callback_url.clear();
  EXPECT_FALSE(make_order_callback(o, 10).has_value());
}

TEST(MakeOrderCallbackTest, SignedOrderCarriesItsSignaturesInHex) {
  auto job = make_order_callback(order_in(OrderState::kSigned), 1700);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->tenant_id, "tnt_1");
  EXPECT_EQ(job->order_id, "ord_1");
  EXPECT_EQ(job->url, "https://biz.example/cb");
  EXPECT_EQ(job->next_attempt_at, 1700);
  EXPECT_EQ(job->created_at, 1700);
  auto body = nlohmann::json::parse(job->payload);
  EXPECT_EQ(body["event"], "order.signed");
  EXPECT_EQ(body["state"], "signed");
  EXPECT_EQ(body["order_id"], "ord_1");
  EXPECT_EQ(body["holder_id"], "hld_1");
  EXPECT_EQ(body["output"], "der");
  EXPECT_EQ(body["occurred_at"], 1700);
  EXPECT_EQ(body["signatures"], nlohmann::json::array({"01ab", "ff"}));
}

TEST(MakeOrderCallbackTest, OnlyASignedOrderCarriesSignatures) {
  for (OrderState s : {OrderState::kRejected, OrderState::kExpired, OrderState::kCancelled, OrderState::kFailed}) {
    auto job = make_order_callback(order_in(s), 5);
    ASSERT_TRUE(job.has_value());
    auto body = nlohmann::json::parse(job->payload);
    EXPECT_EQ(body["event"], "order." + body["state"].get<std::string>());
    EXPECT_TRUE(body["signatures"].is_array());
    EXPECT_TRUE(body["signatures"].empty()) << job->payload;
  }
  EXPECT_EQ(nlohmann::json::parse(make_order_callback(order_in(OrderState::kRejected), 5)->payload)["event"],
            "order.rejected");
}

class CallbackDispatchTest : public CoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreTest::SetUp());
    t = new_tenant("Callbacks");
    ASSERT_OK_AND_ASSIGN(Device device, enroll(t.sandbox, "246810"));
    holder_id = device.ctx.holder_id;
  }
  // A pending order of the enrolled holder with a callback URL.
  std::string new_order(std::optional<int64_t> expires_in = std::nullopt) {
    NewOrder no{holder_id, "Contract", "", store::OutputFormat::kRaw, {{Bytes{1, 2, 3}, false}},
                expires_in, "https://biz.example/cb", ""};
    auto order = business->create_order(t.sandbox, no);
    if (!order.ok()) {
      ADD_FAILURE() << order.error().to_string();
      return "";
    }
    return order->order_id;
  }
  // Queues the order's callback under a known job id.
  void enqueue_for(const std::string& order_id, const std::string& job_id) {
    ASSERT_OK_AND_ASSIGN(store::SignOrder order, store_->get_order(t.tenant_id, order_id));
    auto job = make_order_callback(order, clock.now());
    ASSERT_TRUE(job.has_value());
    job->job_id = job_id;
    ASSERT_OK(store_->enqueue_callback({}, *job));
  }
  static std::string header(const RecordingSender::Call& call, const std::string& name) {
    for (const auto& h : call.headers) {
      if (h.name == name) return h.value;
    }
    return "";
  }

  TenantApp t;
  std::string holder_id;  // enrolled, with an active key
};

TEST_F(CallbackDispatchTest, DeliveredOnceWithSignedHeaders) {
  std::string order_id = new_order();
  ASSERT_NO_FATAL_FAILURE(enqueue_for(order_id, "cbk_deliver"));
  RecordingSender sender;
  CallbackDispatcher dispatcher(*deps, sender, "w1");
  ASSERT_OK_AND_ASSIGN(size_t attempted, dispatcher.run_once({}));
  EXPECT_EQ(attempted, 1u);
  ASSERT_EQ(sender.calls.size(), 1u);
  const auto& call = sender.calls[0];
  EXPECT_EQ(call.url, "https://biz.example/cb");
  EXPECT_EQ(header(call, "X-Duet-Delivery"), "cbk_deliver");
  EXPECT_EQ(header(call, "X-Duet-Event"), "order.pending");
  EXPECT_EQ(header(call, "X-Duet-Signature"),
            sign_callback(t.app.sandbox.secret, header(call, "X-Duet-Timestamp"), call.body));
  ASSERT_OK_AND_ASSIGN(store::CallbackJob job, store_->get_callback(t.tenant_id, "cbk_deliver"));
  ASSERT_TRUE(job.delivered_at.has_value());
  EXPECT_EQ(*job.delivered_at, clock.now());
  EXPECT_EQ(metrics.callbacks_delivered.load(), 1u);

  clock.advance(100000);
  ASSERT_OK_AND_ASSIGN(attempted, dispatcher.run_once({}));
  EXPECT_EQ(attempted, 0u);
  EXPECT_EQ(sender.calls.size(), 1u) << "a delivered job is never sent again";
}

TEST_F(CallbackDispatchTest, FailureIsRetriedWithDoublingBackoffThenDelivered) {
  std::string order_id = new_order();
  ASSERT_NO_FATAL_FAILURE(enqueue_for(order_id, "cbk_retry"));
  RecordingSender sender;
  sender.status = 503;
  CallbackDispatcher dispatcher(*deps, sender, "w1");
  const UnixSeconds t0 = clock.now();
  ASSERT_OK(dispatcher.run_once({}));
  ASSERT_OK_AND_ASSIGN(store::CallbackJob job, store_->get_callback(t.tenant_id, "cbk_retry"));
  EXPECT_EQ(job.attempts, 1);
  EXPECT_FALSE(job.delivered_at.has_value());
  EXPECT_EQ(job.last_error, "HTTP 503");
  EXPECT_EQ(job.next_attempt_at, t0 + 5) << "callback_first_backoff_seconds";
  EXPECT_EQ(metrics.callbacks_failed.load(), 1u);

  // Not due yet: nothing is sent.
  clock.advance(4);
  ASSERT_OK_AND_ASSIGN(size_t attempted, dispatcher.run_once({}));
  EXPECT_EQ(attempted, 0u);
  EXPECT_EQ(sender.calls.size(), 1u);

  clock.advance(1);
  ASSERT_OK(dispatcher.run_once({}));
  EXPECT_EQ(sender.calls.size(), 2u);
  ASSERT_OK_AND_ASSIGN(job, store_->get_callback(t.tenant_id, "cbk_retry"));
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(job.next_attempt_at, clock.now() + 10) << "the backoff doubles";

  clock.advance(10);
  sender.status = 204;
  ASSERT_OK(dispatcher.run_once({}));
  EXPECT_EQ(sender.calls.size(), 3u);
  ASSERT_OK_AND_ASSIGN(job, store_->get_callback(t.tenant_id, "cbk_retry"));
  EXPECT_TRUE(job.delivered_at.has_value());
  EXPECT_EQ(job.attempts, 3);
}

TEST_F(CallbackDispatchTest, GivenUpAfterMaxAttempts) {
  std::string order_id = new_order();
  ASSERT_NO_FATAL_FAILURE(enqueue_for(order_id, "cbk_give_up"));
  RecordingSender sender;
  sender.status = 500;
  CoreDeps limited = *deps;
  limited.config.callback_max_attempts = 2;
  CallbackDispatcher dispatcher(limited, sender, "w1");
  ASSERT_OK(dispatcher.run_once({}));
  clock.advance(5);
  ASSERT_OK(dispatcher.run_once({}));
  EXPECT_EQ(sender.calls.size(), 2u);
  // Even a year later the job is not tried again; it keeps its last error.
  clock.advance(365 * 86400);
  ASSERT_OK_AND_ASSIGN(size_t attempted, dispatcher.run_once({}));
  EXPECT_EQ(attempted, 0u);
  EXPECT_EQ(sender.calls.size(), 2u);
  ASSERT_OK_AND_ASSIGN(store::CallbackJob job, store_->get_callback(t.tenant_id, "cbk_give_up"));
  EXPECT_EQ(job.attempts, 2);
  EXPECT_FALSE(job.delivered_at.has_value());
  EXPECT_EQ(job.last_error, "HTTP 500");
}

TEST_F(CallbackDispatchTest, ExpireDueOrdersExpiresOnlyPastDueOnesAndQueuesTheirCallback) {
  std::string short_lived = new_order(60);
  std::string long_lived = new_order(3600);
  ASSERT_OK_AND_ASSIGN(size_t expired, expire_due_orders(*deps, {}));
  EXPECT_EQ(expired, 0u) << "nothing is due yet";

  clock.advance(61);
  ASSERT_OK_AND_ASSIGN(expired, expire_due_orders(*deps, {}));
  EXPECT_EQ(expired, 1u);
  ASSERT_OK_AND_ASSIGN(store::SignOrder gone, store_->get_order(t.tenant_id, short_lived));
  EXPECT_EQ(gone.state, OrderState::kExpired);
  ASSERT_OK_AND_ASSIGN(store::SignOrder kept, store_->get_order(t.tenant_id, long_lived));
  EXPECT_EQ(kept.state, OrderState::kPending);
  EXPECT_EQ(metrics.orders_expired.load(), 1u);

  RecordingSender sender;
  CallbackDispatcher dispatcher(*deps, sender, "w1");
  ASSERT_OK(dispatcher.run_once({}));
  ASSERT_EQ(sender.calls.size(), 1u);
  auto body = nlohmann::json::parse(sender.calls[0].body);
  EXPECT_EQ(body["event"], "order.expired");
  EXPECT_EQ(body["order_id"], short_lived);

  ASSERT_OK_AND_ASSIGN(expired, expire_due_orders(*deps, {}));
  EXPECT_EQ(expired, 0u) << "an expired order is not expired twice";
}

}  // namespace
}  // namespace duet::core
