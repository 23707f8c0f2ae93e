#include "server/portal_account_routes.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "http/http.h"

#include "server/json_body.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

std::string user_agent_summary(std::string_view ua) {
  auto has = [&](std::string_view s) { return ua.find(s) != std::string_view::npos; };
  std::string browser = has("Edg/")       ? "Edge"
                        : has("Firefox/") ? "Firefox"
                        : has("Chrome/") || has("Chromium/") ? "Chrome"
                        : has("Safari/")  ? "Safari"
                        : has("curl/")    ? "curl"
                                          : "other";
  std::string os = has("Android")                                  ? "Android"
                   : has("iPhone") || has("iPad")                  ? "iOS"
                   : has("Windows")                                ? "Windows"
                   : has("Mac OS X") || has("Macintosh")           ? "macOS"
                   : has("Linux") || has("X11")                    ? "Linux"
                                                                   : "";
  if (has("MicroMessenger")) browser = "WeChat";
  return os.empty() ? browser : browser + " on " + os;
}

namespace {

// A session's cookie cleared (sign-out everywhere ends this one too).
constexpr std::string_view kClearedCookie = "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0";

json session_json(const core::PortalSessionInfo& s) {
  return json{{"session_id", s.session_id}, {"created_at", s.created_at}, {"last_seen_at", s.last_seen_at},
              {"expires_at", s.expires_at}, {"user_agent", s.user_agent}, {"current", s.current}};
}

json reset_json(const core::PortalPasswordResetToken& t) {
  return json{{"user_id", t.user_id}, {"reset_token", t.token}, {"expires_at", t.expires_at}};
}

// An unauthenticated portal POST must be JSON (login CSRF: a cross-site form
// cannot send it without a preflight duetd never grants).
Status require_json(const Request& req) {
  auto type = req.header("Content-Type");
  if (!type || !http::iequals(type->substr(0, std::min<size_t>(type->size(), 16)), "application/json"))
    return make_error(ErrorCode::kInvalidArgument, "this request is sent as Content-Type: application/json");
  return Status::Ok();
}

void self_routes(http::Router& r, core::PortalService& p, RequestAuth& auth,
                 const std::shared_ptr<core::SignInThrottle>& throttle) {
  r.put("/portal/v1/password", auth.portal_session_request(p, [&p, throttle](const Request& req,
                                                                             const core::PortalContext& ctx,
                                                                             std::string_view token) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
    DUET_ASSIGN_OR_RETURN(std::string current, req_string(body, "current_password"));
    DUET_ASSIGN_OR_RETURN(std::string next, req_string(body, "new_password"));
    DUET_ASSIGN_OR_RETURN(core::SignInThrottle::Slot slot, throttle->admit(req.remote_address, p.now()));
    DUET_TRY_STATUS(p.change_password(ctx, token, current, next));
    return Response::empty(204);
  }));
  r.get("/portal/v1/sessions", auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                                                   std::string_view token) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(auto list, p.sessions(ctx, token));
    json arr = json::array();
    for (const auto& s : list) arr.push_back(session_json(s));
    return json_response(200, json{{"sessions", std::move(arr)}});
  }));
  r.del("/portal/v1/sessions", auth.portal_session_request(p, [&p](const Request&, const core::PortalContext& ctx,
                                                                   std::string_view) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(int64_t n, p.sign_out_everywhere(ctx));
    Response resp = json_response(200, json{{"revoked", n}});
    resp.headers.set("Set-Cookie", std::string(kPortalSessionCookie) + "=" + std::string(kClearedCookie));
    return resp;
  }));
  r.del("/portal/v1/sessions/{session_id}",
        auth.portal_session_request(p, [&p](const Request& req, const core::PortalContext& ctx,
                                            std::string_view) -> Result<Response> {
          DUET_TRY_STATUS(p.revoke_session(ctx, req.param("session_id")));
          return Response::empty(204);
        }));
}

void tenant_admin_routes(http::Router& r, core::PortalService& p, RequestAuth& auth,
                         const std::shared_ptr<core::SignInThrottle>& throttle) {
  for (bool disable : {true, false}) {
    r.post(disable ? "/portal/v1/users/{user_id}/disable" : "/portal/v1/users/{user_id}/enable",
           auth.portal_session_request(p, [&p, disable](const Request& req, const core::PortalContext& ctx,
                                                        std::string_view) -> Result<Response> {
             DUET_TRY_STATUS(p.set_user_disabled(ctx, std::string(req.param("user_id")), disable));
             return Response::empty(204);
           }));
  }
  r.post("/portal/v1/users/{user_id}/password-reset",
         auth.portal_session_request(p, [&p](const Request& req, const core::PortalContext& ctx,
                                             std::string_view) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(auto t, p.issue_password_reset(ctx, std::string(req.param("user_id"))));
           return json_response(201, reset_json(t));
         }));
  // The reset itself: no session (the person has forgotten the password).
  r.post("/portal/v1/password-reset",
         auth.unauthenticated_portal_request([&p, throttle](const Request& req,
                                                            const store::WriteContext& w) -> Result<Response> {
           DUET_TRY_STATUS(require_json(req));
           DUET_ASSIGN_OR_RETURN(core::SignInThrottle::Slot slot, throttle->admit(req.remote_address, p.now()));
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::string token, req_string(body, "reset_token"));
           DUET_ASSIGN_OR_RETURN(std::string next, req_string(body, "new_password"));
           DUET_TRY_STATUS(p.reset_password(w, token, next));
           return Response::empty(204);
         }));
}

void operator_routes(http::Router& r, core::PortalService& p, RequestAuth& auth) {
  for (bool disable : {true, false}) {
    r.post(disable ? "/admin/v1/tenants/{tenant_id}/portal-users/{user_id}/disable"
                   : "/admin/v1/tenants/{tenant_id}/portal-users/{user_id}/enable",
           auth.operator_request(
               [&p, disable](const Request& req, const core::OperatorContext& op) -> Result<Response> {
                 DUET_TRY_STATUS(p.set_user_disabled(op, std::string(req.param("tenant_id")),
                                                     std::string(req.param("user_id")), disable));
                 return Response::empty(204);
               },
               {core::kRoleOperator}));
  }
  r.post("/admin/v1/tenants/{tenant_id}/portal-users/{user_id}/password-reset",
         auth.operator_request(
             [&p](const Request& req, const core::OperatorContext& op) -> Result<Response> {
               DUET_ASSIGN_OR_RETURN(auto t, p.issue_password_reset(op, std::string(req.param("tenant_id")),
                                                                    std::string(req.param("user_id"))));
               return json_response(201, reset_json(t));
             },
             {core::kRoleOperator}));
}

}  // namespace

void register_portal_account_routes(http::Router& r, core::PortalService& portal, RequestAuth& auth,
                                    std::shared_ptr<core::SignInThrottle> throttle) {
  self_routes(r, portal, auth, throttle);
  tenant_admin_routes(r, portal, auth, throttle);
  operator_routes(r, portal, auth);
}

}  // namespace duet::server
