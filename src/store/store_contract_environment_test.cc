// Contract tests of the two environments (docs/metering.md "Sandbox"): a
// holder and an order carry the environment of the app that created them,
// lists filter by it, one identity may be a holder once per environment, and
// a device token is read with its holder's environment — on every backend.
#include <optional>
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kNow = StoreContractTest::kNow;

Holder holder_in(const std::string& tenant_id, AppEnvironment env, const Bytes& lookup_hash) {
  Holder h;
  h.tenant_id = tenant_id;
  h.holder_id = new_id("hld_");
  h.name_ciphertext = Bytes{0xa1};
  h.id_number_ciphertext = Bytes{0xa2};
  h.phone_ciphertext = Bytes{0xa3};
  h.lookup_hash = lookup_hash;
  h.created_at = kNow;
  h.environment = env;
  return h;
}

TEST_P(StoreContractTest, HoldersBelongToOneEnvironmentAndAnIdentityToOneHolderInEach) {
  World w = make_world("env");  // its holder is production (the default)
  const Bytes person{0x5e, 0x11};
  Holder sandbox = holder_in(w.tenant_id, AppEnvironment::kSandbox, person);
  Holder production = holder_in(w.tenant_id, AppEnvironment::kProduction, person);
  ASSERT_OK(store_->create_holder({}, sandbox));
  ASSERT_TRUE(store_->create_holder({}, production).ok()) << "the same identity once in each environment";
  Holder twin = holder_in(w.tenant_id, AppEnvironment::kSandbox, person);
  EXPECT_EQ(store_error_kind(store_->create_holder({}, twin)), StoreError::kDuplicate);

  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, sandbox.holder_id)).environment, AppEnvironment::kSandbox);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, production.holder_id)).environment,
            AppEnvironment::kProduction);

  auto ids = [&](std::optional<AppEnvironment> env) {
    std::vector<std::string> out;
    for (const Holder& h : ok_value(store_->list_holders(w.tenant_id, "", 100, env))) out.push_back(h.holder_id);
    return out;
  };
  EXPECT_EQ(ids(AppEnvironment::kSandbox), std::vector<std::string>{sandbox.holder_id});
  std::vector<std::string> prod = ids(AppEnvironment::kProduction);
  EXPECT_EQ(prod.size(), 2u);  // the world's holder and `production`
  for (const std::string& id : prod) EXPECT_NE(id, sandbox.holder_id);
  EXPECT_EQ(ids(std::nullopt).size(), 3u);
}

TEST_P(StoreContractTest, OrdersKeepTheirEnvironmentAndListsFilterByIt) {
  World w = make_world("env");
  SignOrder production = order_for(w);
  production.environment = AppEnvironment::kProduction;
  SignOrder sandbox = order_for(w);
  sandbox.environment = AppEnvironment::kSandbox;
  create(production);
  create(sandbox);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, sandbox.order_id)).environment, AppEnvironment::kSandbox);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, production.order_id)).environment, AppEnvironment::kProduction);
  for (const auto& [env, expected] : {std::pair{AppEnvironment::kSandbox, sandbox.order_id},
                                      std::pair{AppEnvironment::kProduction, production.order_id}}) {
    OrderFilter f;
    f.environment = env;
    OrderPage page = ok_value(store_->list_orders(w.tenant_id, f));
    ASSERT_EQ(page.orders.size(), 1u);
    EXPECT_EQ(page.orders[0].order_id, expected);
  }
  EXPECT_EQ(ok_value(store_->list_orders(w.tenant_id, OrderFilter{})).orders.size(), 2u);
}

TEST_P(StoreContractTest, ADeviceTokenIsReadWithItsHoldersEnvironment) {
  World w = make_world("env");
  Holder sandbox = holder_in(w.tenant_id, AppEnvironment::kSandbox, Bytes{0x77});
  ASSERT_OK(store_->create_holder({}, sandbox));
  for (const auto& [holder_id, env] : {std::pair{sandbox.holder_id, AppEnvironment::kSandbox},
                                       std::pair{w.holder_id, AppEnvironment::kProduction}}) {
    DeviceToken t;
    t.tenant_id = w.tenant_id;
    t.token_hash = Bytes(holder_id.begin(), holder_id.end());
    t.holder_id = holder_id;
    t.created_at = kNow;
    ASSERT_OK(store_->create_device_token({}, t));
    DeviceToken found = ok_value(store_->find_device_token(t.token_hash));
    EXPECT_EQ(found.holder_id, holder_id);
    EXPECT_EQ(found.holder_environment, env) << holder_id;
  }
}

}  // namespace
}  // namespace duet::store::testing
