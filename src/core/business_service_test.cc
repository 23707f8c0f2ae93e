// The Business API service (core/business_service.h): tenant isolation and
// idempotent creation, on the shared in-process fixture (core/test_fixture.h).
#include <gtest/gtest.h>

#include "core/business_service.h"
#include "core/test_fixture.h"

namespace duet::core {
namespace {

TEST_F(CoreTest, TenantsCannotSeeEachOther) {
  auto a = new_tenant("A");
  auto b = new_tenant("B");
  ASSERT_OK_AND_ASSIGN(Device da, enroll(a.sandbox, "123456"));
  auto order = business->create_order(
      a.sandbox, NewOrder{da.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", ""});
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(business->get_holder(b.sandbox, da.ctx.holder_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->get_order(b.sandbox, order->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->cancel_order(b.sandbox, order->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->lock_holder(b.sandbox, da.ctx.holder_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->create_activation_code(b.sandbox, da.ctx.holder_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->create_order(b.sandbox, NewOrder{da.ctx.holder_id, "x", "", store::OutputFormat::kRaw,
                                                      {{Bytes{1}, false}}, std::nullopt, "", ""})
                .code(),
            ErrorCode::kNotFound);
  // The same identity may exist in both tenants.
  ASSERT_OK_AND_ASSIGN(Device db, enroll(b.sandbox, "123456"));
  // A holder of B cannot see or sign A's order.
  EXPECT_EQ(holders->order_details(db.ctx, order->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(holders->reject_order(db.ctx, order->order_id).code(), ErrorCode::kNotFound);
}

TEST_F(CoreTest, IdempotentCreate) {
  auto t = new_tenant("T");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  NewOrder no{d.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", "key-1"};
  bool replay_a = true, replay_b = false;
  auto a = business->create_order(t.sandbox, no, &replay_a);
  auto b = business->create_order(t.sandbox, no, &replay_b);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->order_id, b->order_id);
  EXPECT_FALSE(replay_a);
  EXPECT_TRUE(replay_b);
  no.title = "different";
  EXPECT_EQ(business->create_order(t.sandbox, no).code(), ErrorCode::kConflict);
}

}  // namespace
}  // namespace duet::core
