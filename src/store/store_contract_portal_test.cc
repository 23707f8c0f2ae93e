// Contract tests of the tenant portal's users and sessions
// (store/portal_users.h): logins unique across tenants, a tenant's user
// invisible from another tenant, the sign-in lockout counted by one
// conditional update (concurrent failures all count), the lock refusing a
// session, and sessions found only while unrevoked and unexpired.
#include <atomic>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kNow = StoreContractTest::kNow;

Bytes to_bytes(std::string_view s) {
  ByteView v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}

PortalUser user_of(const std::string& tenant_id, const std::string& login) {
  PortalUser u;
  u.tenant_id = tenant_id;
  u.user_id = new_id("usr_");
  u.login = login;
  u.role = "admin";
  u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
  u.created_at = kNow;
  return u;
}

PortalSession session_of(const PortalUser& u, const std::string& token, UnixSeconds expires_at) {
  PortalSession s;
  s.token_hash = to_bytes(token);
  s.tenant_id = u.tenant_id;
  s.user_id = u.user_id;
  s.created_at = kNow;
  s.expires_at = expires_at;
  return s;
}

TEST_P(StoreContractTest, PortalUsersAreTenantScopedAndLoginsUnique) {
  World a = make_world("a");
  World b = make_world("b");
  PortalUser alice = user_of(a.tenant_id, "alice@a.example");
  ASSERT_OK(store_->create_portal_user({}, alice));
  ASSERT_OK(store_->create_portal_user({}, user_of(b.tenant_id, "bob@b.example")));

  PortalUser found = ok_value(store_->find_portal_user_by_login("alice@a.example"));
  EXPECT_EQ(found.tenant_id, a.tenant_id);
  EXPECT_EQ(found.user_id, alice.user_id);
  EXPECT_EQ(found.password_hash, alice.password_hash);
  EXPECT_TRUE(found.totp_secret_sealed.empty());
  EXPECT_FALSE(found.locked_until.has_value());

  // Another tenant sees nothing of alice, not even with her id.
  EXPECT_EQ(store_error_kind(store_->get_portal_user(b.tenant_id, alice.user_id)), StoreError::kNotFound);
  auto b_users = ok_value(store_->list_portal_users(b.tenant_id));
  ASSERT_EQ(b_users.size(), 1u);
  EXPECT_EQ(b_users[0].login, "bob@b.example");
  EXPECT_EQ(store_error_kind(store_->set_portal_user_totp({}, b.tenant_id, alice.user_id, to_bytes("x"), 1)),
            StoreError::kNotFound);

  // A login is one user across all tenants.
  EXPECT_EQ(store_error_kind(store_->create_portal_user({}, user_of(b.tenant_id, "alice@a.example"))),
            StoreError::kDuplicate);
  EXPECT_EQ(store_error_kind(store_->create_portal_user({}, user_of("ten_missing", "c@c.example"))),
            StoreError::kNotFound);
  PortalUser bad = user_of(a.tenant_id, "d@a.example");
  bad.role = "root";
  EXPECT_FALSE(store_->create_portal_user({}, bad).ok());

  ASSERT_OK(store_->set_portal_user_totp({}, a.tenant_id, alice.user_id, to_bytes("sealed-secret"), 7));
  EXPECT_EQ(ok_value(store_->get_portal_user(a.tenant_id, alice.user_id)).totp_secret_sealed, to_bytes("sealed-secret"));
  ASSERT_OK(store_->set_portal_user_totp({}, a.tenant_id, alice.user_id, Bytes{}, std::nullopt));
  EXPECT_TRUE(ok_value(store_->get_portal_user(a.tenant_id, alice.user_id)).totp_secret_sealed.empty());
}

