// PgStore: the tenant portal's users and sessions (store/portal_users.h).
#include "store/pg_store_impl.h"
#include "store/portal_rows.h"

namespace duet::store::pg_store {

using portal_rows::kPortalSessionCols;
using portal_rows::kPortalUserCols;
using portal_rows::read_portal_session;
using portal_rows::read_portal_user;

namespace {

Result<PortalUser> load_portal_user(Connection& c, std::string_view tenant_id, std::string_view user_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kPortalUserCols, "portal_users", "tenant_id = $1 AND user_id = $2"),
                                        {tenant_id, user_id}));
  return first_row<PortalUser>(r, [](const Row& row) { return read_portal_user(row); }, "portal user");
}

}  // namespace

Status PgStore::create_portal_user(const WriteContext& context, const PortalUser& u) {
  if (!portal_rows::portal_user_valid(u)) return invalid("portal user is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Rows t, c.query("SELECT 1 FROM tenants WHERE tenant_id = $1", {u.tenant_id}));
    if (t.empty()) return not_found("tenant");
    return pg::run(c,
                   "INSERT INTO portal_users (tenant_id, user_id, login, role, password_hash, totp_secret_sealed, "
                   "failed_signins, locked_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                   {u.tenant_id, u.user_id, u.login, u.role, u.password_hash,
                    u.totp_secret_sealed.empty() ? Param::null() : Param(u.totp_secret_sealed), u.failed_signins,
                    u.locked_until, u.created_at});
  });
}

Result<PortalUser> PgStore::find_portal_user_by_login(std::string_view login) {
  return read_single<PortalUser>([&](Connection& c) -> Result<PortalUser> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kPortalUserCols, "portal_users", "login = $1"), {login}));
    return first_row<PortalUser>(r, [](const Row& row) { return read_portal_user(row); }, "portal user");
  });
}

Result<PortalUser> PgStore::get_portal_user(std::string_view tenant_id, std::string_view user_id) {
  return read_single<PortalUser>([&](Connection& c) { return load_portal_user(c, tenant_id, user_id); });
}

Result<std::vector<PortalUser>> PgStore::list_portal_users(std::string_view tenant_id) {
  return read_single<std::vector<PortalUser>>([&](Connection& c) -> Result<std::vector<PortalUser>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kPortalUserCols, "portal_users", "tenant_id = $1") +
                                              " ORDER BY login",
                                          {tenant_id}));
    return all_rows<PortalUser>(r, [](const Row& row) -> Result<PortalUser> { return read_portal_user(row); });
  });
}

Status PgStore::set_portal_user_totp(const WriteContext& context, std::string_view tenant_id,
                                     std::string_view user_id, const Bytes& sealed,
                                     std::optional<int64_t> accepted_step) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE portal_users SET totp_secret_sealed = $3, totp_last_step = $4 WHERE tenant_id = $1 AND user_id = $2",
        {tenant_id, user_id, sealed.empty() ? Param::null() : Param(sealed),
         Param(sealed.empty() ? std::nullopt : accepted_step)}));
    return n == 1 ? Status::Ok() : Status(not_found("portal user"));
  });
}

Result<PortalUser> PgStore::record_portal_signin_failure(const WriteContext& context, std::string_view tenant_id,
                                                         std::string_view user_id, int threshold,
                                                         int64_t lock_seconds, UnixSeconds now) {
  if (threshold < 1 || lock_seconds < 1) return make_error(ErrorCode::kInvalidArgument, "lockout policy out of range");
  return run<Result<PortalUser>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PortalUser> {
    // One statement (the row lock serializes concurrent failures).
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "UPDATE portal_users SET "
        "locked_until = CASE WHEN failed_signins + 1 >= $3 THEN $5::bigint + $4::bigint ELSE locked_until END, "
        "failed_signins = CASE WHEN failed_signins + 1 >= $3 THEN 0 ELSE failed_signins + 1 END "
        "WHERE tenant_id = $1 AND user_id = $2 RETURNING " + std::string(kPortalUserCols),
        {tenant_id, user_id, threshold, lock_seconds, now}));
    return first_row<PortalUser>(r, [](const Row& row) { return read_portal_user(row); }, "portal user");
  });
}

