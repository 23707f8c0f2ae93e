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
  Result<PortalSignIn> sign_in(const store::WriteContext& write, std::string_view login, std::string_view password,
                               std::string_view totp_code);
  // The session of a cookie's token; kUnauthenticated when unknown, revoked
  // or expired.
  Result<PortalContext> authenticate(std::string_view session_token);
  std::string csrf_token_for(std::string_view session_token) const;
  // Whether `presented` is the CSRF token of the session (constant time).
  bool csrf_matches(std::string_view session_token, std::string_view presented) const;
  Status sign_out(const PortalContext& ctx, std::string_view session_token);

  // TOTP: begin hands out a fresh secret (nothing stored); confirm stores it
  // sealed when `code` is valid for it now; disable removes it.
  Result<TotpEnrollment> begin_totp(const PortalContext& ctx);
  Status confirm_totp(const PortalContext& ctx, std::string_view secret_base32, std::string_view code);
  Status disable_totp(const PortalContext& ctx);

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
  Bytes session_hash(std::string_view token) const;
  AppContext app_view(const PortalContext& ctx, store::AppEnvironment env) const;

  CoreDeps deps_;
  BusinessService& business_;
  PortalPolicy policy_;
};

}  // namespace duet::core
