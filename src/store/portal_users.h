// store::PortalUserStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). The tenant portal's users and their sign-in
// sessions (docs/portal.md).
//
// A portal user belongs to exactly one tenant; every read or update takes
// that tenant, except the two entry points that discover it from a
// credential: find_portal_user_by_login (the sign-in form's login name,
// unique across tenants) and find_portal_session (the session cookie's
// token hash).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

// A person of a tenant who signs in to the portal.
struct PortalUser {
  std::string tenant_id;
  std::string user_id;        // "usr_..."
  std::string login;          // lower-case e-mail address or name; unique across tenants
  std::string role;           // "admin" (may create users) | "member"
  std::string password_hash;  // argon2id encoded string (core/password_hash.h); never the password
  Bytes totp_secret_sealed;   // the TOTP secret sealed by the DataProtector; empty: no TOTP
  int failed_signins = 0;     // consecutive failed sign-ins since the last success
  std::optional<UnixSeconds> locked_until;  // sign-in refused until then
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> disabled_at;   // set: disabled by an admin or operator (sign-in refused)
  std::optional<int64_t> totp_last_step;    // time step of the last accepted TOTP code (replay floor)
};

// One signed-in browser. Only the hash of the cookie's token is stored.
struct PortalSession {
  Bytes token_hash;  // keyed hash of the session token; unique
  std::string tenant_id;
  std::string user_id;
  UnixSeconds created_at = 0;
  UnixSeconds expires_at = 0;
  std::optional<UnixSeconds> revoked_at;
  std::optional<UnixSeconds> last_seen_at;  // updated at most once a minute
  std::string user_agent;                   // a summary ("Chrome on Linux"), never the raw header
};

// A one-time password reset an admin or operator issued. Only the keyed
// hash of the token is stored; used_at makes it single use.
struct PortalPasswordReset {
  Bytes token_hash;
  std::string tenant_id;
  std::string user_id;
  UnixSeconds created_at = 0;
  UnixSeconds expires_at = 0;
  std::optional<UnixSeconds> used_at;
};

class PortalUserStore {
 public:
  virtual ~PortalUserStore() = default;

  // kDuplicate (a conflict) when the login is taken (in any tenant) or the user id exists;
  // kNotFound when the tenant does not exist.
  virtual Status create_portal_user(const WriteContext& context, const PortalUser& user) = 0;
  // Entry point of the sign-in: the user of `login` in whichever tenant.
  virtual Result<PortalUser> find_portal_user_by_login(std::string_view login) = 0;
  virtual Result<PortalUser> get_portal_user(std::string_view tenant_id, std::string_view user_id) = 0;
  // The tenant's users by login.
  virtual Result<std::vector<PortalUser>> list_portal_users(std::string_view tenant_id) = 0;
  // Sets (non-empty) or clears (empty) the sealed TOTP secret; totp_last_step
  // becomes `accepted_step` (the step of the code that confirmed the secret;
  // nullopt when clearing).
  virtual Status set_portal_user_totp(const WriteContext& context, std::string_view tenant_id,
                                      std::string_view user_id, const Bytes& totp_secret_sealed,
                                      std::optional<int64_t> accepted_step) = 0;
  // Accepts a TOTP code of time step `step` with ONE conditional update
  // (totp_last_step = step where it is NULL or smaller): kConflict when a
  // code of this step or a later one was accepted already (a replay), so of
  // two concurrent uses of one code exactly one succeeds.
  virtual Status accept_portal_totp_step(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view user_id, int64_t step) = 0;
  // A new password hash, in one transaction with: the failure counter and
  // lock cleared, and every unrevoked session of the user revoked at `now`
  // except the one of `keep_session` (empty: all of them).
  virtual Status set_portal_user_password(const WriteContext& context, std::string_view tenant_id,
                                          std::string_view user_id, const std::string& password_hash,
                                          ByteView keep_session, UnixSeconds now) = 0;
  // Disables (disabled_at = now, every session revoked in the same
  // transaction) or enables (disabled_at NULL) the user. kNotFound.
  virtual Status set_portal_user_disabled(const WriteContext& context, std::string_view tenant_id,
                                          std::string_view user_id, bool disabled, UnixSeconds now) = 0;

  // Counts one failed sign-in with ONE conditional update: failed_signins + 1,
  // and when that reaches `threshold`, locked_until = now + lock_seconds and
  // the counter back to 0 (the next lock needs `threshold` new failures).
  // Returns the user as updated. Concurrent failures are all counted.
  virtual Result<PortalUser> record_portal_signin_failure(const WriteContext& context, std::string_view tenant_id,
                                                          std::string_view user_id, int threshold,
                                                          int64_t lock_seconds, UnixSeconds now) = 0;

  // A successful sign-in: the session is inserted and the user's failure
  // counter reset, in one transaction; kConflict when the user is locked at
  // `now` (a lock taken concurrently wins).
  virtual Status open_portal_session(const WriteContext& context, const PortalSession& session, UnixSeconds now) = 0;
  // Entry point of every signed-in request: the unrevoked session of that
  // token hash that has not expired at `now`; kNotFound otherwise.
  virtual Result<PortalSession> find_portal_session(ByteView token_hash, UnixSeconds now) = 0;
  // Revokes the session (sign-out); kNotFound when there is no unrevoked one.
  virtual Status revoke_portal_session(const WriteContext& context, ByteView token_hash, UnixSeconds now) = 0;
  // The user's live sessions (unrevoked, not expired at `now`), newest first.
  virtual Result<std::vector<PortalSession>> list_portal_sessions(std::string_view tenant_id,
                                                                  std::string_view user_id, UnixSeconds now) = 0;
  // Revokes every unrevoked session of the user except `keep_session`
  // (empty: all); returns how many were revoked.
  virtual Result<int64_t> revoke_portal_user_sessions(const WriteContext& context, std::string_view tenant_id,
                                                      std::string_view user_id, ByteView keep_session,
                                                      UnixSeconds now) = 0;
  // last_seen_at = now (bookkeeping, not an audited action: no context).
  virtual Status touch_portal_session(ByteView token_hash, UnixSeconds now) = 0;

  // Stores a reset; the user's earlier unused resets are deleted in the same
  // transaction (only the newest works). kNotFound when the user does not exist.
  virtual Status create_portal_password_reset(const WriteContext& context, const PortalPasswordReset& reset) = 0;
  // Uses a reset, in one transaction: the reset of `token_hash`, unused and
  // not expired at `now`, of an enabled user, is marked used; the user gets
  // `password_hash`, the lock is cleared and every session revoked. kNotFound
  // otherwise (nothing written). Returns the user as updated.
  virtual Result<PortalUser> use_portal_password_reset(const WriteContext& context, ByteView token_hash,
                                                       const std::string& password_hash, UnixSeconds now) = 0;
};

}  // namespace duet::store
