#include "server/request_auth.h"

#include <ctime>

#include <nlohmann/json.hpp>
#include <new>
#include <utility>

#include "server/audit_recorder.h"
#include "server/audit_views.h"
#include "server/log.h"
#include "server/public_errors.h"
#include "core/pdf_admission.h"
#include "core/signin_throttle.h"

namespace duet::server {

using http::Request;
using http::Response;

namespace {

// Store messages and anything else internal reach the client only as a
// fixed text per code (server/public_errors.h); the original goes to the log.
Response error_response(const Request& req, const Error& raw, bool bearer) {
  PublicError pub = public_error(raw);
  const Error& e = pub.error;
  Response r = http::error_response(e, req.request_id);
  if (r.status >= 500 || pub.replaced) {
    // Core and store messages never carry secrets or personal data.
    log_event(r.status >= 500 ? "error" : "warn", "request_failed",
              {{"request_id", req.request_id}, {"route", req.route}, {"code", std::string(error_code_name(e.code))},
               {"message", raw.message}});
  }
  if (r.status == 401 && bearer) r.headers.set("WWW-Authenticate", "Bearer");
  // A sign-in window per address (core/signin_throttle.h): until the minute ends.
  if (raw.code == ErrorCode::kRateLimited)
    r.headers.set("Retry-After", std::to_string(core::SignInThrottle::retry_after(std::time(nullptr))));
  // pdf.max_in_flight (or the tenant's share of it) taken: worth retrying in a
  // moment (docs/pdf.md).
  if (core::is_pdf_busy(raw) || core::is_signin_busy(raw)) r.headers.set("Retry-After", "1");
  return r;
}

// The handler's answer and the audit outcome it means ("ok" or an error code name).
template <typename Call>
std::pair<Response, std::string> answer_of(const Request& req, bool bearer, Call&& call) {
  try {
    Result<Response> r = call();
    if (r.ok()) return {std::move(r).value(), "ok"};
    return {error_response(req, r.error(), bearer), std::string(error_code_name(r.code()))};
  } catch (const nlohmann::json::exception&) {
    return {error_response(req, Error{ErrorCode::kInvalidArgument, "a field has the wrong type"}, bearer),
            "invalid_argument"};
  } catch (const std::bad_alloc&) {
    return {error_response(req, Error{ErrorCode::kUnavailable, "out of memory"}, bearer), "unavailable"};
  }
}

Result<std::string_view> bearer_token(const Request& req) {
  auto h = req.header("Authorization");
  if (!h) return make_error(ErrorCode::kUnauthenticated, "missing Authorization: Bearer token");
  std::string_view v = *h;
  if (v.size() < 7 || !http::iequals(v.substr(0, 7), "Bearer "))
    return make_error(ErrorCode::kUnauthenticated, "Authorization must be a Bearer token");
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return make_error(ErrorCode::kUnauthenticated, "empty Bearer token");
  return v;
}

std::string header_or_empty(const Request& req, std::string_view name) {
  auto h = req.header(name);
  return h ? std::string(*h) : std::string();
}

core::SignedRequest signed_request_of(const Request& req) {
  core::SignedRequest sr;
  sr.method = req.method;
  sr.path = req.path;    // raw, as received
  sr.query = req.query;  // raw, as received
  sr.app_id = header_or_empty(req, "X-Duet-App-Id");
  sr.timestamp = header_or_empty(req, "X-Duet-Timestamp");
  sr.nonce = header_or_empty(req, "X-Duet-Nonce");
  sr.signature = header_or_empty(req, "X-Duet-Signature");
  sr.signature_version = header_or_empty(req, core::kSignatureVersionHeader);
  sr.idempotency_key = header_or_empty(req, "Idempotency-Key");  // what v2 signs
  sr.body = req.body;
  return sr;
}

// Every Holder API answer, errors included, says Cache-Control: no-store.
http::Handler no_store(http::Handler h) {
  return [h = std::move(h)](const Request& req) -> Response {
    Response resp = h(req);
    resp.headers.set("Cache-Control", "no-store");
    return resp;
  };
}

}  // namespace

RequestAuth::RequestAuth(core::CoreDeps deps, core::AdminService& admin, core::HolderService& holders,
                         AuditRecorder& recorder, core::RateLimiter* limiter)
    : deps_(deps), admin_(admin), holders_(holders), recorder_(recorder), limiter_(limiter) {}

http::Handler RequestAuth::audited(AuditedHandler handler, bool bearer) {
  return [this, handler = std::move(handler), bearer](const Request& req) -> Response {
    store::PendingAuditEvent pending{request_audit_event(req, deps_.clock.now())};
    ServedRequest served{pending};
    auto [resp, outcome] = answer_of(req, bearer, [&] { return handler(req, served); });
    if (outcome == "ok" && resp.status >= 400) outcome = "http_" + std::to_string(resp.status);
    // Availability per tenant (sla): the tenant a production app or holder
    // request was served for; sandbox traffic counts for no tenant.
    if ((pending.event.actor_type == "app" || pending.event.actor_type == "holder") && !served.sandbox) {
      resp.tenant_id = pending.event.tenant_id;
    }
    if (pending.appended == 0 || outcome != "ok") recorder_.enqueue(final_audit_event(std::move(pending), outcome));
    return std::move(resp);
  };
}

Result<Response> RequestAuth::run_business_handler(const Request& req, ServedRequest& served,
                                                   const BusinessHandler& handler, NonceAt nonce_at) {
  store::PendingAuditEvent& pending = served.pending;
  core::SignedRequest sr = signed_request_of(req);
  pending.event.actor_id = sr.app_id.substr(0, 64);  // as claimed, until authenticated
  // The nonce commits with the request's first write, or on its own before
  // the answer, whatever the outcome (store/write_context.h).
  store::PendingNonce nonce;
  auto answer = [&](Result<Response> r) -> Result<Response> {
    Status recorded = core::record_deferred_nonce(deps_, nonce);
    if (!recorded.ok()) return Unexpected{recorded.error()};
    return r;
  };
  auto authenticated =
      core::authenticate_business_request(deps_, sr, nonce_at == NonceAt::kWithFirstWrite ? &nonce : nullptr);
  if (!authenticated.ok()) return answer(Unexpected{authenticated.error()});
  core::AppContext ctx = *authenticated;
  served.sandbox = ctx.environment == store::AppEnvironment::kSandbox;
  pending.event.actor_type = "app";
  pending.event.actor_id = ctx.app_id;
  pending.event.tenant_id = ctx.tenant_id;
  if (limiter_ != nullptr) {  // sandbox per app, production per tenant (core/rate_limit.h)
    core::RateDecision d = limiter_->check(ctx);
    if (!d.allowed) return answer(rate_limited_response(req, d));
  }
  Result<Response> r = make_error(ErrorCode::kInternal, "no answer");
  try {
    ctx.write = store::WriteContext{&pending, &nonce};
    r = handler(req, ctx);
  } catch (...) {
    (void)core::record_deferred_nonce(deps_, nonce);
    throw;
  }
  return answer(std::move(r));
}

http::Handler RequestAuth::signed_business_request(BusinessHandler handler, NonceAt nonce_at) {
  return audited(
      [this, handler = std::move(handler), nonce_at](const Request& req, ServedRequest& served) -> Result<Response> {
        return run_business_handler(req, served, handler, nonce_at);
      },
      false);
}

http::Handler RequestAuth::device_token_request(DeviceHandler handler) {
  return no_store(audited(
      [this, handler = std::move(handler)](const Request& req, ServedRequest& served) -> Result<Response> {
        store::PendingAuditEvent& pending = served.pending;
        DUET_ASSIGN_OR_RETURN(std::string_view token, bearer_token(req));
        DUET_ASSIGN_OR_RETURN(core::HolderContext ctx, holders_.authenticate_device(token));
        served.sandbox = ctx.environment == store::AppEnvironment::kSandbox;
        pending.event.actor_type = "holder";
        pending.event.actor_id = ctx.holder_id;
        pending.event.tenant_id = ctx.tenant_id;
        ctx.write = store::WriteContext{&pending, nullptr};
        return handler(req, ctx);
      },
      true));
}

http::Handler RequestAuth::unauthenticated_holder_request(UnauthenticatedHandler handler) {
  return no_store(audited(
      [handler = std::move(handler)](const Request& req, ServedRequest& served) -> Result<Response> {
        return handler(req, store::WriteContext{&served.pending, nullptr});
      },
      false));
}

std::string_view request_cookie(const Request& req, std::string_view name) {
  for (const auto& f : req.headers.fields()) {
    if (!http::iequals(f.first, "Cookie")) continue;
    std::string_view v = f.second;
    while (!v.empty()) {
      size_t semi = v.find(';');
      std::string_view pair = v.substr(0, semi);
      v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return {};
}

http::Handler RequestAuth::portal_session_request(core::PortalService& portal, PortalHandler handler) {
  return no_store(audited(
      [&portal, handler = std::move(handler)](const Request& req, ServedRequest& served) -> Result<Response> {
        store::PendingAuditEvent& pending = served.pending;
        std::string_view token = request_cookie(req, kPortalSessionCookie);
        DUET_ASSIGN_OR_RETURN(core::PortalContext ctx, portal.authenticate(token));
        pending.event.actor_type = "portal_user";
        pending.event.actor_id = ctx.user_id;
        pending.event.tenant_id = ctx.tenant_id;
        if (req.method != "GET" && req.method != "HEAD" &&
            !portal.csrf_matches(token, req.header("X-CSRF-Token").value_or(""))) {
          return make_error(ErrorCode::kForbidden, "missing or wrong X-CSRF-Token");
        }
        ctx.write = store::WriteContext{&pending, nullptr};
        return handler(req, ctx, token);
      },
      false));
}

http::Handler RequestAuth::unauthenticated_portal_request(UnauthenticatedHandler handler) {
  return unauthenticated_holder_request(std::move(handler));
}

http::Handler RequestAuth::operator_request(OperatorHandler handler, std::initializer_list<std::string_view> roles) {
  std::vector<std::string> allowed(roles.begin(), roles.end());
  return audited(
      [this, handler = std::move(handler), allowed = std::move(allowed)](
          const Request& req, ServedRequest& served) -> Result<Response> {
        store::PendingAuditEvent& pending = served.pending;
        DUET_ASSIGN_OR_RETURN(std::string_view token, bearer_token(req));
        DUET_ASSIGN_OR_RETURN(core::OperatorContext op, admin_.authenticate_operator(token));
        pending.event.actor_type = "operator";
        pending.event.actor_id = op.name;
        pending.event.tenant_id = std::string(req.param("tenant_id"));
        DUET_TRY_STATUS(core::require_role(op, allowed));
        op.write = store::WriteContext{&pending, nullptr};
        return handler(req, op);
      },
      true);
}

http::Handler RequestAuth::public_request(PlainHandler handler) {
  return [handler = std::move(handler)](const Request& req) -> Response {
    return answer_of(req, false, [&] { return handler(req); }).first;
  };
}

Response rate_limited_response(const Request& req, const core::RateDecision& d) {
  Response r = http::json_error(429, "rate_limited", "too many requests; retry after the Retry-After seconds",
                                req.request_id);
  r.headers.set("Retry-After", std::to_string(d.retry_after_seconds > 0 ? d.retry_after_seconds : 1));
  return r;
}

}  // namespace duet::server
