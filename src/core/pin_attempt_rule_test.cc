// The PIN attempt rule (core/pin_attempt_rule.h) end to end: consecutive
// failures, the failure budget and an app's own budget lock the holder.
#include <gtest/gtest.h>

#include "core/pin_attempt_rule.h"
#include "core/test_fixture.h"
#include "cosign/refresh.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

TEST_F(CoreTest, FiveWrongPinsLockTheHolderAndFailTheOrder) {
  auto t = new_tenant("T");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  auto order = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", ""});
  ASSERT_TRUE(order.ok());
  for (int i = 0; i < 5; ++i) {
    auto r = sign(d, order->order_id, "000000", "ses_wrong00" + std::to_string(i));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::kPinInvalid) << i;
    EXPECT_EQ(r.error().attempts_left, 4 - i);
  }
  EXPECT_EQ(ok_value(business->get_holder(t.sandbox, d.ctx.holder_id)).status, store::HolderStatus::kLocked);
  EXPECT_EQ(ok_value(business->get_order(t.sandbox, order->order_id)).state, store::OrderState::kFailed);
  auto order2 = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "y", "", store::OutputFormat::kRaw, {{Bytes{2}, false}}, std::nullopt, "", ""});
  ASSERT_TRUE(order2.ok()) << order2.error().to_string();
  EXPECT_EQ(sign(d, order2->order_id, "123456", "ses_right000").code(), ErrorCode::kLocked);
  ASSERT_TRUE(business->unlock_holder(t.sandbox, d.ctx.holder_id).ok());
  // An unlock forces a share refresh before the next signature, so that any
  // copy of the old device state (the thief's) stops working.
  EXPECT_EQ(sign(d, order2->order_id, "123456", "ses_right001").code(), ErrorCode::kRefreshRequired);
  auto& rng = crypto::SystemRandom::instance();
  auto started = cosign::DeviceRefresh::start(d.state, "123456", "ref_after_unlock", rng);
  ASSERT_TRUE(started.ok());
  auto response = holders->begin_refresh(d.ctx, "ref_after_unlock", started->second);
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  auto fin = started->first.finish(*response, "123456", kIters, rng);
  ASSERT_TRUE(fin.ok());
  auto token = holders->confirm_refresh(d.ctx, "ref_after_unlock", fin->second);
  ASSERT_TRUE(token.ok()) << token.error().to_string();
  Device fresh{*holders->authenticate_device(*token), *token, fin->first};
  EXPECT_TRUE(sign(fresh, order2->order_id, "123456", "ses_right002").ok());
  // The old state, even with the right PIN, now only fails (and is counted).
  auto order3 = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "z", "", store::OutputFormat::kRaw, {{Bytes{3}, false}}, std::nullopt, "", ""});
  ASSERT_TRUE(order3.ok()) << order3.error().to_string();
  Device stale{fresh.ctx, fresh.token, d.state};
  auto old_state = sign(stale, order3->order_id, "123456", "ses_old_state1");
  EXPECT_EQ(old_state.code(), ErrorCode::kPinInvalid);
}

// docs/protocol.md "Counting": a failure budget that success does not reset, so a
// cloned device state cannot guess N-1 times between each of the holder's
// own signings. Default 10 failures in 30 days.
TEST_F(CoreTest, FailureBudgetLocksDespiteSuccessesBetweenGuesses) {
  auto t = new_tenant("T");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  int n = 0;
  auto one = [&](const std::string& pin) {
    auto o = business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "b", "", store::OutputFormat::kRaw,
                                                        {{Bytes{9}, false}}, std::nullopt, "", ""});
    EXPECT_TRUE(o.ok());
    return sign(d, o->order_id, pin, "ses_budget_" + std::to_string(n++));
  };
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 4; ++i) EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
    EXPECT_TRUE(one("123456").ok()) << "a success resets only the consecutive count";
  }
  auto ninth = one("000000");
  EXPECT_EQ(ninth.code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(ninth.error().attempts_left, 1) << "the budget, not the consecutive count, is what is left";
  EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(ok_value(business->get_holder(t.sandbox, d.ctx.holder_id)).status, store::HolderStatus::kLocked);
  EXPECT_EQ(one("123456").code(), ErrorCode::kLocked);
}

// The failure budget is configurable per app (issue 10 item 4): an app with a
// budget of 6 locks the key at the sixth failure in the window, successes
// between notwithstanding; values below the consecutive limit are refused.
TEST_F(CoreTest, AnAppsOwnFailureBudgetApplies) {
  auto t = new_tenant("T");
  EXPECT_EQ(admin->set_app_pin_failure_budget(op, t.tenant_id, t.sandbox.app_id, 4).code(),
            ErrorCode::kInvalidArgument);
  auto set = admin->set_app_pin_failure_budget(op, t.tenant_id, t.sandbox.app_id, 6);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(set->pin_failure_budget, 6);
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  int n = 0;
  auto one = [&](const std::string& pin) {
    auto o = business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "b", "", store::OutputFormat::kRaw,
                                                        {{Bytes{7}, false}}, std::nullopt, "", ""});
    EXPECT_TRUE(o.ok());
    return sign(d, o->order_id, pin, "ses_app_budget_" + std::to_string(n++));
  };
  for (int i = 0; i < 4; ++i) EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
  EXPECT_TRUE(one("123456").ok());
  auto fifth = one("000000");
  EXPECT_EQ(fifth.code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(fifth.error().attempts_left, 1);
  EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(ok_value(business->get_holder(t.sandbox, d.ctx.holder_id)).status, store::HolderStatus::kLocked);
  // Back to the service's default: the app row says so.
  auto cleared = admin->set_app_pin_failure_budget(op, t.tenant_id, t.sandbox.app_id, std::nullopt);
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(cleared->pin_failure_budget.has_value());
}

}  // namespace
}  // namespace duet::core
