// Operator onboarding (core/admin_service.h): the bootstrap operator token,
// tenants, apps and their settings, on the shared fixture (core/test_fixture.h).
#include <gtest/gtest.h>

#include "core/admin_service.h"
#include "core/test_fixture.h"

namespace duet::core {
namespace {

TEST_F(CoreTest, BootstrapTokenIsMintedByCoreAndRegisteredOnce) {
  std::string token = admin->mint_operator_token();
  EXPECT_EQ(token.size(), 4 + 64u);
  EXPECT_EQ(token.rfind("adm_", 0), 0u);
  EXPECT_NE(admin->mint_operator_token(), token);
  EXPECT_EQ(admin->authenticate_operator(token).code(), ErrorCode::kUnauthenticated);  // not registered yet
  ASSERT_OK(admin->register_bootstrap_token(token));
  ASSERT_OK(admin->register_bootstrap_token(token));  // every start registers it again
  ASSERT_OK_AND_ASSIGN(OperatorContext who, admin->authenticate_operator(token));
  EXPECT_EQ(who.name, "bootstrap");
  EXPECT_EQ(who.role, "operator");
  EXPECT_EQ(admin->register_bootstrap_token("").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(admin->authenticate_operator("").code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(admin->authenticate_operator(std::string(201, 'a')).code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(admin->authenticate_operator(token + "x").code(), ErrorCode::kUnauthenticated);
}

TEST_F(CoreTest, TenantNamesAndCutOffsAreValidated) {
  EXPECT_EQ(admin->create_tenant(op, "", std::nullopt).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(admin->create_tenant(op, std::string(201, 'n'), std::nullopt).code(), ErrorCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(store::Tenant t, admin->create_tenant(op, "Bank", std::nullopt));
  EXPECT_EQ(t.tenant_id.rfind("ten_", 0), 0u);
  const UnixSeconds now = clock.now();
  EXPECT_EQ(admin->set_signature_v1_cutoff(op, t.tenant_id, now - 1).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(admin->set_signature_v1_cutoff(op, t.tenant_id, now + 11LL * 366 * 86'400).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(store::Tenant cut, admin->set_signature_v1_cutoff(op, t.tenant_id, now + 86'400));
  ASSERT_TRUE(cut.signature_v1_cutoff.has_value());
  EXPECT_EQ(*cut.signature_v1_cutoff, now + 86'400);
}

TEST_F(CoreTest, AppsComeInPairsAndSecretsAreShownOnce) {
  TenantApp t = new_tenant("Apps");
  EXPECT_EQ(t.app.sandbox.app_id.rfind("app_sbx_", 0), 0u);
  EXPECT_EQ(t.app.production.app_id.rfind("app_prd_", 0), 0u);
  EXPECT_NE(t.app.sandbox.secret, t.app.production.secret);
  ASSERT_OK_AND_ASSIGN(auto apps, admin->list_apps(op, t.tenant_id));
  EXPECT_EQ(apps.size(), 2u);
  ASSERT_OK_AND_ASSIGN(IssuedCredential rotated, admin->rotate_app_secret(op, t.tenant_id, t.app.sandbox.app_id));
  EXPECT_EQ(rotated.app_id, t.app.sandbox.app_id);
  EXPECT_NE(rotated.secret, t.app.sandbox.secret);
  EXPECT_EQ(admin->list_apps(op, "ten_nope").code(), ErrorCode::kNotFound);
}

TEST_F(CoreTest, AppSettingsAndPinBudgetsAreValidated) {
  TenantApp t = new_tenant("Settings");
  const std::string& app = t.app.production.app_id;
  EXPECT_EQ(admin->update_app_settings(op, t.tenant_id, app, "trust_me", false, "pkcs7").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(admin->update_app_settings(op, t.tenant_id, app, "attested", false, "cades").code(),
            ErrorCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(store::App updated, admin->update_app_settings(op, t.tenant_id, app, "identity_source",
                                                                      true, "gmt"));
  EXPECT_EQ(updated.identity_mode, "identity_source");
  EXPECT_TRUE(updated.sms_otp_required);
  EXPECT_EQ(updated.cms_oid_style, "gmt");

  const int limit = CoreConfig{}.max_failed_attempts;
  EXPECT_EQ(admin->check_pin_failure_budget(limit - 1).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(admin->check_pin_failure_budget(1001).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(admin->check_pin_failure_budget(limit).ok());
  EXPECT_TRUE(admin->check_pin_failure_budget(1000).ok());
  EXPECT_TRUE(admin->check_pin_failure_budget(std::nullopt).ok());
  ASSERT_OK_AND_ASSIGN(store::App budgeted, admin->set_app_pin_failure_budget(op, t.tenant_id, app, 50));
  EXPECT_EQ(budgeted.pin_failure_budget, std::optional<int>(50));
}

}  // namespace
}  // namespace duet::core
