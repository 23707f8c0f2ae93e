// The tenant portal (docs/portal.md): the tenant's own users, their sign-in
// (Argon2id password, optional TOTP, lockout after failed sign-ins) and
// server-side sessions, and the read models the portal shows a signed-in
// user — only of the user's own tenant: every call takes the PortalContext
// the session gave, and every store call is scoped by its tenant_id.
//
// Session tokens: "pts_" + 64 hex digits (32 random bytes), in an HttpOnly
// cookie; the store keeps only their keyed hash (purpose "portal_session").
// The CSRF token of a session is derived from its token (keyed hash, purpose
// "portal_csrf"): the page reads it once from the sign-in answer or
// GET /portal/v1/me and sends it in X-CSRF-Token with every state-changing
// request; a cross-site page can neither read it nor derive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "core/admin_service.h"
#include "core/business_service.h"
#include "core/contexts.h"
#include "core/core_deps.h"
#include "crypto/password_hash.h"
#include "store/portal_users.h"

namespace duet::core {

inline constexpr std::string_view kPortalRoleAdmin = "admin";
inline constexpr std::string_view kPortalRoleMember = "member";

struct PortalPolicy {
  int lockout_threshold = 5;           // failed sign-ins in a row that lock the user
  int64_t lockout_seconds = 15 * 60;   // how long the lock lasts
  int64_t session_seconds = 8 * 3600;  // a session's lifetime from sign-in
  int64_t reset_seconds = 24 * 3600;   // a password reset token's lifetime
  int64_t seen_interval = 60;          // last_seen_at is written at most this often
  crypto::Argon2Params argon2{};
};

// A signed-in portal user, as the session wrapper hands it to a handler.
struct PortalContext {
  std::string tenant_id;
  std::string user_id;
  std::string login;
  std::string role;
  store::WriteContext write{};
};

struct NewPortalUser {
  std::string login;
  std::string password;
  std::string role = std::string(kPortalRoleMember);
};

struct PortalSignIn {
  std::string session_token;  // goes only into the Set-Cookie header
  std::string csrf_token;
  UnixSeconds expires_at = 0;
  store::PortalUser user;
};

// One of the signed-in user's sessions, as the account page lists it: no
// token, only a pseudonymous id derived from the token's hash.
struct PortalSessionInfo {
  std::string session_id;  // "pss_" + 32 hex digits
  UnixSeconds created_at = 0;
  UnixSeconds last_seen_at = 0;
  UnixSeconds expires_at = 0;
  std::string user_agent;  // a summary ("Chrome on Linux")
  bool current = false;    // the session of this request
};

// A one-time password reset token, shown once to the admin or operator who
// issued it (the store keeps only its keyed hash, purpose "portal_reset").
struct PortalPasswordResetToken {
  std::string user_id;
  std::string token;  // "prt_" + 64 hex digits
  UnixSeconds expires_at = 0;
};

// What re-authenticates a signed-in user for a sensitive change.
struct PortalReauth {
  std::string_view password;   // the current password
  std::string_view totp_code;  // a current TOTP code (required when TOTP is enabled)
};

struct TotpEnrollment {
  std::string secret_base32;  // shown once, to be typed or scanned into an authenticator
  std::string otpauth_uri;
};

// One day of a tenant's figures for the charts (UTC days).
struct PortalDay {
  UnixSeconds day = 0;           // 00:00 UTC
  int64_t signatures = 0;        // metered signatures (per-signature usage records)
  int64_t requests = 0;          // answered production requests of the tenant
  int64_t normal = 0;            // of which normal (not 5xx, < 3 s)
  double avg_ms = 0;             // mean processing time
  double p50_ms = 0, p95_ms = 0; // percentiles of the day's per-minute mean processing times
  double max_ms = 0;             // the slowest request
};

class PortalService {
 public:
  PortalService(CoreDeps deps, BusinessService& business, PortalPolicy policy = {});

  // --- users ---
  // By an operator (any tenant), or by a tenant admin (own tenant only).
  Result<store::PortalUser> create_user(const OperatorContext& op, const std::string& tenant_id,
                                        const NewPortalUser& in);
  Result<store::PortalUser> create_user(const PortalContext& admin, const NewPortalUser& in);
  Result<std::vector<store::PortalUser>> users(const PortalContext& ctx);

  // --- sign-in and sessions ---
  // kUnauthenticated "sign-in failed" for an unknown login, a wrong password
  // or a wrong/missing TOTP code alike (one answer, no user enumeration);
  // kFailedPrecondition "locked" while the user is locked. A failure is
  // counted against a known user; the threshold-th in a row locks it.
  // A TOTP code is also refused when its time step is not later than the
  // last one accepted for the user (replay). A disabled user gets the same
  // "sign-in failed" as a wrong password. `user_agent` is the summary the
  // session list shows (at most 64 bytes kept).
  Result<PortalSignIn> sign_in(const store::WriteContext& write, std::string_view login, std::string_view password,
                               std::string_view totp_code, std::string_view user_agent = {});
  // The session of a cookie's token; kUnauthenticated when unknown, revoked
  // or expired.
  Result<PortalContext> authenticate(std::string_view session_token);
  std::string csrf_token_for(std::string_view session_token) const;
  // Whether `presented` is the CSRF token of the session (constant time).
  bool csrf_matches(std::string_view session_token, std::string_view presented) const;
  Status sign_out(const PortalContext& ctx, std::string_view session_token);

