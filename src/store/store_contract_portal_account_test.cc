// Contract tests of the portal's account care (store/portal_users.h, schema
// v29), on SQLite and PostgreSQL alike: a password change revokes every
// other session in its transaction; disabling revokes them all and refuses a
// new one; a TOTP step is accepted once (concurrent uses: exactly one wins);
// a password reset is single use, expires, is superseded by a newer one and
// refused for a disabled user; the session list shows only live sessions.
#include <atomic>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kNow = StoreContractTest::kNow;

Bytes bytes_of(std::string_view s) {
  ByteView v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}

PortalUser account_user(const std::string& tenant_id, const std::string& login) {
  PortalUser u;
  u.tenant_id = tenant_id;
  u.user_id = new_id("usr_");
  u.login = login;
  u.role = "member";
  u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$b2xkb2xkb2xkb2xkb2xkb2xk";
  u.created_at = kNow;
  return u;
}

PortalSession account_session(const PortalUser& u, const std::string& token, const std::string& ua = "") {
  PortalSession s;
  s.token_hash = bytes_of(token);
  s.tenant_id = u.tenant_id;
  s.user_id = u.user_id;
  s.created_at = kNow;
  s.expires_at = kNow + 3600;
  s.user_agent = ua;
  return s;
}

bool live(Store& store, const std::string& token, UnixSeconds at) {
  return store.find_portal_session(bytes_of(token), at).ok();
}

TEST_P(StoreContractTest, PortalPasswordChangeRevokesEveryOtherSessionAtOnce) {
  World w = make_world("pw");
  PortalUser u = account_user(w.tenant_id, "pw@w.example");
  PortalUser v = account_user(w.tenant_id, "other@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  ASSERT_OK(store_->create_portal_user({}, v));
  for (const char* t : {"s-1", "s-2", "s-3"}) ASSERT_OK(store_->open_portal_session({}, account_session(u, t), kNow));
  ASSERT_OK(store_->open_portal_session({}, account_session(v, "v-1"), kNow));
  ASSERT_OK(store_->record_portal_signin_failure({}, w.tenant_id, u.user_id, 5, 60, kNow));

  ASSERT_OK(store_->set_portal_user_password({}, w.tenant_id, u.user_id, "$argon2id$new", bytes_of("s-2"), kNow + 5));
  PortalUser after = ok_value(store_->get_portal_user(w.tenant_id, u.user_id));
  EXPECT_EQ(after.password_hash, "$argon2id$new");
  EXPECT_EQ(after.failed_signins, 0);
  EXPECT_FALSE(live(*store_, "s-1", kNow + 6));
  EXPECT_TRUE(live(*store_, "s-2", kNow + 6));
  EXPECT_FALSE(live(*store_, "s-3", kNow + 6));
  EXPECT_TRUE(live(*store_, "v-1", kNow + 6));  // another user's session is untouched

  // Empty keep: all of them (sign out everywhere).
  ASSERT_OK(store_->open_portal_session({}, account_session(u, "s-4"), kNow + 7));
  EXPECT_EQ(ok_value(store_->revoke_portal_user_sessions({}, w.tenant_id, u.user_id, ByteView{}, kNow + 8)), 2);
  EXPECT_FALSE(live(*store_, "s-2", kNow + 9));
  EXPECT_TRUE(live(*store_, "v-1", kNow + 9));
  EXPECT_EQ(store_error_kind(store_->set_portal_user_password({}, "ten_missing", u.user_id, "$h", ByteView{}, kNow)),
            StoreError::kNotFound);
}

TEST_P(StoreContractTest, DisablingAPortalUserRevokesAllSessionsAndRefusesNewOnes) {
  World w = make_world("dis");
  PortalUser u = account_user(w.tenant_id, "dis@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  ASSERT_OK(store_->open_portal_session({}, account_session(u, "d-1"), kNow));
  ASSERT_OK(store_->open_portal_session({}, account_session(u, "d-2"), kNow));
  ASSERT_OK(store_->set_portal_user_disabled({}, w.tenant_id, u.user_id, true, kNow + 10));
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).disabled_at, std::optional<UnixSeconds>(kNow + 10));
  EXPECT_FALSE(live(*store_, "d-1", kNow + 11));
  EXPECT_FALSE(live(*store_, "d-2", kNow + 11));
  EXPECT_EQ(store_error_kind(store_->open_portal_session({}, account_session(u, "d-3"), kNow + 12)),
            StoreError::kNotFound);
  // Disabling again keeps the first time.
  ASSERT_OK(store_->set_portal_user_disabled({}, w.tenant_id, u.user_id, true, kNow + 20));
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).disabled_at, std::optional<UnixSeconds>(kNow + 10));

  ASSERT_OK(store_->set_portal_user_disabled({}, w.tenant_id, u.user_id, false, kNow + 30));
  EXPECT_FALSE(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).disabled_at.has_value());
  ASSERT_OK(store_->open_portal_session({}, account_session(u, "d-4"), kNow + 31));
  EXPECT_TRUE(live(*store_, "d-4", kNow + 32));
  EXPECT_FALSE(live(*store_, "d-1", kNow + 32));  // enabling revives no old session

  World other = make_world("dis-other");
  EXPECT_EQ(store_error_kind(store_->set_portal_user_disabled({}, other.tenant_id, u.user_id, true, kNow)),
            StoreError::kNotFound);
}

