#include "server/portal_routes.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/signin_throttle.h"
#include "core/stored_audit_check.h"
#include "core/views.h"
#include "server/claim_routes.h"
#include "server/faq.h"
#include "server/json_body.h"
#include "server/json_mapping.h"
#include "server/metering_views.h"
#include "server/portal_account_routes.h"
#include "server/sla_routes.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

json user_json(const store::PortalUser& u) {
  return json{{"user_id", u.user_id},
              {"login", u.login},
              {"role", u.role},
              {"totp_enabled", !u.totp_secret_sealed.empty()},
              {"disabled", u.disabled_at.has_value()},
              {"created_at", u.created_at}};
}

// The session cookie: HttpOnly (no script reads it), Secure, SameSite=Strict
// (no cross-site request carries it). Its name has the __Host- prefix, so a
// browser takes it only with Secure, Path=/ and no Domain: a sibling
// subdomain or a plain-http page cannot plant or shadow it.
std::string session_cookie(std::string_view token, int64_t max_age) {
  return std::string(kPortalSessionCookie) + "=" + std::string(token) +
         "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=" + std::to_string(std::max<int64_t>(0, max_age));
}

// The re-authentication fields of a sensitive change (TOTP replace/disable).
Result<std::pair<std::string, std::string>> reauth_fields(const json& body, std::string_view password_key,
                                                          std::string_view code_key) {
  DUET_ASSIGN_OR_RETURN(auto password, opt_string(body, password_key));
  DUET_ASSIGN_OR_RETURN(auto code, opt_string(body, code_key));
  return std::pair{password.value_or(""), code.value_or("")};
}

Result<store::AppEnvironment> environment_of(const Request& req) {
  std::string e = req.query_param("environment").value_or("production");
  if (e == "production") return store::AppEnvironment::kProduction;
  if (e == "sandbox") return store::AppEnvironment::kSandbox;
  return invalid("environment must be sandbox or production");
}

Result<core::NewPortalUser> parse_new_user(const Request& req) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  core::NewPortalUser u;
  DUET_ASSIGN_OR_RETURN(u.login, req_string(body, "login"));
  DUET_ASSIGN_OR_RETURN(u.password, req_string(body, "password"));
  DUET_ASSIGN_OR_RETURN(auto role, opt_string(body, "role"));
  if (role) u.role = *role;
  return u;
}

json day_json(const core::PortalDay& d) {
  return json{{"day", d.day},         {"signatures", d.signatures}, {"requests", d.requests},
              {"normal", d.normal},   {"avg_ms", d.avg_ms},         {"p50_ms", d.p50_ms},
              {"p95_ms", d.p95_ms},   {"max_ms", d.max_ms}};
}

