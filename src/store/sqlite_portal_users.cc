// SqliteStore: the tenant portal's users and sessions (store/portal_users.h).
#include "store/portal_rows.h"
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

using portal_rows::kPortalSessionCols;
using portal_rows::kPortalUserCols;
using portal_rows::read_portal_session;
using portal_rows::read_portal_user;

namespace {

constexpr std::string_view kTenantExists = "SELECT 1 FROM tenants WHERE tenant_id = ?1";

Result<PortalUser> load_portal_user(Connection& c, std::string_view tenant_id, std::string_view user_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      select_from(kPortalUserCols, "portal_users", "tenant_id = ?1 AND user_id = ?2")));
  st.bind(1, tenant_id).bind(2, user_id);
  return query_one<PortalUser>(st, read_portal_user, "portal user");
}

}  // namespace

Status SqliteStore::create_portal_user(const WriteContext& context, const PortalUser& u) {
  if (!portal_rows::portal_user_valid(u)) return invalid("portal user is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement tenant, Statement::prepare(c, kTenantExists));
    tenant.bind(1, u.tenant_id);
    DUET_ASSIGN_OR_RETURN(bool found, tenant.step());
    if (!found) return not_found("tenant");
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO portal_users (tenant_id, user_id, login, role, password_hash, totp_secret_sealed, "
        "failed_signins, locked_until, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    st.bind(1, u.tenant_id).bind(2, u.user_id).bind(3, u.login).bind(4, u.role).bind(5, u.password_hash)
        .bind(6, u.totp_secret_sealed).bind(7, u.failed_signins).bind(8, u.locked_until).bind(9, u.created_at);
    return st.run();
  });
}

Result<PortalUser> SqliteStore::find_portal_user_by_login(std::string_view login) {
  return read_single<PortalUser>([&](Connection& c) -> Result<PortalUser> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, select_from(kPortalUserCols, "portal_users", "login = ?1")));
    st.bind(1, login);
    return query_one<PortalUser>(st, read_portal_user, "portal user");
  });
}

Result<PortalUser> SqliteStore::get_portal_user(std::string_view tenant_id, std::string_view user_id) {
  return read_single<PortalUser>([&](Connection& c) { return load_portal_user(c, tenant_id, user_id); });
}

Result<std::vector<PortalUser>> SqliteStore::list_portal_users(std::string_view tenant_id) {
  return read_single<std::vector<PortalUser>>([&](Connection& c) -> Result<std::vector<PortalUser>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kPortalUserCols, "portal_users", "tenant_id = ?1") + " ORDER BY login"));
    st.bind(1, tenant_id);
    return read_all<PortalUser>(st, read_portal_user);
  });
}

Status SqliteStore::set_portal_user_totp(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view user_id, const Bytes& sealed,
                                         std::optional<int64_t> accepted_step) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE portal_users SET totp_secret_sealed = ?3, totp_last_step = ?4 WHERE tenant_id = ?1 AND user_id = ?2"));
    st.bind(1, tenant_id).bind(2, user_id);
    if (sealed.empty()) st.bind_null(3); else st.bind(3, sealed);
    st.bind(4, sealed.empty() ? std::nullopt : accepted_step);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("portal user");
  });
}

Result<PortalUser> SqliteStore::record_portal_signin_failure(const WriteContext& context, std::string_view tenant_id,
                                                             std::string_view user_id, int threshold,
                                                             int64_t lock_seconds, UnixSeconds now) {
  if (threshold < 1 || lock_seconds < 1) return make_error(ErrorCode::kInvalidArgument, "lockout policy out of range");
  return run<Result<PortalUser>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PortalUser> {
    // One statement: the count and the lock it may cause cannot interleave
    // with another failure's.
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE portal_users SET "
        "locked_until = CASE WHEN failed_signins + 1 >= ?3 THEN ?5 + ?4 ELSE locked_until END, "
        "failed_signins = CASE WHEN failed_signins + 1 >= ?3 THEN 0 ELSE failed_signins + 1 END "
        "WHERE tenant_id = ?1 AND user_id = ?2"));
    st.bind(1, tenant_id).bind(2, user_id).bind(3, threshold).bind(4, lock_seconds).bind(5, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return Unexpected{not_found("portal user").error()};
    return load_portal_user(c, tenant_id, user_id);
  });
}

