// The wrappers every route of the three APIs goes through: who is calling
// (authentication), whether they may (roles, rate limits, the request
// nonce), the audit event of the request, and the §6 error model of the
// answer. A route states one wrapper and is otherwise only its handler.
//
// Common contract of every wrapper:
//  - The handler's error (a Result error, a json::exception as 400
//    invalid_argument, std::bad_alloc as 503) becomes the public error answer
//    (server/public_errors.h: store and internal messages are replaced by a
//    fixed text and go to the log); handlers never need to catch.
//  - Audited wrappers (all but public_request) make every request an audit
//    event (docs/audit.md, server/audit_views.h): the actor is filled once
//    authenticated, and the event (with the Business API request's nonce)
//    travels to the handler as the context's store::WriteContext
//    (AppContext/HolderContext/OperatorContext::write, or the argument of an
//    unauthenticated holder handler), which the services hand to every store
//    write they make, so each write transaction carries it (fail-closed).
//    After the handler, the event is queued on the AuditRecorder when no
//    write carried it or the outcome is not "ok".
//  - The returned http::Handler captures this object: it must outlive every
//    router the handlers are registered on.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "core/admin_service.h"
#include "core/business_auth.h"
#include "core/core_deps.h"
#include "core/holder_service.h"
#include "core/operator_roles.h"
#include "core/portal_service.h"
#include "core/rate_limit.h"
#include "core/request_signing.h"
#include "http/http.h"
#include "http/router.h"
#include "store/write_context.h"

namespace duet::server {

class AuditRecorder;

// A handler once the wrapper has authenticated the caller.
using BusinessHandler = std::function<Result<http::Response>(const http::Request&, const core::AppContext&)>;
using DeviceHandler = std::function<Result<http::Response>(const http::Request&, const core::HolderContext&)>;
using OperatorHandler = std::function<Result<http::Response>(const http::Request&, const core::OperatorContext&)>;
using PlainHandler = std::function<Result<http::Response>(const http::Request&)>;
// A portal handler gets the signed-in user and the session token (sign-out
// revokes it).
using PortalHandler =
    std::function<Result<http::Response>(const http::Request&, const core::PortalContext&, std::string_view token)>;
// An audited handler without authentication: `write` carries the request's
// audit event into its store writes.
using UnauthenticatedHandler =
    std::function<Result<http::Response>(const http::Request&, const store::WriteContext& write)>;

// When a Business API request's nonce is recorded.
//  kUpFront: during authentication, before the handler runs (a replay does
//    nothing at all). The default.
//  kWithFirstWrite: in the handler's first write transaction, or on its own
//    before the answer (store/write_context.h); one write fewer. Only for
//    routes whose handler has no effect outside the store before its first
//    write (a replay then fails in that transaction, changing nothing): not
//    for routes that call an identity source or an SMS gateway first.
enum class NonceAt { kUpFront, kWithFirstWrite };

// The roles an Admin API route admits by default: every role but the auditor,
// who only reads the audit log (docs/operations-roles.md).
inline constexpr std::initializer_list<std::string_view> kOperatorRoles = {core::kRoleOperator,
                                                                         core::kRoleSecurityOfficer};

class RequestAuth {
 public:
  // `deps`' references, the services and `recorder` must outlive this object.
  // `limiter` may be null (no Business API rate limits).
  RequestAuth(core::CoreDeps deps, core::AdminService& admin, core::HolderService& holders, AuditRecorder& recorder,
              core::RateLimiter* limiter);
  RequestAuth(const RequestAuth&) = delete;
  RequestAuth& operator=(const RequestAuth&) = delete;

  // Business API (/api/v1): the request signature of core/business_auth.h
  // over the method, the raw path and raw query as received, the X-Duet-*
  // headers, Idempotency-Key and the body; then the nonce (see NonceAt) and
  // the rate limit (429 rate_limited with Retry-After: sandbox per app,
  // production per tenant). Actor "app", tenant the app's. A refused
  // signature is 401 without WWW-Authenticate. The nonce is recorded whatever
  // the handler's outcome, so a request whose signature verified is never
  // replayable.
  http::Handler signed_business_request(BusinessHandler handler, NonceAt nonce_at = NonceAt::kUpFront);

  // Holder API (/app/v1) with "Authorization: Bearer <device token>"
  // (core::HolderService::authenticate_device). Actor "holder". Every answer,
  // errors included, says Cache-Control: no-store: protocol values must never
  // sit in a cache (docs/protocol.md §8). A 401 says WWW-Authenticate: Bearer.
  http::Handler device_token_request(DeviceHandler handler);

  // Holder API route without a bearer token, because the body carries its
  // own credential (POST /app/v1/activations: the activation code, checked by
  // the handler's service call). Audited with the anonymous actor;
  // Cache-Control: no-store like every Holder API answer.
  http::Handler unauthenticated_holder_request(UnauthenticatedHandler handler);

  // Admin API (/admin/v1) with "Authorization: Bearer <operator token>"
  // (core::AdminService::authenticate_operator), admitted only for `roles`
  // (core/operator_roles.h; a route restricted further may also call
  // core::require_role inside). Actor "operator" (the token's name), tenant
  // the route's {tenant_id} if any. A 401 says WWW-Authenticate: Bearer.
  http::Handler operator_request(OperatorHandler handler,
                                 std::initializer_list<std::string_view> roles = kOperatorRoles);

  // Tenant portal (/portal/v1, docs/portal.md) with the session cookie
  // kPortalSessionCookie (core::PortalService::authenticate). Every request
  // but GET/HEAD must carry the session's CSRF token in X-CSRF-Token (403
  // forbidden without it: a cross-site form cannot read or derive it).
  // Actor "portal_user" (the user id), tenant the user's. Cache-Control:
  // no-store. A 401 has no WWW-Authenticate (the page signs in again).
  http::Handler portal_session_request(core::PortalService& portal, PortalHandler handler);
  // The portal's sign-in: audited with the anonymous actor, no-store.
  http::Handler unauthenticated_portal_request(UnauthenticatedHandler handler);

  // Public, unauthenticated and not audited (the PKI distribution points:
  // CA certificates, CRLs, OCSP): the error model only.
  static http::Handler public_request(PlainHandler handler);

 private:
  // What an audited request learns while it is served: its audit event, and
  // whether it is sandbox traffic (a sandbox credential, or a holder of the
  // sandbox), which the availability figures do not count (docs/sla.md).
  struct ServedRequest {
    store::PendingAuditEvent& pending;
    bool sandbox = false;
  };
  using AuditedHandler = std::function<Result<http::Response>(const http::Request&, ServedRequest&)>;
  http::Handler audited(AuditedHandler handler, bool bearer);
  Result<http::Response> run_business_handler(const http::Request& req, ServedRequest& served,
                                              const BusinessHandler& handler, NonceAt nonce_at);

  core::CoreDeps deps_;
  core::AdminService& admin_;
  core::HolderService& holders_;
  AuditRecorder& recorder_;
  core::RateLimiter* limiter_;
};

// The portal's session cookie: HttpOnly, Secure, SameSite=Strict, Path=/,
// no Domain — the __Host- prefix makes a browser insist on the last three.
inline constexpr std::string_view kPortalSessionCookie = "__Host-duet_portal";
// The value of cookie `name` in the request's Cookie headers, or "".
std::string_view request_cookie(const http::Request& req, std::string_view name);

// 429 rate_limited with Retry-After (seconds, at least 1).
http::Response rate_limited_response(const http::Request& req, const core::RateDecision& d);

}  // namespace duet::server