TEST_P(StoreContractTest, PortalSigninFailuresLockThenSessionIsRefusedUntilTheLockEnds) {
  World w = make_world("lock");
  PortalUser u = user_of(w.tenant_id, "lock@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  constexpr int kThreshold = 3;
  constexpr int64_t kLock = 900;
  EXPECT_EQ(ok_value(store_->record_portal_signin_failure({}, w.tenant_id, u.user_id, kThreshold, kLock, kNow))
                .failed_signins,
            1);
  EXPECT_EQ(ok_value(store_->record_portal_signin_failure({}, w.tenant_id, u.user_id, kThreshold, kLock, kNow))
                .failed_signins,
            2);
  PortalUser locked = ok_value(store_->record_portal_signin_failure({}, w.tenant_id, u.user_id, kThreshold, kLock, kNow));
  EXPECT_EQ(locked.failed_signins, 0);
  ASSERT_TRUE(locked.locked_until.has_value());
  EXPECT_EQ(*locked.locked_until, kNow + kLock);

  EXPECT_EQ(store_error_kind(store_->open_portal_session({}, session_of(u, "tok-1", kNow + 3600), kNow + 10)),
            StoreError::kConflict);
  EXPECT_EQ(store_error_kind(store_->find_portal_session(to_bytes("tok-1"), kNow + 10)), StoreError::kNotFound);

  // Another tenant cannot count failures against this user.
  World other = make_world("other");
  EXPECT_EQ(store_error_kind(store_->record_portal_signin_failure({}, other.tenant_id, u.user_id, kThreshold, kLock,
                                                                  kNow)),
            StoreError::kNotFound);

  ASSERT_OK(store_->record_portal_signin_failure({}, w.tenant_id, u.user_id, kThreshold, kLock, kNow + kLock));
  ASSERT_OK(store_->open_portal_session({}, session_of(u, "tok-2", kNow + kLock + 3600), kNow + kLock));
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).failed_signins, 0);
}

TEST_P(StoreContractTest, ConcurrentPortalSigninFailuresAreAllCounted) {
  World w = make_world("conc");
  PortalUser u = user_of(w.tenant_id, "conc@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  constexpr int kThreads = 8;
  std::atomic<int> failed{0};
  run_together(kThreads, [&](int) {
    if (!store_->record_portal_signin_failure({}, w.tenant_id, u.user_id, 100, 60, kNow).ok()) ++failed;
  });
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).failed_signins, kThreads);
}

TEST_P(StoreContractTest, PortalSessionsAreFoundOnlyWhileUnrevokedAndUnexpired) {
  World w = make_world("ses");
  PortalUser u = user_of(w.tenant_id, "ses@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  ASSERT_OK(store_->open_portal_session({}, session_of(u, "tok-a", kNow + 100), kNow));
  PortalSession s = ok_value(store_->find_portal_session(to_bytes("tok-a"), kNow + 99));
  EXPECT_EQ(s.tenant_id, w.tenant_id);
  EXPECT_EQ(s.user_id, u.user_id);
  EXPECT_EQ(s.expires_at, kNow + 100);
  EXPECT_EQ(store_error_kind(store_->find_portal_session(to_bytes("tok-a"), kNow + 100)), StoreError::kNotFound);
  EXPECT_EQ(store_error_kind(store_->find_portal_session(to_bytes("tok-b"), kNow)), StoreError::kNotFound);

  ASSERT_OK(store_->open_portal_session({}, session_of(u, "tok-c", kNow + 100), kNow));
  ASSERT_OK(store_->revoke_portal_session({}, to_bytes("tok-c"), kNow + 1));
  EXPECT_EQ(store_error_kind(store_->find_portal_session(to_bytes("tok-c"), kNow + 2)), StoreError::kNotFound);
  EXPECT_EQ(store_error_kind(store_->revoke_portal_session({}, to_bytes("tok-c"), kNow + 3)), StoreError::kNotFound);
  // The same token hash twice is refused.
  EXPECT_EQ(store_error_kind(store_->open_portal_session({}, session_of(u, "tok-a", kNow + 100), kNow)),
            StoreError::kDuplicate);
}

}  // namespace
}  // namespace duet::store::testing
