// The Business API service (core/business_service.h): tenant isolation and
// idempotent creation, on the shared in-process fixture (core/test_fixture.h).
#include <gtest/gtest.h>

#include <tuple>

#include "core/business_service.h"
#include "core/test_fixture.h"
#include "store/ids.h"

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

// docs/metering.md "Sandbox": holders, their codes, keys, certificates and
// orders belong to the environment of the credential that created them; the
// other environment's credential is answered as if they did not exist.
TEST_F(CoreTest, TheSandboxAndProductionAreSeparateEnvironments) {
  auto t = new_tenant("T");
  const AppContext& sbx = t.sandbox;
  const AppContext prd{t.tenant_id, t.app.production.app_id, store::AppEnvironment::kProduction};
  store::Package unlimited;  // production holders and signatures are metered
  unlimited.tenant_id = t.tenant_id;
  unlimited.package_id = store::new_id("pkg_");
  unlimited.kind = store::PackageKind::kUnlimited;
  unlimited.starts_at = unlimited.created_at = clock.now() - 60;
  unlimited.expires_at = clock.now() + 365 * 86400;
  ASSERT_OK(store_->add_package({}, unlimited));
  ASSERT_OK_AND_ASSIGN(Device sd, enroll(sbx, "123456"));
  EXPECT_EQ(sd.ctx.environment, store::AppEnvironment::kSandbox);
  // The same person is a separate holder in production (no conflict, no hint).
  ASSERT_OK_AND_ASSIGN(Device pd, enroll(prd, "654321"));
  EXPECT_EQ(pd.ctx.environment, store::AppEnvironment::kProduction);
  ASSERT_NE(sd.ctx.holder_id, pd.ctx.holder_id);
  EXPECT_EQ(business->create_holder(prd, NewHolder{"张三", "resident_id", "110101199003071234", "13812345678",
                                                   "attested"}).code(),
            ErrorCode::kConflict);  // once per environment

  const auto order_for = [](const std::string& holder) {
    return NewOrder{holder, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", ""};
  };
  for (const auto& [self, other, mine, theirs] :
       {std::tuple{sbx, prd, sd.ctx.holder_id, pd.ctx.holder_id}, std::tuple{prd, sbx, pd.ctx.holder_id, sd.ctx.holder_id}}) {
    // Holders of the other environment: every route says "not found", as for an unknown id.
    const Error missing = business->get_holder(self, "hld_doesnotexist").error();
    EXPECT_EQ(business->get_holder(self, theirs).error().to_string(), missing.to_string());
    EXPECT_EQ(business->lock_holder(self, theirs).code(), ErrorCode::kNotFound);
    EXPECT_EQ(business->unlock_holder(self, theirs).code(), ErrorCode::kNotFound);
    EXPECT_EQ(business->create_activation_code(self, theirs).code(), ErrorCode::kNotFound);
    EXPECT_EQ(business->create_order(self, order_for(theirs)).code(), ErrorCode::kNotFound);
    EXPECT_EQ(business->holder_in_environment(self, theirs).code(), ErrorCode::kNotFound);
    ASSERT_OK(business->holder_in_environment(self, mine));
    // Orders of the other environment likewise.
    ASSERT_OK_AND_ASSIGN(store::SignOrder theirs_order, business->create_order(other, order_for(theirs)));
    EXPECT_EQ(theirs_order.environment, other.environment);
    EXPECT_EQ(business->get_order(self, theirs_order.order_id).code(), ErrorCode::kNotFound);
    EXPECT_EQ(business->cancel_order(self, theirs_order.order_id).code(), ErrorCode::kNotFound);
    EXPECT_EQ(business->order_uri(self, theirs_order.order_id).code(), ErrorCode::kNotFound);
    ASSERT_OK_AND_ASSIGN(store::SignOrder my_order, business->create_order(self, order_for(mine)));
    // Lists hold this environment's only.
    ASSERT_OK_AND_ASSIGN(HolderPage holders_page, business->list_holders(self, "", 50));
    ASSERT_EQ(holders_page.holders.size(), 1u);
    EXPECT_EQ(holders_page.holders[0].holder_id, mine);
    ASSERT_OK_AND_ASSIGN(store::OrderPage orders_page, business->list_orders(self, store::OrderFilter{}));
    for (const auto& o : orders_page.orders) EXPECT_EQ(o.environment, self.environment) << o.order_id;
    bool listed = false;
    for (const auto& o : orders_page.orders) listed = listed || o.order_id == my_order.order_id;
    EXPECT_TRUE(listed);
  }
}

}  // namespace
}  // namespace duet::core
