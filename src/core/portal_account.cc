// PortalService, account care (docs/portal.md "Account care"): a user's own
// password change and sessions, re-authentication for sensitive changes, and
// what a tenant admin or an operator does to a user — disable, enable, a
// one-time password reset.
#include <optional>

#include "base/bytes.h"
#include "core/operator_roles.h"
#include "core/portal_service.h"
#include "crypto/totp.h"

namespace duet::core {

namespace {

Unexpected reauth_failed(bool with_code) {
  return make_error(ErrorCode::kForbidden,
                    with_code ? "the current password or TOTP code is wrong" : "the current password is wrong");
}

Unexpected reset_failed() {
  return make_error(ErrorCode::kUnauthenticated, "the reset token is invalid, used or expired");
}

std::string totp_label_of(const store::PortalUser& u) { return "portal_totp:" + u.tenant_id + ":" + u.user_id; }

// The audit pseudonym of a reset: derived from its stored hash, never the token.
std::string reset_ref(const keys::DataProtector& protector, ByteView token_hash) {
  return "prr_" + to_hex(protector.keyed_hash("portal_reset_id", token_hash)).substr(0, 32);
}

}  // namespace

Status PortalService::reauthenticate(const PortalContext& ctx, const PortalReauth& reauth) {
  DUET_ASSIGN_OR_RETURN(store::PortalUser u, deps_.store.get_portal_user(ctx.tenant_id, ctx.user_id));
  const UnixSeconds now = deps_.clock.now();
  const bool with_code = !u.totp_secret_sealed.empty();
  bool ok = crypto::verify_password(reauth.password, u.password_hash);
  std::optional<int64_t> step;
  if (ok && with_code) {
    DUET_ASSIGN_OR_RETURN(SecretBytes secret, deps_.protector.open(totp_label_of(u), u.totp_secret_sealed));
    step = crypto::totp_match_step(secret.view(), reauth.totp_code, now);
    ok = step && (!u.totp_last_step || *step > *u.totp_last_step);
  }
  // As at sign-in: while locked only the right answer learns of the lock.
  if (u.locked_until && *u.locked_until > now) {
    return ok ? make_error(ErrorCode::kLocked, "sign-in is locked") : reauth_failed(with_code);
  }
  if (ok && step) {
    Status accepted = deps_.store.accept_portal_totp_step(ctx.write, u.tenant_id, u.user_id, *step);
    if (!accepted.ok() && accepted.code() != ErrorCode::kConflict) return accepted;
    ok = accepted.ok();
  }
  if (!ok) {
    // A wrong guess through a session counts toward the lockout like one at
    // the sign-in form: a stolen session cannot try passwords without limit.
    DUET_TRY_STATUS(deps_.store.record_portal_signin_failure(ctx.write, u.tenant_id, u.user_id,
                                                             policy_.lockout_threshold, policy_.lockout_seconds, now));
    return reauth_failed(with_code);
  }
  return Status::Ok();
}

Status PortalService::change_password(const PortalContext& ctx, std::string_view session_token,
                                      std::string_view current, std::string_view next) {
  DUET_TRY_STATUS(check_password_policy(next));
  DUET_ASSIGN_OR_RETURN(store::PortalUser u, deps_.store.get_portal_user(ctx.tenant_id, ctx.user_id));
  const UnixSeconds now = deps_.clock.now();
  const bool ok = crypto::verify_password(current, u.password_hash);
  if (u.locked_until && *u.locked_until > now) {
    return ok ? make_error(ErrorCode::kLocked, "sign-in is locked") : reauth_failed(false);
  }
  if (!ok) {
    DUET_TRY_STATUS(deps_.store.record_portal_signin_failure(ctx.write, u.tenant_id, u.user_id,
                                                             policy_.lockout_threshold, policy_.lockout_seconds, now));
    return reauth_failed(false);
  }
  DUET_ASSIGN_OR_RETURN(std::string hash, crypto::hash_password(next, deps_.rng, policy_.argon2));
  ctx.write.name_audit_target("user_id", ctx.user_id);
  // The new hash and the revocation of every other session: one transaction.
  return deps_.store.set_portal_user_password(ctx.write, ctx.tenant_id, ctx.user_id, hash,
                                              session_hash(session_token), now);
}

std::string PortalService::session_id_of(ByteView token_hash) const {
  // A pseudonym of the session: derived from the stored hash, so neither the
  // token nor its hash leaves the service.
  return "pss_" + to_hex(deps_.protector.keyed_hash("portal_session_id", token_hash)).substr(0, 32);
}

Result<std::vector<PortalSessionInfo>> PortalService::sessions(const PortalContext& ctx,
                                                               std::string_view session_token) {
  DUET_ASSIGN_OR_RETURN(auto rows, deps_.store.list_portal_sessions(ctx.tenant_id, ctx.user_id, deps_.clock.now()));
  const Bytes mine = session_hash(session_token);
  std::vector<PortalSessionInfo> out;
  for (const auto& s : rows) {
    PortalSessionInfo i;
    i.session_id = session_id_of(s.token_hash);
    i.created_at = s.created_at;
    i.last_seen_at = s.last_seen_at.value_or(s.created_at);
    i.expires_at = s.expires_at;
    i.user_agent = s.user_agent;
    i.current = s.token_hash == mine;
    out.push_back(std::move(i));
  }
  return out;
}

Status PortalService::revoke_session(const PortalContext& ctx, std::string_view session_id) {
  DUET_ASSIGN_OR_RETURN(auto rows, deps_.store.list_portal_sessions(ctx.tenant_id, ctx.user_id, deps_.clock.now()));
  for (const auto& s : rows) {
    if (session_id_of(s.token_hash) != session_id) continue;
    ctx.write.name_audit_target("session_id", session_id);
    return deps_.store.revoke_portal_session(ctx.write, s.token_hash, deps_.clock.now());
  }
  return make_error(ErrorCode::kNotFound, "no such session");
}

Result<int64_t> PortalService::sign_out_everywhere(const PortalContext& ctx) {
  ctx.write.name_audit_target("user_id", ctx.user_id);
  return deps_.store.revoke_portal_user_sessions(ctx.write, ctx.tenant_id, ctx.user_id, ByteView{},
                                                 deps_.clock.now());
}

Status PortalService::set_user_disabled(const PortalContext& admin, const std::string& user_id, bool disabled) {
  if (admin.role != kPortalRoleAdmin) return make_error(ErrorCode::kForbidden, "only a tenant admin manages users");
  // A tenant must not lock out its last way in by accident: an admin never
  // disables themselves (an operator can).
  if (user_id == admin.user_id) return make_error(ErrorCode::kInvalidArgument, "you cannot disable or enable yourself");
  admin.write.name_audit_target("user_id", user_id);
  return deps_.store.set_portal_user_disabled(admin.write, admin.tenant_id, user_id, disabled, deps_.clock.now());
}

Status PortalService::set_user_disabled(const OperatorContext& op, const std::string& tenant_id,
                                        const std::string& user_id, bool disabled) {
  DUET_TRY_STATUS(require_role(op, {kRoleOperator}));
  op.write.name_audit_target("user_id", user_id);
  return deps_.store.set_portal_user_disabled(op.write, tenant_id, user_id, disabled, deps_.clock.now());
}

Result<std::vector<store::PortalUser>> PortalService::users(const OperatorContext& op, const std::string& tenant_id) {
  DUET_TRY_STATUS(require_role(op, {kRoleOperator, kRoleSecurityOfficer}));
  return deps_.store.list_portal_users(tenant_id);
}

Result<PortalPasswordResetToken> PortalService::issue_reset(const store::WriteContext& write,
                                                            const std::string& tenant_id, const std::string& user_id) {
  Bytes raw(32);
  deps_.rng.fill(raw);
  PortalPasswordResetToken t;
  t.user_id = user_id;
  t.token = "prt_" + to_hex(raw);
  secure_wipe(raw.data(), raw.size());
  store::PortalPasswordReset r;
  r.token_hash = deps_.protector.keyed_hash("portal_reset", as_bytes(t.token));
  r.tenant_id = tenant_id;
  r.user_id = user_id;
  r.created_at = deps_.clock.now();
  r.expires_at = r.created_at + policy_.reset_seconds;
  t.expires_at = r.expires_at;
  // The audit event names the user and a pseudonym of the reset (its hash's
  // id), never the token: the use of the reset names the same pseudonym.
  write.name_audit_target("user_id", user_id);
  write.name_audit_target("reset", reset_ref(deps_.protector, r.token_hash));
  DUET_TRY_STATUS(deps_.store.create_portal_password_reset(write, r));
  return t;
}

Result<PortalPasswordResetToken> PortalService::issue_password_reset(const PortalContext& admin,
                                                                     const std::string& user_id) {
  if (admin.role != kPortalRoleAdmin) return make_error(ErrorCode::kForbidden, "only a tenant admin manages users");
  return issue_reset(admin.write, admin.tenant_id, user_id);
}

Result<PortalPasswordResetToken> PortalService::issue_password_reset(const OperatorContext& op,
                                                                     const std::string& tenant_id,
                                                                     const std::string& user_id) {
  DUET_TRY_STATUS(require_role(op, {kRoleOperator}));
  return issue_reset(op.write, tenant_id, user_id);
}

Status PortalService::reset_password(const store::WriteContext& write, std::string_view token, std::string_view next) {
  DUET_TRY_STATUS(check_password_policy(next));
  if (token.size() != 68 || token.substr(0, 4) != "prt_") return reset_failed();
  const Bytes hash = deps_.protector.keyed_hash("portal_reset", as_bytes(token));
  DUET_ASSIGN_OR_RETURN(std::string password_hash, crypto::hash_password(next, deps_.rng, policy_.argon2));
  write.name_audit_target("reset", reset_ref(deps_.protector, hash));
  auto used = deps_.store.use_portal_password_reset(write, hash, password_hash, deps_.clock.now());
  if (!used.ok()) return used.code() == ErrorCode::kNotFound ? reset_failed() : Unexpected{used.error()};
  return Status::Ok();
}

}  // namespace duet::core