Status SqliteStore::open_portal_session(const WriteContext& context, const PortalSession& s, UnixSeconds now) {
  if (s.token_hash.empty() || s.tenant_id.empty() || s.user_id.empty()) return invalid("portal session is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement reset, Statement::prepare(c,
        "UPDATE portal_users SET failed_signins = 0 WHERE tenant_id = ?1 AND user_id = ?2 "
        "AND (locked_until IS NULL OR locked_until <= ?3) AND disabled_at IS NULL"));
    reset.bind(1, s.tenant_id).bind(2, s.user_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, reset));
    if (n != 1) {
      DUET_ASSIGN_OR_RETURN(PortalUser u, load_portal_user(c, s.tenant_id, s.user_id));
      if (u.disabled_at) return not_found("portal user");  // disabled meanwhile: no session
      return conflict("portal user is locked");
    }
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO portal_sessions (token_hash, tenant_id, user_id, created_at, expires_at, revoked_at, "
        "last_seen_at, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?4, ?6)"));
    st.bind(1, s.token_hash).bind(2, s.tenant_id).bind(3, s.user_id).bind(4, s.created_at).bind(5, s.expires_at)
        .bind(6, s.user_agent);
    return st.run();
  });
}

Result<PortalSession> SqliteStore::find_portal_session(ByteView token_hash, UnixSeconds now) {
  return read_single<PortalSession>([&](Connection& c) -> Result<PortalSession> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, select_from(kPortalSessionCols, "portal_sessions",
        "token_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2")));
    st.bind(1, token_hash).bind(2, now);
    return query_one<PortalSession>(st, read_portal_session, "portal session");
  });
}

Status SqliteStore::revoke_portal_session(const WriteContext& context, ByteView token_hash, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE portal_sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL"));
    st.bind(1, token_hash).bind(2, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("portal session");
  });
}

Status SqliteStore::accept_portal_totp_step(const WriteContext& context, std::string_view tenant_id,
                                            std::string_view user_id, int64_t step) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE portal_users SET totp_last_step = ?3 WHERE tenant_id = ?1 AND user_id = ?2 "
        "AND (totp_last_step IS NULL OR totp_last_step < ?3)"));
    st.bind(1, tenant_id).bind(2, user_id).bind(3, step);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n == 1) return Status::Ok();
    DUET_TRY_STATUS(load_portal_user(c, tenant_id, user_id));
    return conflict("TOTP code already used");
  });
}

namespace {

// Every unrevoked session of the user but `keep` (empty: all) revoked.
Result<int> revoke_user_sessions(Connection& c, std::string_view tenant_id, std::string_view user_id, ByteView keep,
                                 UnixSeconds now) {
  const std::string sql = std::string(
      "UPDATE portal_sessions SET revoked_at = ?3 WHERE tenant_id = ?1 AND user_id = ?2 AND revoked_at IS NULL") +
      (keep.empty() ? "" : " AND token_hash <> ?4");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
  st.bind(1, tenant_id).bind(2, user_id).bind(3, now);
  if (!keep.empty()) st.bind(4, keep);
  return run_changes(c, st);
}

}  // namespace

Status SqliteStore::set_portal_user_password(const WriteContext& context, std::string_view tenant_id,
                                             std::string_view user_id, const std::string& password_hash,
                                             ByteView keep_session, UnixSeconds now) {
  if (password_hash.empty()) return invalid("password hash is empty");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE portal_users SET password_hash = ?3, failed_signins = 0, locked_until = NULL "
        "WHERE tenant_id = ?1 AND user_id = ?2"));
    st.bind(1, tenant_id).bind(2, user_id).bind(3, password_hash);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return not_found("portal user");
    DUET_TRY_STATUS(revoke_user_sessions(c, tenant_id, user_id, keep_session, now));
    return Status::Ok();
  });
}

Status SqliteStore::set_portal_user_disabled(const WriteContext& context, std::string_view tenant_id,
                                             std::string_view user_id, bool disabled, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        disabled ? "UPDATE portal_users SET disabled_at = COALESCE(disabled_at, ?3) WHERE tenant_id = ?1 AND user_id = ?2"
                 : "UPDATE portal_users SET disabled_at = NULL WHERE tenant_id = ?1 AND user_id = ?2"));
    st.bind(1, tenant_id).bind(2, user_id);
    if (disabled) st.bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return not_found("portal user");
    if (disabled) DUET_TRY_STATUS(revoke_user_sessions(c, tenant_id, user_id, ByteView{}, now));
    return Status::Ok();
  });
}

