// Contract tests of the tenant's certificate identity policy (tenants.h
// set_tenant_cert_identity_policy; schema v14 on both backends): "none" for
// every tenant until set, the value round-trips through get and list, and a
// value outside none | gmt0015 or an unknown tenant changes nothing.
// Backend-neutral.
#include <string>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_error.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

std::string listed_policy(Store& store, const std::string& tenant_id) {
  for (const auto& t : ok_value(store.list_tenants()))
    if (t.tenant_id == tenant_id) return t.cert_identity_policy;
  return "<not listed>";
}

TEST_P(StoreContractTest, CertIdentityPolicyDefaultsToNoneAndRoundTrips) {
  World w = make_world("idpolicy");
  World other = make_world("idpolicy-other");
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).cert_identity_policy, "none");

  ASSERT_TRUE(store_->set_tenant_cert_identity_policy({}, w.tenant_id, "gmt0015").ok());
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).cert_identity_policy, "gmt0015");
  EXPECT_EQ(listed_policy(*store_, w.tenant_id), "gmt0015");
  EXPECT_EQ(ok_value(store_->get_tenant(other.tenant_id)).cert_identity_policy, "none");  // one tenant only

  for (const char* bad : {"", "GMT0015", "gmt0016", "none "}) {
    auto st = store_->set_tenant_cert_identity_policy({}, w.tenant_id, bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).cert_identity_policy, "gmt0015");
  EXPECT_EQ(store_error_kind(store_->set_tenant_cert_identity_policy({}, "ten_missing", "none")), StoreError::kNotFound);

  ASSERT_TRUE(store_->set_tenant_cert_identity_policy({}, w.tenant_id, "none").ok());
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).cert_identity_policy, "none");

  // A tenant created with the policy keeps it; an unknown one is refused.
  Tenant made;
  made.tenant_id = "ten_idpolicy_created";
  made.name = "created";
  made.created_at = kNow;
  made.cert_identity_policy = "gmt0015";
  ASSERT_TRUE(store_->create_tenant({}, made).ok());
  EXPECT_EQ(ok_value(store_->get_tenant(made.tenant_id)).cert_identity_policy, "gmt0015");
  made.tenant_id = "ten_idpolicy_bad";
  made.cert_identity_policy = "all";
  EXPECT_EQ(store_->create_tenant({}, made).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_error_kind(store_->get_tenant(made.tenant_id)), StoreError::kNotFound);
}

// The service activation date (store/tenants.h activate_tenant): purchase
// packages that have not begun move to it in the same transaction; a date
// once reached is final.
TEST_P(StoreContractTest, ActivationDateMovesUnstartedPackageTermsAndIsFinalOnceReached) {
  World w = make_world("activation");
  auto pkg = [&](const std::string& source, UnixSeconds starts_at) {
    Package p;
    p.tenant_id = w.tenant_id;
    p.package_id = new_id("pkg_");
    p.kind = PackageKind::kPerSignature;
    p.quantity = 10'000;
    p.starts_at = starts_at;
    p.expires_at = starts_at + 365 * 86400;
    p.source = source;
    p.created_at = kNow;
    EXPECT_TRUE(store_->add_package({}, p).ok());
    return p.package_id;
  };
  const UnixSeconds act = kNow + 10 * 86400;
  std::string early = pkg("purchase", kNow);                // bought before activation: moves
  std::string later = pkg("purchase", act + 86400);         // starts after activation: stays
  std::string bonus = pkg("sla_credit", kNow);              // not a purchase: stays
  EXPECT_EQ(store_->activate_tenant({}, w.tenant_id, act, act, kNow).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_error_kind(store_->activate_tenant({}, "ten_nobody", act, act + 1, kNow)), StoreError::kNotFound);
  ASSERT_OK(store_->activate_tenant({}, w.tenant_id, act, act + 365 * 86400, kNow));
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).production_active_from, std::optional<UnixSeconds>(act));
  auto e = ok_value(store_->get_package(w.tenant_id, early));
  EXPECT_EQ(e.starts_at, act);
  EXPECT_EQ(e.expires_at, act + 365 * 86400);
  EXPECT_EQ(ok_value(store_->get_package(w.tenant_id, later)).starts_at, act + 86400);
  EXPECT_EQ(ok_value(store_->get_package(w.tenant_id, bonus)).starts_at, kNow);
  // Still in the future: it may move (earlier here: nothing starts before it any more).
  ASSERT_OK(store_->activate_tenant({}, w.tenant_id, kNow + 5, kNow + 5 + 365 * 86400, kNow));
  EXPECT_EQ(ok_value(store_->get_package(w.tenant_id, early)).starts_at, act);
  // Reached: final, nothing changes.
  EXPECT_EQ(store_error_kind(store_->activate_tenant({}, w.tenant_id, kNow + 100, kNow + 100 + 365 * 86400, kNow + 5)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).production_active_from, std::optional<UnixSeconds>(kNow + 5));
}

}  // namespace
}  // namespace duet::store::testing