TEST_P(StoreContractTest, APortalTotpStepIsAcceptedOnceEvenConcurrently) {
  World w = make_world("totp");
  PortalUser u = account_user(w.tenant_id, "totp@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  ASSERT_OK(store_->set_portal_user_totp({}, w.tenant_id, u.user_id, bytes_of("sealed"), 100));
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).totp_last_step, std::optional<int64_t>(100));
  EXPECT_EQ(store_error_kind(store_->accept_portal_totp_step({}, w.tenant_id, u.user_id, 100)), StoreError::kConflict);
  EXPECT_EQ(store_error_kind(store_->accept_portal_totp_step({}, w.tenant_id, u.user_id, 99)), StoreError::kConflict);

  constexpr int kThreads = 8;
  std::atomic<int> accepted{0};
  run_together(kThreads, [&](int) {
    if (store_->accept_portal_totp_step({}, w.tenant_id, u.user_id, 101).ok()) ++accepted;
  });
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).totp_last_step, std::optional<int64_t>(101));

  ASSERT_OK(store_->set_portal_user_totp({}, w.tenant_id, u.user_id, Bytes{}, 500));
  EXPECT_FALSE(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).totp_last_step.has_value());
  EXPECT_EQ(store_error_kind(store_->accept_portal_totp_step({}, w.tenant_id, "usr_missing", 1)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, APortalPasswordResetIsSingleUseExpiresAndIsSuperseded) {
  World w = make_world("reset");
  PortalUser u = account_user(w.tenant_id, "reset@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  auto reset_of = [&](const std::string& token, UnixSeconds at) {
    PortalPasswordReset r;
    r.token_hash = bytes_of(token);
    r.tenant_id = w.tenant_id;
    r.user_id = u.user_id;
    r.created_at = at;
    r.expires_at = at + 100;
    return r;
  };
  ASSERT_OK(store_->create_portal_password_reset({}, reset_of("r-1", kNow)));
  ASSERT_OK(store_->create_portal_password_reset({}, reset_of("r-2", kNow + 1)));  // r-1 stops working
  EXPECT_EQ(store_error_kind(store_->use_portal_password_reset({}, bytes_of("r-1"), "$h1", kNow + 2)),
            StoreError::kNotFound);

  ASSERT_OK(store_->open_portal_session({}, account_session(u, "live"), kNow));
  for (int i = 0; i < 5; ++i) ASSERT_OK(store_->record_portal_signin_failure({}, w.tenant_id, u.user_id, 5, 900, kNow));
  PortalUser reset = ok_value(store_->use_portal_password_reset({}, bytes_of("r-2"), "$h2", kNow + 3));
  EXPECT_EQ(reset.user_id, u.user_id);
  EXPECT_EQ(reset.password_hash, "$h2");
  EXPECT_FALSE(reset.locked_until.has_value());
  EXPECT_FALSE(live(*store_, "live", kNow + 4));
  EXPECT_EQ(store_error_kind(store_->use_portal_password_reset({}, bytes_of("r-2"), "$h3", kNow + 4)),
            StoreError::kNotFound);  // single use
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).password_hash, "$h2");

  ASSERT_OK(store_->create_portal_password_reset({}, reset_of("r-3", kNow + 10)));
  EXPECT_EQ(store_error_kind(store_->use_portal_password_reset({}, bytes_of("r-3"), "$h4", kNow + 110)),
            StoreError::kNotFound);  // expired

  ASSERT_OK(store_->create_portal_password_reset({}, reset_of("r-4", kNow + 200)));
  ASSERT_OK(store_->set_portal_user_disabled({}, w.tenant_id, u.user_id, true, kNow + 201));
  EXPECT_EQ(store_error_kind(store_->use_portal_password_reset({}, bytes_of("r-4"), "$h5", kNow + 202)),
            StoreError::kNotFound);  // a disabled user
  EXPECT_EQ(ok_value(store_->get_portal_user(w.tenant_id, u.user_id)).password_hash, "$h2");

  PortalPasswordReset stranger = reset_of("r-5", kNow);
  stranger.user_id = "usr_missing";
  EXPECT_EQ(store_error_kind(store_->create_portal_password_reset({}, stranger)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, PortalSessionListShowsLiveSessionsWithLastSeen) {
  World w = make_world("list");
  PortalUser u = account_user(w.tenant_id, "list@w.example");
  ASSERT_OK(store_->create_portal_user({}, u));
  ASSERT_OK(store_->open_portal_session({}, account_session(u, "l-1", "Chrome on Linux"), kNow));
  PortalSession second = account_session(u, "l-2", "Firefox on Windows");
  second.created_at = kNow + 5;
  ASSERT_OK(store_->open_portal_session({}, second, kNow + 5));
  ASSERT_OK(store_->open_portal_session({}, account_session(u, "l-3"), kNow));
  ASSERT_OK(store_->revoke_portal_session({}, bytes_of("l-3"), kNow + 6));
  ASSERT_OK(store_->touch_portal_session(bytes_of("l-1"), kNow + 50));

  auto list = ok_value(store_->list_portal_sessions(w.tenant_id, u.user_id, kNow + 60));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].token_hash, bytes_of("l-2"));  // newest first
  EXPECT_EQ(list[0].user_agent, "Firefox on Windows");
  EXPECT_EQ(list[0].last_seen_at, std::optional<UnixSeconds>(kNow + 5));
  EXPECT_EQ(list[1].user_agent, "Chrome on Linux");
  EXPECT_EQ(list[1].last_seen_at, std::optional<UnixSeconds>(kNow + 50));
  EXPECT_TRUE(ok_value(store_->list_portal_sessions(w.tenant_id, u.user_id, kNow + 3600)).empty());  // expired
  World other = make_world("list-other");
  EXPECT_TRUE(ok_value(store_->list_portal_sessions(other.tenant_id, u.user_id, kNow + 60)).empty());
}

}  // namespace
}  // namespace duet::store::testing
