#include "core/portal_service.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "base/bytes.h"
#include "core/operator_roles.h"
#include "crypto/totp.h"
#include "store/ids.h"

namespace duet::core {

namespace {

constexpr size_t kMinPassword = 12;
constexpr size_t kTotpSecretBytes = 20;  // RFC 4226 recommends 160 bits
constexpr int64_t kDay = 86'400;

// RFC 3986 percent-encoding of everything but the unreserved characters and
// '@' (the otpauth label: a login with '?', '&', '#' or ':' must not break
// the URI or the issuer prefix).
std::string percent_encoded(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Unexpected signin_failed() { return make_error(ErrorCode::kUnauthenticated, "sign-in failed"); }

// Logins compare case-insensitively: stored lower case.
Result<std::string> normalized_login(std::string_view login) {
  if (login.empty() || login.size() > 254) return make_error(ErrorCode::kInvalidArgument, "login must be 1 to 254 bytes");
  std::string out;
  for (char c : login) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return make_error(ErrorCode::kInvalidArgument, "login must not contain spaces");
    out.push_back(static_cast<char>(std::tolower(u)));
  }
  return out;
}

std::string totp_label(const store::PortalUser& u) { return "portal_totp:" + u.tenant_id + ":" + u.user_id; }

}  // namespace

PortalService::PortalService(CoreDeps deps, BusinessService& business, PortalPolicy policy)
    : deps_(deps), business_(business), policy_(policy) {}

Status PortalService::check_password_policy(std::string_view password) {
  if (password.size() < kMinPassword || password.size() > 1024) {
    return make_error(ErrorCode::kInvalidArgument, "password must be 12 to 1024 bytes");
  }
  return Status::Ok();
}

Result<store::PortalUser> PortalService::insert_user(const store::WriteContext& write, const std::string& tenant_id,
                                                     const NewPortalUser& in) {
  DUET_ASSIGN_OR_RETURN(std::string login, normalized_login(in.login));
  if (in.role != kPortalRoleAdmin && in.role != kPortalRoleMember) {
    return make_error(ErrorCode::kInvalidArgument, "role must be admin or member");
  }
  DUET_TRY_STATUS(check_password_policy(in.password));
  store::PortalUser u;
  u.tenant_id = tenant_id;
  u.user_id = store::new_id("usr_");
  u.login = std::move(login);
  u.role = in.role;
  u.created_at = deps_.clock.now();
  DUET_ASSIGN_OR_RETURN(u.password_hash, crypto::hash_password(in.password, deps_.rng, policy_.argon2));
  write.name_audit_target("user_id", u.user_id);
  DUET_TRY_STATUS(deps_.store.create_portal_user(write, u));
  return u;
}

Result<store::PortalUser> PortalService::create_user(const OperatorContext& op, const std::string& tenant_id,
                                                     const NewPortalUser& in) {
  DUET_TRY_STATUS(require_role(op, {kRoleOperator}));
  return insert_user(op.write, tenant_id, in);
}

Result<store::PortalUser> PortalService::create_user(const PortalContext& admin, const NewPortalUser& in) {
  if (admin.role != kPortalRoleAdmin) return make_error(ErrorCode::kForbidden, "only a tenant admin creates users");
  return insert_user(admin.write, admin.tenant_id, in);
}

Result<std::vector<store::PortalUser>> PortalService::users(const PortalContext& ctx) {
  return deps_.store.list_portal_users(ctx.tenant_id);
}

Result<PortalSignIn> PortalService::sign_in(const store::WriteContext& write, std::string_view login_in,
                                            std::string_view password, std::string_view totp_code,
                                            std::string_view user_agent) {
  auto login = normalized_login(login_in);
  if (!login.ok()) return signin_failed();
  auto found = deps_.store.find_portal_user_by_login(*login);
  if (!found.ok()) {
    if (found.code() != ErrorCode::kNotFound) return Unexpected{found.error()};
    // Spend the time a real verification takes, so timing tells no login apart.
    static const std::string kDummy = [] {
      crypto::SystemRandom rng;
      auto h = crypto::hash_password("not a password of anyone", rng);
      return h.ok() ? *h : std::string();
    }();
    (void)crypto::verify_password(password, kDummy);
    return signin_failed();
  }
  store::PortalUser u = std::move(*found);
  const UnixSeconds now = deps_.clock.now();
  write.name_audit_target("user_id", u.user_id);
  const bool locked = u.locked_until && *u.locked_until > now;

  // The password is checked also while the user is locked: only a caller who
  // knows it (and the code) learns of the lock. Anyone else gets the answer
  // of a wrong password, so neither the lock nor the failure that set it
  // tells a login that exists from one that does not (unknown logins never
  // lock), and a locked user costs the same Argon2id time as any other.
  bool ok = crypto::verify_password(password, u.password_hash);
  std::optional<int64_t> step;
  if (ok && !u.totp_secret_sealed.empty()) {
    DUET_ASSIGN_OR_RETURN(SecretBytes secret, deps_.protector.open(totp_label(u), u.totp_secret_sealed));
    step = crypto::totp_match_step(secret.view(), totp_code, now);
    // A code of a step already accepted (or earlier) is a replay: refused
    // like a wrong code.
    ok = step && (!u.totp_last_step || *step > *u.totp_last_step);
  }
  // A disabled user: the answer of a wrong password, whatever was sent (and
  // never the lock), so neither existence nor the disabling shows.
  if (u.disabled_at) return signin_failed();
  if (locked) return ok ? make_error(ErrorCode::kLocked, "sign-in is locked") : signin_failed();
  if (ok && step) {
    // One conditional update: of two sign-ins racing with one code, one wins.
    Status accepted = deps_.store.accept_portal_totp_step(write, u.tenant_id, u.user_id, *step);
    if (!accepted.ok() && accepted.code() != ErrorCode::kConflict) return Unexpected{accepted.error()};
    ok = accepted.ok();
  }
  if (!ok) {
    DUET_TRY_STATUS(deps_.store.record_portal_signin_failure(write, u.tenant_id, u.user_id, policy_.lockout_threshold,
                                                             policy_.lockout_seconds, now));
    return signin_failed();
  }

  Bytes raw(32);
  deps_.rng.fill(raw);
  PortalSignIn out;
  out.session_token = "pts_" + to_hex(raw);
  secure_wipe(raw.data(), raw.size());
  store::PortalSession s;
  s.token_hash = session_hash(out.session_token);
  s.tenant_id = u.tenant_id;
  s.user_id = u.user_id;
  s.created_at = now;
  s.expires_at = now + policy_.session_seconds;
  s.user_agent = std::string(user_agent.substr(0, 64));
  Status opened = deps_.store.open_portal_session(write, s, now);
  if (!opened.ok()) {
    if (opened.code() == ErrorCode::kConflict) return make_error(ErrorCode::kLocked, "sign-in is locked");
    if (opened.code() == ErrorCode::kNotFound) return signin_failed();  // disabled meanwhile
    return Unexpected{opened.error()};
  }
  out.csrf_token = csrf_token_for(out.session_token);
  out.expires_at = s.expires_at;
  out.user = std::move(u);
  return out;
}

Bytes PortalService::session_hash(std::string_view token) const {
  return deps_.protector.keyed_hash("portal_session", as_bytes(token));
}

Result<PortalContext> PortalService::authenticate(std::string_view token) {
  if (token.size() != 68 || token.substr(0, 4) != "pts_") {
    return make_error(ErrorCode::kUnauthenticated, "not signed in");
  }
  const UnixSeconds now = deps_.clock.now();
  auto s = deps_.store.find_portal_session(session_hash(token), now);
  if (!s.ok()) {
    if (s.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kUnauthenticated, "not signed in");
    return Unexpected{s.error()};
  }
  DUET_ASSIGN_OR_RETURN(store::PortalUser u, deps_.store.get_portal_user(s->tenant_id, s->user_id));
  // Disabling revokes every session in its transaction; this refuses one
  // anyway, should a session outlive it.
  if (u.disabled_at) return make_error(ErrorCode::kUnauthenticated, "not signed in");
  if (!s->last_seen_at || now - *s->last_seen_at >= policy_.seen_interval) {
    // Bookkeeping for the session list; a failure here fails no request.
    (void)deps_.store.touch_portal_session(s->token_hash, now);
  }
  return PortalContext{u.tenant_id, u.user_id, u.login, u.role, {}};
}

std::string PortalService::csrf_token_for(std::string_view token) const {
  return to_hex(deps_.protector.keyed_hash("portal_csrf", as_bytes(token)));
}

bool PortalService::csrf_matches(std::string_view token, std::string_view presented) const {
  const std::string want = csrf_token_for(token);
  return presented.size() == want.size() && CRYPTO_memcmp(want.data(), presented.data(), want.size()) == 0;
}

Status PortalService::sign_out(const PortalContext& ctx, std::string_view token) {
  return deps_.store.revoke_portal_session(ctx.write, session_hash(token), deps_.clock.now());
}

Result<TotpEnrollment> PortalService::begin_totp(const PortalContext& ctx) {
  SecretBytes secret(kTotpSecretBytes);
  deps_.rng.fill(secret.span());
  TotpEnrollment e;
  e.secret_base32 = crypto::base32_encode(secret.view());
  e.otpauth_uri = "otpauth://totp/Duet:" + percent_encoded(ctx.login) + "?secret=" + e.secret_base32 +
                  "&issuer=Duet&algorithm=SHA1&digits=6&period=30";
  return e;
}

Status PortalService::confirm_totp(const PortalContext& ctx, std::string_view secret_base32, std::string_view code,
                                   const PortalReauth& reauth) {
  DUET_ASSIGN_OR_RETURN(Bytes secret, crypto::base32_decode(secret_base32));
  if (secret.size() != kTotpSecretBytes) return make_error(ErrorCode::kInvalidArgument, "secret is not a TOTP secret");
  const std::optional<int64_t> step = crypto::totp_match_step(secret, code, deps_.clock.now());
  if (!step) {
    secure_wipe(secret.data(), secret.size());
    return make_error(ErrorCode::kInvalidArgument, "the code does not match the secret");
  }
  // Replacing an enabled TOTP needs the password and a code of the old one
  // (a stolen session alone must not move the second factor).
  auto current = deps_.store.get_portal_user(ctx.tenant_id, ctx.user_id);
  Status re = !current.ok()                           ? Status(Unexpected{current.error()})
              : current->totp_secret_sealed.empty() ? Status::Ok()
                                                      : reauthenticate(ctx, reauth);
  if (!re.ok()) {
    secure_wipe(secret.data(), secret.size());
    return re;
  }
  store::PortalUser u;
  u.tenant_id = ctx.tenant_id;
  u.user_id = ctx.user_id;
  auto sealed = deps_.protector.seal(totp_label(u), secret);
  secure_wipe(secret.data(), secret.size());
  if (!sealed.ok()) return Unexpected{sealed.error()};
  // The confirming code's step is the replay floor: it cannot sign in later.
  return deps_.store.set_portal_user_totp(ctx.write, ctx.tenant_id, ctx.user_id, *sealed, *step);
}

Status PortalService::disable_totp(const PortalContext& ctx, const PortalReauth& reauth) {
  DUET_ASSIGN_OR_RETURN(store::PortalUser u, deps_.store.get_portal_user(ctx.tenant_id, ctx.user_id));
  if (u.totp_secret_sealed.empty()) return make_error(ErrorCode::kConflict, "TOTP is not enabled");
  DUET_TRY_STATUS(reauthenticate(ctx, reauth));
  return deps_.store.set_portal_user_totp(ctx.write, ctx.tenant_id, ctx.user_id, Bytes{}, std::nullopt);
}

Result<store::Tenant> PortalService::tenant(const PortalContext& ctx) { return deps_.store.get_tenant(ctx.tenant_id); }

Result<std::vector<store::App>> PortalService::apps(const PortalContext& ctx) {
  return deps_.store.list_apps(ctx.tenant_id);
}

Result<IssuedCredential> PortalService::rotate_app_secret(const PortalContext& ctx, const std::string& app_id) {
  if (ctx.role != kPortalRoleAdmin) return make_error(ErrorCode::kForbidden, "only a tenant admin rotates secrets");
  DUET_ASSIGN_OR_RETURN(store::App app, deps_.store.get_app(ctx.tenant_id, app_id));  // own tenant only
  Bytes raw(32);
  deps_.rng.fill(raw);
  IssuedCredential c{app.app_id, to_hex(raw), app.environment};
  secure_wipe(raw.data(), raw.size());
  ctx.write.name_audit_target("app_id", app.app_id);
  DUET_ASSIGN_OR_RETURN(Bytes sealed, deps_.protector.seal("app_secret:" + app.app_id, as_bytes(c.secret)));
  DUET_TRY_STATUS(deps_.store.update_app_secret(ctx.write, ctx.tenant_id, app_id, sealed));
  return c;
}

AppContext PortalService::app_view(const PortalContext& ctx, store::AppEnvironment env) const {
  // The business service's reads are scoped by tenant_id and environment
  // only; the app id names the reader in nothing it returns.
  return AppContext{ctx.tenant_id, "portal:" + ctx.user_id, env, ctx.write};
}

Result<HolderPage> PortalService::holders(const PortalContext& ctx, store::AppEnvironment env,
                                          const std::string& cursor, size_t limit) {
  return business_.list_holders(app_view(ctx, env), cursor, limit);
}

Result<store::OrderPage> PortalService::orders(const PortalContext& ctx, store::OrderFilter filter) {
  filter.limit = std::clamp<size_t>(filter.limit, 1, 200);
  return deps_.store.list_orders(ctx.tenant_id, filter);
}

Result<store::SignOrder> PortalService::order(const PortalContext& ctx, const std::string& order_id) {
  return deps_.store.get_order(ctx.tenant_id, order_id);
}

Result<std::vector<store::Package>> PortalService::packages(const PortalContext& ctx) {
  return deps_.store.list_packages(ctx.tenant_id);
}

Result<std::vector<store::Notice>> PortalService::notices(const PortalContext& ctx, size_t limit) {
  return deps_.store.list_notices(ctx.tenant_id, std::clamp<size_t>(limit, 1, 200));
}

Result<std::vector<PortalDay>> PortalService::days(const PortalContext& ctx, UnixSeconds from, UnixSeconds to) {
  if (from % kDay != 0 || to % kDay != 0 || to <= from || to - from > 92 * kDay) {
    return make_error(ErrorCode::kInvalidArgument, "from and to must be UTC midnights at most 92 days apart");
  }
  std::vector<PortalDay> out;
  DUET_ASSIGN_OR_RETURN(auto minutes, deps_.store.list_availability(ctx.tenant_id, from, to));
  std::map<UnixSeconds, std::vector<const store::AvailabilityMinute*>> by_day;
  for (const auto& m : minutes) by_day[m.minute - m.minute % kDay].push_back(&m);
  for (UnixSeconds d = from; d < to; d += kDay) {
    PortalDay day;
    day.day = d;
    DUET_ASSIGN_OR_RETURN(day.signatures,
                          deps_.store.count_usage(ctx.tenant_id, store::PackageKind::kPerSignature, d, d + kDay));
    int64_t total_us = 0, max_us = 0;
    std::vector<double> minute_avg_ms;
    for (const auto* m : by_day[d]) {
      day.requests += m->requests;
      day.normal += m->normal;
      total_us += m->total_us;
      max_us = std::max(max_us, m->max_us);
      if (m->requests > 0) minute_avg_ms.push_back(static_cast<double>(m->total_us) / 1000.0 / m->requests);
    }
    if (day.requests > 0) day.avg_ms = static_cast<double>(total_us) / 1000.0 / day.requests;
    day.max_ms = static_cast<double>(max_us) / 1000.0;
    if (!minute_avg_ms.empty()) {
      std::sort(minute_avg_ms.begin(), minute_avg_ms.end());
      auto pct = [&](double p) {
        size_t i = static_cast<size_t>(p * static_cast<double>(minute_avg_ms.size() - 1) + 0.5);
        return minute_avg_ms[std::min(i, minute_avg_ms.size() - 1)];
      };
      day.p50_ms = pct(0.50);
      day.p95_ms = pct(0.95);
    }
    out.push_back(day);
  }
  return out;
}

}  // namespace duet::core