Result<std::vector<PortalSession>> SqliteStore::list_portal_sessions(std::string_view tenant_id,
                                                                     std::string_view user_id, UnixSeconds now) {
  return read_single<std::vector<PortalSession>>([&](Connection& c) -> Result<std::vector<PortalSession>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, select_from(kPortalSessionCols, "portal_sessions",
        "tenant_id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3") +
        " ORDER BY created_at DESC, token_hash"));
    st.bind(1, tenant_id).bind(2, user_id).bind(3, now);
    return read_all<PortalSession>(st, read_portal_session);
  });
}

Result<int64_t> SqliteStore::revoke_portal_user_sessions(const WriteContext& context, std::string_view tenant_id,
                                                         std::string_view user_id, ByteView keep_session,
                                                         UnixSeconds now) {
  return run<Result<int64_t>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<int64_t> {
    DUET_ASSIGN_OR_RETURN(int n, revoke_user_sessions(c, tenant_id, user_id, keep_session, now));
    return static_cast<int64_t>(n);
  });
}

Status SqliteStore::touch_portal_session(ByteView token_hash, UnixSeconds now) {
  return write({}, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE portal_sessions SET last_seen_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL"));
    st.bind(1, token_hash).bind(2, now);
    return st.run();
  });
}

Status SqliteStore::create_portal_password_reset(const WriteContext& context, const PortalPasswordReset& r) {
  if (r.token_hash.empty() || r.tenant_id.empty() || r.user_id.empty() || r.expires_at <= r.created_at)
    return invalid("password reset is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(load_portal_user(c, r.tenant_id, r.user_id));
    DUET_ASSIGN_OR_RETURN(Statement del, Statement::prepare(c,
        "DELETE FROM portal_password_resets WHERE tenant_id = ?1 AND user_id = ?2 AND used_at IS NULL"));
    del.bind(1, r.tenant_id).bind(2, r.user_id);
    DUET_TRY_STATUS(del.run());
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO portal_password_resets (token_hash, tenant_id, user_id, created_at, expires_at, used_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, NULL)"));
    st.bind(1, r.token_hash).bind(2, r.tenant_id).bind(3, r.user_id).bind(4, r.created_at).bind(5, r.expires_at);
    return st.run();
  });
}

Result<PortalUser> SqliteStore::use_portal_password_reset(const WriteContext& context, ByteView token_hash,
                                                          const std::string& password_hash, UnixSeconds now) {
  if (password_hash.empty()) return Unexpected{invalid("password hash is empty").error()};
  return run<Result<PortalUser>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PortalUser> {
    // One conditional update claims the reset: of two concurrent uses one wins.
    DUET_ASSIGN_OR_RETURN(Statement claim, Statement::prepare(c,
        "UPDATE portal_password_resets SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 "
        "AND EXISTS (SELECT 1 FROM portal_users u WHERE u.tenant_id = portal_password_resets.tenant_id "
        "AND u.user_id = portal_password_resets.user_id AND u.disabled_at IS NULL) "
        "RETURNING tenant_id, user_id"));
    claim.bind(1, token_hash).bind(2, now);
    DUET_ASSIGN_OR_RETURN(bool found, claim.step());
    if (!found) return Unexpected{not_found("password reset").error()};
    const std::string tenant_id = claim.column_text(0);
    const std::string user_id = claim.column_text(1);
    DUET_ASSIGN_OR_RETURN(bool more, claim.step());
    (void)more;
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE portal_users SET password_hash = ?3, failed_signins = 0, locked_until = NULL "
        "WHERE tenant_id = ?1 AND user_id = ?2"));
    st.bind(1, tenant_id).bind(2, user_id).bind(3, password_hash);
    DUET_TRY_STATUS(st.run());
    DUET_TRY_STATUS(revoke_user_sessions(c, tenant_id, user_id, ByteView{}, now));
    return load_portal_user(c, tenant_id, user_id);
  });
}

}  // namespace duet::store::sqlite_store