Status PgStore::open_portal_session(const WriteContext& context, const PortalSession& s, UnixSeconds now) {
  if (s.token_hash.empty() || s.tenant_id.empty() || s.user_id.empty()) return invalid("portal session is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE portal_users SET failed_signins = 0 WHERE tenant_id = $1 AND user_id = $2 "
        "AND (locked_until IS NULL OR locked_until <= $3) AND disabled_at IS NULL",
        {s.tenant_id, s.user_id, now}));
    if (n != 1) {
      DUET_ASSIGN_OR_RETURN(PortalUser u, load_portal_user(c, s.tenant_id, s.user_id));
      if (u.disabled_at) return not_found("portal user");  // disabled meanwhile: no session
      return conflict("portal user is locked");
    }
    return pg::run(c,
                   "INSERT INTO portal_sessions (token_hash, tenant_id, user_id, created_at, expires_at, revoked_at, "
                   "last_seen_at, user_agent) VALUES ($1, $2, $3, $4, $5, NULL, $4, $6)",
                   {s.token_hash, s.tenant_id, s.user_id, s.created_at, s.expires_at, s.user_agent});
  });
}

Result<PortalSession> PgStore::find_portal_session(ByteView token_hash, UnixSeconds now) {
  return read_single<PortalSession>([&](Connection& c) -> Result<PortalSession> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kPortalSessionCols, "portal_sessions",
                                                      "token_hash = $1 AND revoked_at IS NULL AND expires_at > $2"),
                                          {token_hash, now}));
    return first_row<PortalSession>(r, [](const Row& row) { return read_portal_session(row); }, "portal session");
  });
}

Status PgStore::revoke_portal_session(const WriteContext& context, ByteView token_hash, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE portal_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL", {token_hash, now}));
    return n == 1 ? Status::Ok() : Status(not_found("portal session"));
  });
}

Status PgStore::accept_portal_totp_step(const WriteContext& context, std::string_view tenant_id,
                                        std::string_view user_id, int64_t step) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE portal_users SET totp_last_step = $3 WHERE tenant_id = $1 AND user_id = $2 "
        "AND (totp_last_step IS NULL OR totp_last_step < $3)",
        {tenant_id, user_id, step}));
    if (n == 1) return Status::Ok();
    DUET_TRY_STATUS(load_portal_user(c, tenant_id, user_id));
    return conflict("TOTP code already used");
  });
}

namespace {

// Every unrevoked session of the user but `keep` (empty: all) revoked.
Result<int64_t> revoke_user_sessions(Connection& c, std::string_view tenant_id, std::string_view user_id,
                                     ByteView keep, UnixSeconds now) {
  if (keep.empty()) {
    return changes(c,
        "UPDATE portal_sessions SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        {tenant_id, user_id, now});
  }
  return changes(c,
      "UPDATE portal_sessions SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL "
      "AND token_hash <> $4",
      {tenant_id, user_id, now, keep});
}

}  // namespace

Status PgStore::set_portal_user_password(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view user_id, const std::string& password_hash,
                                         ByteView keep_session, UnixSeconds now) {
  if (password_hash.empty()) return invalid("password hash is empty");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE portal_users SET password_hash = $3, failed_signins = 0, locked_until = NULL "
        "WHERE tenant_id = $1 AND user_id = $2",
        {tenant_id, user_id, password_hash}));
    if (n != 1) return not_found("portal user");
    DUET_TRY_STATUS(revoke_user_sessions(c, tenant_id, user_id, keep_session, now));
    return Status::Ok();
  });
}

