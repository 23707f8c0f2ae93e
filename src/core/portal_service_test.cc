// The tenant portal's users and sessions (core/portal_service.h): sign-in
// with Argon2id and TOTP, one answer for every failure, lockout after the
// threshold (the right password refused until the lock ends), sessions by
// hashed token, CSRF tokens bound to their session, tenant isolation.
#include "core/portal_service.h"

#include <gtest/gtest.h>

#include "base/result_testing.h"
#include "core/test_fixture.h"
#include "crypto/totp.h"

namespace duet::core {
namespace {

class PortalServiceTest : public CoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreTest::SetUp());
    PortalPolicy policy;
    policy.lockout_threshold = 3;
    policy.lockout_seconds = 600;
    policy.argon2 = crypto::Argon2Params{1, 1024, 1};  // fast in tests; the encoding carries it
    portal = std::make_unique<PortalService>(*deps, *business, policy);
  }
  void TearDown() override {
    portal.reset();
    CoreTest::TearDown();
  }
  std::unique_ptr<PortalService> portal;
};

TEST_F(PortalServiceTest, SignInWithPasswordOpensASessionWhoseTokenIsNotStored) {
  TenantApp t = new_tenant("acme");
  ASSERT_OK_AND_ASSIGN(auto user, portal->create_user(op, t.tenant_id, {"Alice@Acme.example", "correct horse battery", "admin"}));
  EXPECT_EQ(user.login, "alice@acme.example");
  EXPECT_EQ(user.password_hash.rfind("$argon2id$", 0), 0u);
  ASSERT_OK_AND_ASSIGN(auto in, portal->sign_in({}, "ALICE@acme.example", "correct horse battery", ""));
  EXPECT_EQ(in.session_token.rfind("pts_", 0), 0u);
  EXPECT_EQ(in.csrf_token, portal->csrf_token_for(in.session_token));
  ASSERT_OK_AND_ASSIGN(PortalContext ctx, portal->authenticate(in.session_token));
  EXPECT_EQ(ctx.tenant_id, t.tenant_id);
  EXPECT_EQ(ctx.role, "admin");
  // The store holds a keyed hash, not the token.
  EXPECT_FALSE(store_->find_portal_session(as_bytes(in.session_token), clock.now()).ok());

  EXPECT_TRUE(portal->csrf_matches(in.session_token, in.csrf_token));
  ASSERT_OK_AND_ASSIGN(auto other, portal->sign_in({}, "alice@acme.example", "correct horse battery", ""));
  EXPECT_FALSE(portal->csrf_matches(in.session_token, other.csrf_token));  // bound to its session
  EXPECT_FALSE(portal->csrf_matches(in.session_token, ""));

  ASSERT_OK(portal->sign_out(ctx, in.session_token));
  EXPECT_EQ(portal->authenticate(in.session_token).code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(portal->authenticate(other.session_token).ok());
  clock.advance(8 * 3600);
  EXPECT_EQ(portal->authenticate(other.session_token).code(), ErrorCode::kUnauthenticated);  // expired
}

TEST_F(PortalServiceTest, FailuresLookTheSameAndLockAfterTheThreshold) {
  TenantApp t = new_tenant("acme");
  ASSERT_OK(portal->create_user(op, t.tenant_id, {"bob@acme.example", "correct horse battery", "member"}));
  auto unknown = portal->sign_in({}, "nobody@acme.example", "correct horse battery", "");
  auto wrong = portal->sign_in({}, "bob@acme.example", "wrong password!!", "");
  ASSERT_FALSE(unknown.ok());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(unknown.code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
  EXPECT_EQ(portal->sign_in({}, "bob@acme.example", "wrong password!!", "").code(), ErrorCode::kUnauthenticated);
  // The failure that sets the lock, and every wrong password while locked,
  // answer as any failure: the lock is shown only to the right password.
  auto third = portal->sign_in({}, "bob@acme.example", "wrong password!!", "");
  EXPECT_EQ(third.code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(third.error().message, unknown.error().message);
  EXPECT_EQ(portal->sign_in({}, "bob@acme.example", "wrong password!!", "").code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(portal->sign_in({}, "bob@acme.example", "correct horse battery", "").code(), ErrorCode::kLocked);
  clock.advance(601);
  EXPECT_TRUE(portal->sign_in({}, "bob@acme.example", "correct horse battery", "").ok());
  // A success resets the count: two more failures do not lock.
  EXPECT_EQ(portal->sign_in({}, "bob@acme.example", "x-wrong-password", "").code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(portal->sign_in({}, "bob@acme.example", "x-wrong-password", "").code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(portal->sign_in({}, "bob@acme.example", "correct horse battery", "").ok());
}

TEST_F(PortalServiceTest, TotpIsRequiredOnceConfirmed) {
  TenantApp t = new_tenant("acme");
  ASSERT_OK(portal->create_user(op, t.tenant_id, {"carol@acme.example", "correct horse battery", "member"}));
  ASSERT_OK_AND_ASSIGN(auto in, portal->sign_in({}, "carol@acme.example", "correct horse battery", ""));
  ASSERT_OK_AND_ASSIGN(PortalContext ctx, portal->authenticate(in.session_token));
  ASSERT_OK_AND_ASSIGN(TotpEnrollment e, portal->begin_totp(ctx));
  ASSERT_OK_AND_ASSIGN(Bytes secret, crypto::base32_decode(e.secret_base32));
  EXPECT_FALSE(portal->confirm_totp(ctx, e.secret_base32, "000000").ok() &&
               crypto::totp(secret, clock.now()) != "000000");
  ASSERT_OK(portal->confirm_totp(ctx, e.secret_base32, crypto::totp(secret, clock.now())));
  EXPECT_EQ(portal->sign_in({}, "carol@acme.example", "correct horse battery", "").code(),
            ErrorCode::kUnauthenticated);
  // The confirming code is the replay floor: it does not sign in.
  EXPECT_EQ(portal->sign_in({}, "carol@acme.example", "correct horse battery", crypto::totp(secret, clock.now())).code(),
            ErrorCode::kUnauthenticated);
  clock.advance(30);
  const std::string code = crypto::totp(secret, clock.now());
  EXPECT_TRUE(portal->sign_in({}, "carol@acme.example", "correct horse battery", code).ok());
  // Replayed, also within its window of drift: refused.
  EXPECT_EQ(portal->sign_in({}, "carol@acme.example", "correct horse battery", code).code(),
            ErrorCode::kUnauthenticated);
  // Disabling needs the password and a fresh code.
  EXPECT_EQ(portal->disable_totp(ctx, {"correct horse battery", ""}).code(), ErrorCode::kForbidden);
  EXPECT_EQ(portal->disable_totp(ctx, {"correct horse battery", code}).code(), ErrorCode::kForbidden);
  // Those two failures and the replayed sign-in are three in a row: locked
  // (threshold 3); only the right answers learn it.
  clock.advance(30);
  EXPECT_EQ(portal->disable_totp(ctx, {"wrong password!!", crypto::totp(secret, clock.now())}).code(),
            ErrorCode::kForbidden);
  EXPECT_EQ(portal->disable_totp(ctx, {"correct horse battery", crypto::totp(secret, clock.now())}).code(),
            ErrorCode::kLocked);
  clock.advance(600);
  ASSERT_OK(portal->disable_totp(ctx, {"correct horse battery", crypto::totp(secret, clock.now())}));
  EXPECT_TRUE(portal->sign_in({}, "carol@acme.example", "correct horse battery", "").ok());
  // The secret is sealed at rest.
  ASSERT_OK_AND_ASSIGN(auto stored, store_->get_portal_user(ctx.tenant_id, ctx.user_id));
  EXPECT_EQ(std::search(stored.totp_secret_sealed.begin(), stored.totp_secret_sealed.end(), secret.begin(), secret.end()),
            stored.totp_secret_sealed.end());
}

TEST_F(PortalServiceTest, AUserSeesAndChangesOnlyItsOwnTenant) {
  TenantApp a = new_tenant("a");
  TenantApp b = new_tenant("b");
  ASSERT_OK(portal->create_user(op, a.tenant_id, {"admin@a.example", "correct horse battery", "admin"}));
  ASSERT_OK_AND_ASSIGN(auto in, portal->sign_in({}, "admin@a.example", "correct horse battery", ""));
  ASSERT_OK_AND_ASSIGN(PortalContext ctx, portal->authenticate(in.session_token));
  ASSERT_OK_AND_ASSIGN(auto holder_b, business->create_holder(b.sandbox, NewHolder{"李四", "resident_id",
                                                                                  "110101199003071234", "13812345678",
                                                                                  "attested"}));
  ASSERT_OK_AND_ASSIGN(auto apps, portal->apps(ctx));
  for (const auto& app : apps) EXPECT_EQ(app.tenant_id, a.tenant_id);
  EXPECT_EQ(apps.size(), 2u);
  EXPECT_EQ(portal->rotate_app_secret(ctx, b.app.sandbox.app_id).code(), ErrorCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto rotated, portal->rotate_app_secret(ctx, a.app.sandbox.app_id));
  EXPECT_EQ(rotated.secret.size(), 64u);
  ASSERT_OK_AND_ASSIGN(auto seen, portal->holders(ctx, store::AppEnvironment::kSandbox, "", 50));
  EXPECT_TRUE(seen.holders.empty());
  ASSERT_OK_AND_ASSIGN(auto b_holders, business->list_holders(b.sandbox, "", 50));
  ASSERT_EQ(b_holders.holders.size(), 1u);
  EXPECT_EQ(portal->order(ctx, "ord_of_b").code(), ErrorCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto users, portal->users(ctx));
  ASSERT_EQ(users.size(), 1u);
  // A member cannot rotate or create users; an admin creates only in its own tenant.
  ASSERT_OK(portal->create_user(ctx, {"member@a.example", "correct horse battery", "member"}));
  ASSERT_OK_AND_ASSIGN(auto min, portal->sign_in({}, "member@a.example", "correct horse battery", ""));
  ASSERT_OK_AND_ASSIGN(PortalContext member, portal->authenticate(min.session_token));
  EXPECT_EQ(member.tenant_id, a.tenant_id);
  EXPECT_EQ(portal->rotate_app_secret(member, a.app.sandbox.app_id).code(), ErrorCode::kForbidden);
  EXPECT_EQ(portal->create_user(member, {"x@a.example", "correct horse battery", "member"}).code(),
            ErrorCode::kForbidden);
  // Weak passwords and bad roles are refused before anything is written.
  EXPECT_EQ(portal->create_user(op, a.tenant_id, {"y@a.example", "short", "member"}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(portal->create_user(op, a.tenant_id, {"y@a.example", "correct horse battery", "root"}).code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(PortalServiceTest, DaysCountTheTenantsSignaturesAndRequests) {
  TenantApp a = new_tenant("a");
  ASSERT_OK(portal->create_user(op, a.tenant_id, {"admin@a.example", "correct horse battery", "admin"}));
  ASSERT_OK_AND_ASSIGN(auto in, portal->sign_in({}, "admin@a.example", "correct horse battery", ""));
  ASSERT_OK_AND_ASSIGN(PortalContext ctx, portal->authenticate(in.session_token));
  const UnixSeconds day = clock.now() - clock.now() % 86'400;
  std::vector<store::AvailabilityMinute> minutes = {
      {a.tenant_id, day + 60, 10, 9, 10 * 50'000, 120'000, 0, 0},
      {a.tenant_id, day + 120, 10, 10, 10 * 20'000, 30'000, 0, 0},
      {"ten_other", day + 60, 99, 99, 99, 99, 0, 0}};
  ASSERT_OK(store_->add_availability({}, minutes));
  ASSERT_OK_AND_ASSIGN(auto days, portal->days(ctx, day - 86'400, day + 86'400));
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].requests, 0);
  EXPECT_EQ(days[1].requests, 20);
  EXPECT_EQ(days[1].normal, 19);
  EXPECT_DOUBLE_EQ(days[1].avg_ms, 35.0);
  EXPECT_DOUBLE_EQ(days[1].max_ms, 120.0);
  EXPECT_DOUBLE_EQ(days[1].p95_ms, 50.0);
  EXPECT_EQ(portal->days(ctx, day + 1, day + 86'400).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace duet::core