void session_routes(http::Router& r, core::PortalService& p, RequestAuth& auth,
                    const std::shared_ptr<core::SignInThrottle>& throttle) {
  r.post("/portal/v1/sessions",
         auth.unauthenticated_portal_request([&p, throttle](const Request& req,
                                                            const store::WriteContext& w) -> Result<Response> {
           // A sign-in is JSON only: a cross-site HTML form can send text/plain
           // or form encodings without a preflight, never application/json
           // (login CSRF: signing a victim's browser into another account).
           auto type = req.header("Content-Type");
           if (!type || !http::iequals(type->substr(0, std::min<size_t>(type->size(), 16)), "application/json"))
             return make_error(ErrorCode::kInvalidArgument, "a sign-in is sent as Content-Type: application/json");
           DUET_ASSIGN_OR_RETURN(core::SignInThrottle::Slot slot, throttle->admit(req.remote_address, p.now()));
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::string login, req_string(body, "login"));
           DUET_ASSIGN_OR_RETURN(std::string password, req_string(body, "password"));
           DUET_ASSIGN_OR_RETURN(auto totp, opt_string(body, "totp_code"));
           DUET_ASSIGN_OR_RETURN(core::PortalSignIn in,
                                 p.sign_in(w, login, password, totp.value_or(""),
                                           user_agent_summary(req.header("User-Agent").value_or(""))));
           Response resp = json_response(201, json{{"user", user_json(in.user)},
                                                   {"tenant_id", in.user.tenant_id},
                                                   {"csrf_token", in.csrf_token},
                                                   {"expires_at", in.expires_at}});
           resp.headers.set("Set-Cookie", session_cookie(in.session_token, in.expires_at - p.now()));
           return resp;
         }));
  r.del("/portal/v1/sessions/current",
        auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                            std::string_view token) -> Result<Response> {
          DUET_TRY_STATUS(p.sign_out(ctx, token));
          Response resp = Response::empty(204);
          resp.headers.set("Set-Cookie", session_cookie("", 0));
          return resp;
        }));
  r.get("/portal/v1/me", auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                                             std::string_view token) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(store::Tenant t, p.tenant(ctx));
    DUET_ASSIGN_OR_RETURN(auto users, p.users(ctx));
    json me;
    for (const auto& u : users)
      if (u.user_id == ctx.user_id) me = user_json(u);
    return json_response(200, json{{"user", me},
                                   {"tenant", json{{"tenant_id", t.tenant_id}, {"name", t.name},
                                                   {"suspended", t.suspended}}},
                                   {"csrf_token", p.csrf_token_for(token)}});
  }));
  r.post("/portal/v1/totp", auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                                                std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(core::TotpEnrollment e, p.begin_totp(ctx));
    return json_response(200, json{{"secret", e.secret_base32}, {"otpauth_uri", e.otpauth_uri}});
  }));
  // Replacing an enabled TOTP also takes "password" and "current_code" (a
  // code of the enabled secret); disabling takes "password" and "code".
  r.post("/portal/v1/totp/confirm", auth.portal_session_request(p, [&p, throttle](const Request& req,
                                                                                  const core::PortalContext& ctx,
                                                                                  std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
    DUET_ASSIGN_OR_RETURN(std::string secret, req_string(body, "secret"));
    DUET_ASSIGN_OR_RETURN(std::string code, req_string(body, "code"));
    DUET_ASSIGN_OR_RETURN(auto re, reauth_fields(body, "password", "current_code"));
    DUET_ASSIGN_OR_RETURN(core::SignInThrottle::Slot slot, throttle->admit(req.remote_address, p.now()));
    DUET_TRY_STATUS(p.confirm_totp(ctx, secret, code, core::PortalReauth{re.first, re.second}));
    return Response::empty(204);
  }));
  r.del("/portal/v1/totp", auth.portal_session_request(p, [&p, throttle](const Request& req,
                                                                         const core::PortalContext& ctx,
                                                                         std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, true));
    DUET_ASSIGN_OR_RETURN(auto re, reauth_fields(body, "password", "code"));
    DUET_ASSIGN_OR_RETURN(core::SignInThrottle::Slot slot, throttle->admit(req.remote_address, p.now()));
    DUET_TRY_STATUS(p.disable_totp(ctx, core::PortalReauth{re.first, re.second}));
    return Response::empty(204);
  }));
}