  // TOTP: begin hands out a fresh secret (nothing stored); confirm stores it
  // sealed when `code` is valid for it now (its step becomes the replay
  // floor). Replacing an enabled TOTP, and disabling it, needs `reauth`: the
  // current password AND a current code of the enabled secret
  // (kForbidden "the current password or TOTP code is wrong" otherwise,
  // counted as a failed sign-in; kLocked while locked).
  Result<TotpEnrollment> begin_totp(const PortalContext& ctx);
  Status confirm_totp(const PortalContext& ctx, std::string_view secret_base32, std::string_view code,
                      const PortalReauth& reauth = {});
  Status disable_totp(const PortalContext& ctx, const PortalReauth& reauth);

  // --- account care (portal_account.cc) ---
  // The signed-in user's own password: `current` must be right (kForbidden,
  // counted as a failed sign-in; kLocked while locked); `next` follows the
  // creation policy (12 to 1024 bytes, kInvalidArgument). Every OTHER session
  // of the user is revoked in the same transaction.
  Status change_password(const PortalContext& ctx, std::string_view session_token, std::string_view current,
                         std::string_view next);
  // The user's live sessions, newest first; `current` marks this request's.
  Result<std::vector<PortalSessionInfo>> sessions(const PortalContext& ctx, std::string_view session_token);
  // Revokes one of the user's own sessions by its id (kNotFound otherwise).
  Status revoke_session(const PortalContext& ctx, std::string_view session_id);
  // Signs the user out everywhere (every session, this one included).
  Result<int64_t> sign_out_everywhere(const PortalContext& ctx);
  // Disable (every session revoked at once; sign-in answers like a wrong
  // password) or enable a user: by a tenant admin (own tenant, never
  // themselves) or an operator.
  Status set_user_disabled(const PortalContext& admin, const std::string& user_id, bool disabled);
  Status set_user_disabled(const OperatorContext& op, const std::string& tenant_id, const std::string& user_id,
                           bool disabled);
  Result<std::vector<store::PortalUser>> users(const OperatorContext& op, const std::string& tenant_id);
  // A one-time reset token for the user (an earlier unused one stops working).
  Result<PortalPasswordResetToken> issue_password_reset(const PortalContext& admin, const std::string& user_id);
  Result<PortalPasswordResetToken> issue_password_reset(const OperatorContext& op, const std::string& tenant_id,
                                                        const std::string& user_id);
  // Sets a new password with a reset token: kInvalidArgument for a password
  // against the policy (the token is not used up); kUnauthenticated "the
  // reset token is invalid, used or expired" for anything wrong with the
  // token (or a disabled user). Every session of the user is revoked and the
  // lock cleared.
  Status reset_password(const store::WriteContext& write, std::string_view token, std::string_view next);

  // --- the tenant's data ---
  Result<store::Tenant> tenant(const PortalContext& ctx);
  Result<std::vector<store::App>> apps(const PortalContext& ctx);
  // Admin only: a new secret for one of the tenant's apps, shown once.
  Result<IssuedCredential> rotate_app_secret(const PortalContext& ctx, const std::string& app_id);
  Result<HolderPage> holders(const PortalContext& ctx, store::AppEnvironment env, const std::string& cursor,
                             size_t limit);
  Result<store::OrderPage> orders(const PortalContext& ctx, store::OrderFilter filter);
  Result<store::SignOrder> order(const PortalContext& ctx, const std::string& order_id);
  Result<std::vector<store::Package>> packages(const PortalContext& ctx);
  Result<std::vector<store::Notice>> notices(const PortalContext& ctx, size_t limit);
  // Days [from, to) (UTC midnights, at most 92 days).
  Result<std::vector<PortalDay>> days(const PortalContext& ctx, UnixSeconds from, UnixSeconds to);

  UnixSeconds now() const { return deps_.clock.now(); }

 private:
  Result<store::PortalUser> insert_user(const store::WriteContext& write, const std::string& tenant_id,
                                        const NewPortalUser& in);
  // The password policy of docs/portal.md (12 to 1024 bytes).
  static Status check_password_policy(std::string_view password);
  Bytes session_hash(std::string_view token) const;
  std::string session_id_of(ByteView token_hash) const;
  // Checks `reauth` against the signed-in user: the password, and when TOTP
  // is enabled a current code, whose step is then accepted (replay floor).
  Status reauthenticate(const PortalContext& ctx, const PortalReauth& reauth);
  Result<PortalPasswordResetToken> issue_reset(const store::WriteContext& write, const std::string& tenant_id,
                                               const std::string& user_id);
  AppContext app_view(const PortalContext& ctx, store::AppEnvironment env) const;

  CoreDeps deps_;
  BusinessService& business_;
  PortalPolicy policy_;
};

}  // namespace duet::core