Status PgStore::set_portal_user_disabled(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view user_id, bool disabled, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    int64_t n = 0;
    if (disabled) {
      DUET_ASSIGN_OR_RETURN(n, changes(c,
          "UPDATE portal_users SET disabled_at = COALESCE(disabled_at, $3::bigint) WHERE tenant_id = $1 AND user_id = $2",
          {tenant_id, user_id, now}));
    } else {
      DUET_ASSIGN_OR_RETURN(n, changes(c,
          "UPDATE portal_users SET disabled_at = NULL WHERE tenant_id = $1 AND user_id = $2", {tenant_id, user_id}));
    }
    if (n != 1) return not_found("portal user");
    if (disabled) DUET_TRY_STATUS(revoke_user_sessions(c, tenant_id, user_id, ByteView{}, now));
    return Status::Ok();
  });
}

Result<std::vector<PortalSession>> PgStore::list_portal_sessions(std::string_view tenant_id, std::string_view user_id,
                                                                 UnixSeconds now) {
  return read_single<std::vector<PortalSession>>([&](Connection& c) -> Result<std::vector<PortalSession>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kPortalSessionCols, "portal_sessions",
                                                      "tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL "
                                                      "AND expires_at > $3") +
                                              " ORDER BY created_at DESC, token_hash",
                                          {tenant_id, user_id, now}));
    return all_rows<PortalSession>(r, [](const Row& row) -> Result<PortalSession> { return read_portal_session(row); });
  });
}

Result<int64_t> PgStore::revoke_portal_user_sessions(const WriteContext& context, std::string_view tenant_id,
                                                     std::string_view user_id, ByteView keep_session,
                                                     UnixSeconds now) {
  return run<Result<int64_t>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<int64_t> {
    return revoke_user_sessions(c, tenant_id, user_id, keep_session, now);
  });
}

Status PgStore::touch_portal_session(ByteView token_hash, UnixSeconds now) {
  return write({}, [&](Connection& c) -> Status {
    return pg::run(c, "UPDATE portal_sessions SET last_seen_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
                   {token_hash, now});
  });
}

Status PgStore::create_portal_password_reset(const WriteContext& context, const PortalPasswordReset& r) {
  if (r.token_hash.empty() || r.tenant_id.empty() || r.user_id.empty() || r.expires_at <= r.created_at)
    return invalid("password reset is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(load_portal_user(c, r.tenant_id, r.user_id));
    DUET_TRY_STATUS(pg::run(c,
        "DELETE FROM portal_password_resets WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL",
        {r.tenant_id, r.user_id}));
    return pg::run(c,
                   "INSERT INTO portal_password_resets (token_hash, tenant_id, user_id, created_at, expires_at, used_at) "
                   "VALUES ($1, $2, $3, $4, $5, NULL)",
                   {r.token_hash, r.tenant_id, r.user_id, r.created_at, r.expires_at});
  });
}

Result<PortalUser> PgStore::use_portal_password_reset(const WriteContext& context, ByteView token_hash,
                                                      const std::string& password_hash, UnixSeconds now) {
  if (password_hash.empty()) return invalid("password hash is empty");
  return run<Result<PortalUser>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PortalUser> {
    // One conditional update claims the reset (the row lock serializes two uses).
    DUET_ASSIGN_OR_RETURN(Rows claim, c.query(
        "UPDATE portal_password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 "
        "AND EXISTS (SELECT 1 FROM portal_users u WHERE u.tenant_id = portal_password_resets.tenant_id "
        "AND u.user_id = portal_password_resets.user_id AND u.disabled_at IS NULL) "
        "RETURNING tenant_id, user_id",
        {token_hash, now}));
    if (claim.empty()) return not_found("password reset");
    const std::string tenant_id = claim.text(0, 0);
    const std::string user_id = claim.text(0, 1);
    DUET_TRY_STATUS(pg::run(c,
        "UPDATE portal_users SET password_hash = $3, failed_signins = 0, locked_until = NULL "
        "WHERE tenant_id = $1 AND user_id = $2",
        {tenant_id, user_id, password_hash}));
    DUET_TRY_STATUS(revoke_user_sessions(c, tenant_id, user_id, ByteView{}, now));
    return load_portal_user(c, tenant_id, user_id);
  });
}

}  // namespace duet::store::pg_store