void tenant_data_routes(http::Router& r, const ApiServices& s, core::PortalService& p, RequestAuth& auth) {
  r.get("/portal/v1/users", auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                                                std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(auto users, p.users(ctx));
    json arr = json::array();
    for (const auto& u : users) arr.push_back(user_json(u));
    return json_response(200, json{{"users", std::move(arr)}});
  }));
  r.post("/portal/v1/users", auth.portal_session_request(p, [&p](const Request& req, const core::PortalContext& ctx,
                                                                 std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(core::NewPortalUser in, parse_new_user(req));
    DUET_ASSIGN_OR_RETURN(store::PortalUser u, p.create_user(ctx, in));
    return json_response(201, user_json(u));
  }));
  r.get("/portal/v1/apps", auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                                               std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(auto apps, p.apps(ctx));
    json arr = json::array();
    for (const auto& a : apps) arr.push_back(app_json(a));
    return json_response(200, json{{"apps", std::move(arr)}});
  }));
  r.post("/portal/v1/apps/{app_id}/rotate-secret",
         auth.portal_session_request(p, [&p](const Request& req, const core::PortalContext& ctx,
                                             std::string_view) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::IssuedCredential c, p.rotate_app_secret(ctx, std::string(req.param("app_id"))));
           return json_response(200, credential_json(c));
         }));
  r.get("/portal/v1/holders", auth.portal_session_request(p, [&p](const Request& req, const core::PortalContext& ctx,
                                                                  std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(store::AppEnvironment env, environment_of(req));
    DUET_ASSIGN_OR_RETURN(size_t limit, parse_limit(req, 50));
    DUET_ASSIGN_OR_RETURN(core::HolderPage page, p.holders(ctx, env, req.query_param("cursor").value_or(""), limit));
    json arr = json::array();
    for (const auto& h : page.holders) arr.push_back(holder_json(h));
    return json_response(200, json{{"holders", std::move(arr)}, {"next_cursor", page.next_cursor}});
  }));
  r.get("/portal/v1/orders", auth.portal_session_request(p, [&p, &s](const Request& req, const core::PortalContext& ctx,
                                                                     std::string_view) -> Result<Response> {
    store::OrderFilter f;
    DUET_ASSIGN_OR_RETURN(f.environment, environment_of(req));
    DUET_ASSIGN_OR_RETURN(f.limit, parse_limit(req, 50));
    if (auto st = req.query_param("state"); st && !st->empty()) {
      auto state = core::order_state_from_name(*st);
      if (!state) return invalid("state must be one of pending, signing, signed, rejected, expired, cancelled, failed");
      f.state = *state;
    }
    f.cursor = req.query_param("cursor").value_or("");
    DUET_ASSIGN_OR_RETURN(store::OrderPage page, p.orders(ctx, f));
    json arr = json::array();
    for (const auto& o : page.orders) arr.push_back(order_json(o, s.business.order_uri_for(o.order_id), s.business.order_app_url_for(o.order_id)));
    return json_response(200, json{{"orders", std::move(arr)}, {"next_cursor", page.next_cursor}});
  }));
  r.get("/portal/v1/orders/{order_id}",
        auth.portal_session_request(p, [&p, &s](const Request& req, const core::PortalContext& ctx,
                                                std::string_view) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(store::SignOrder o, p.order(ctx, std::string(req.param("order_id"))));
          Response resp = json_response(200, order_json(o, s.business.order_uri_for(o.order_id), s.business.order_app_url_for(o.order_id)));
          if (req.query_param("download").value_or("") == "1") {
            resp.headers.set("Content-Disposition", "attachment; filename=\"" + o.order_id + ".json\"");
          }
          return resp;
        }));
  r.get("/portal/v1/packages", auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                                                   std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(auto ps, p.packages(ctx));
    json arr = json::array();
    for (const auto& pk : ps) arr.push_back(package_json(pk, p.now()));
    return json_response(200, json{{"packages", std::move(arr)}});
  }));
  r.get("/portal/v1/notices", auth.portal_session_request(p, [&p](const Request& req, const core::PortalContext& ctx,
                                                                  std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(size_t limit, parse_limit(req, 50));
    DUET_ASSIGN_OR_RETURN(auto ns, p.notices(ctx, limit));
    json arr = json::array();
    for (const auto& n : ns) arr.push_back(notice_json(n));
    return json_response(200, json{{"notices", std::move(arr)}});
  }));
  r.get("/portal/v1/usage", auth.portal_session_request(p, [&p](const Request& req, const core::PortalContext& ctx,
                                                                std::string_view) -> Result<Response> {
    const int64_t today = p.now() - p.now() % 86'400;
    DUET_ASSIGN_OR_RETURN(int64_t from, query_int(req, "from", today - 29 * 86'400, 0, int64_t{1} << 40));
    DUET_ASSIGN_OR_RETURN(int64_t to, query_int(req, "to", today + 86'400, 0, int64_t{1} << 40));
    DUET_ASSIGN_OR_RETURN(auto days, p.days(ctx, from, to));
    json arr = json::array();
    for (const auto& d : days) arr.push_back(day_json(d));
    return json_response(200, json{{"days", std::move(arr)},
                                   {"targets", json{{"availability_pct", 99.95}, {"avg_ms", 100}, {"max_ms", 3000}}}});
  }));
  r.get("/portal/v1/sla", auth.portal_session_request(p, [&s](const Request& req, const core::PortalContext& ctx,
                                                              std::string_view) -> Result<Response> {
    auto month = req.query_param("month");
    if (!month || month->empty()) return invalid("month (YYYY-MM) is required");
    int64_t now = s.deps.clock.now();
    DUET_ASSIGN_OR_RETURN(core::SlaMonthlyReport rep, s.sla.report(ctx.write, *month, ctx.tenant_id, now));
    json j = sla_report_json(rep, now);
    // Only the tenant's own row; the service-wide figures are not the tenant's to see.
    json mine = j["tenants"].empty() ? json(nullptr) : j["tenants"][0];
    return json_response(200, json{{"month", j["month"]}, {"final", j["final"]}, {"targets", j["targets"]},
                                   {"evaluated_to", j["evaluated_to"]}, {"tenant", mine}});
  }));
}

// SLA claims from the portal: the Business API's claim (docs/sla.md
// "Claims", CompensationClaimService::file) with the tenant from the session
// and the portal user as the filer. Filing binds the tenant to a statement,
// so only a tenant admin files (as only an admin rotates secrets); every
// user reads the claims and their decisions.
void claim_routes(http::Router& r, const ApiServices& s, core::PortalService& p, RequestAuth& auth) {
  r.post("/portal/v1/sla/claims", auth.portal_session_request(p, [&s](const Request& req, const core::PortalContext& ctx,
                                                                      std::string_view) -> Result<Response> {
    if (s.claims == nullptr) return make_error(ErrorCode::kUnavailable, "SLA claims are not available");
    if (ctx.role != core::kPortalRoleAdmin) return make_error(ErrorCode::kForbidden, "only a tenant admin files claims");
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
    DUET_ASSIGN_OR_RETURN(std::string month, req_string(body, "month"));
    DUET_ASSIGN_OR_RETURN(std::optional<std::string> statement, opt_string(body, "statement"));
    core::ClaimFiler filer{ctx.tenant_id, ctx.user_id, true, ctx.write};
    DUET_ASSIGN_OR_RETURN(store::SlaClaim claim,
                          s.claims->file(filer, month, statement.value_or(""), s.deps.clock.now()));
    return json_response(201, sla_claim_json(claim));
  }));
  r.get("/portal/v1/sla/claims", auth.portal_session_request(p, [&s](const Request&, const core::PortalContext& ctx,
                                                                     std::string_view) -> Result<Response> {
    if (s.claims == nullptr) return make_error(ErrorCode::kUnavailable, "SLA claims are not available");
    // claims("") lists every tenant's: a session always has its tenant.
    if (ctx.tenant_id.empty()) return make_error(ErrorCode::kUnauthenticated, "no session");
    DUET_ASSIGN_OR_RETURN(std::vector<store::SlaClaim> cs, s.claims->claims(ctx.tenant_id));
    json arr = json::array();
    for (const auto& c : cs) arr.push_back(sla_claim_json(c));
    return json_response(200, json{{"claims", std::move(arr)}});
  }));
}

void faq_route(http::Router& r) {
  r.get("/portal/v1/faq", RequestAuth::public_request([](const Request& req) -> Result<Response> {
    std::string q = req.query_param("q").value_or("");
    if (q.size() > 200) return invalid("q must be at most 200 bytes");
    json arr = json::array();
    for (const FaqEntry* e : search_faq(q)) {
      arr.push_back(json{{"slug", e->slug}, {"title", e->title}, {"body_markdown", e->body}});
    }
    return json_response(200, json{{"entries", std::move(arr)}});
  }));
  r.get("/portal/v1/guide", RequestAuth::public_request([](const Request&) -> Result<Response> {
    return json_response(200, json{{"markdown", integration_guide()}});
  }));
}

// The operator console (web/console, docs/portal.md "Operator console") asks
// which role its token has, to show only the pages that role may use; the
// Admin API routes enforce the roles themselves.
void console_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.get("/admin/v1/audit/verify",
        auth.operator_request(
            [&s](const Request&, const core::OperatorContext&) -> Result<Response> {
              DUET_ASSIGN_OR_RETURN(core::AuditVerifyResult v,
                                    core::verify_stored_audit_chain(s.deps.store, s.audit, s.deps.clock.now()));
              return json_response(200, json{{"ok", v.ok},
                                             {"events", v.events},
                                             {"last_seq", v.last_seq},
                                             {"checkpoints", v.checkpoints},
                                             {"last_checkpoint_seq", v.last_checkpoint_seq},
                                             {"first_bad_seq", v.ok ? json(nullptr) : json(v.first_bad_seq)},
                                             {"damage", v.ok ? json(nullptr) : json(core::audit_damage_name(v.damage))},
                                             {"detail", v.detail}});
            },
            {core::kRoleAuditor, core::kRoleSecurityOfficer}));
  r.get("/admin/v1/me", auth.operator_request(
                            [](const Request&, const core::OperatorContext& op) -> Result<Response> {
                              return json_response(200, json{{"name", op.name}, {"role", op.role}});
                            },
                            {core::kRoleOperator, core::kRoleAuditor, core::kRoleSecurityOfficer}));
}

void admin_user_routes(http::Router& r, core::PortalService& p, RequestAuth& auth) {
  r.get("/admin/v1/tenants/{tenant_id}/portal-users",
        auth.operator_request([&p](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(auto users, p.users(op, std::string(req.param("tenant_id"))));
          json arr = json::array();
          for (const auto& u : users) arr.push_back(user_json(u));
          return json_response(200, json{{"users", std::move(arr)}});
        }, {core::kRoleOperator, core::kRoleSecurityOfficer}));
  r.post("/admin/v1/tenants/{tenant_id}/portal-users",
         auth.operator_request([&p](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::NewPortalUser in, parse_new_user(req));
           DUET_ASSIGN_OR_RETURN(store::PortalUser u, p.create_user(op, std::string(req.param("tenant_id")), in));
           return json_response(201, user_json(u));
         }, {core::kRoleOperator}));
}

}  // namespace

void register_portal_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  faq_route(r);
  console_routes(r, s, auth);
  if (s.portal == nullptr) return;
  // One throttle per router (per duetd) for every route that runs Argon2id:
  // core/signin_throttle.h says why.
  auto throttle = std::make_shared<core::SignInThrottle>();
  session_routes(r, *s.portal, auth, throttle);
  register_portal_account_routes(r, *s.portal, auth, throttle);
  tenant_data_routes(r, s, *s.portal, auth);
  claim_routes(r, s, *s.portal, auth);
  admin_user_routes(r, *s.portal, auth);
}

}  // namespace duet::server
