#include "server/api_routes.h"

#include "base/json_limits.h"

#include <openssl/evp.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/audit_json.h"
#include "core/audit_service.h"
#include "core/business_auth.h"
#include "core/request_signing.h"
#include "core/operator_roles.h"
#include "core/verification.h"
#include "core/views.h"
#include "cosign/wire.h"
#include "http/http.h"
#include "qr/qr_code.h"
#include "server/audit_recorder.h"
#include "server/audit_views.h"
#include "server/log.h"
#include "server/metering_views.h"
#include "server/public_errors.h"
#include "server/sla_routes.h"
#include "store/audit_scope.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

// ---------------------------------------------------------------------------
// base64

std::string encode_base64(ByteView data) {
  if (data.empty()) return {};
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<Bytes> decode_base64(std::string_view text) {
  if (text.empty()) return Bytes{};
  if (text.size() % 4 != 0 || text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return std::nullopt;
  size_t pad = 0;
  if (text.back() == '=') pad = (text[text.size() - 2] == '=') ? 2 : 1;
  for (size_t i = 0; i < text.size() - pad; ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return std::nullopt;  // also '=' before the end, whitespace, '-', '_'
  }
  Bytes out(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  // Canonical form only (no stray bits in the last character).
  if (encode_base64(out) != text) return std::nullopt;
  return out;
}

namespace {

// ---------------------------------------------------------------------------
// JSON helpers

Response json_response(int status, const json& j) {
  return Response::json(status, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

Unexpected invalid(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

Result<json> parse_body(const Request& req, bool allow_empty) {
  if (req.body.empty()) {
    if (allow_empty) return json::object();
    return make_error(ErrorCode::kBadEncoding, "the request body must be a JSON object");
  }
  // Bounded nesting: handlers dump and copy bodies, which recurse per level
  // (base/json_limits.h; a 100,000-deep body overflowed the stack).
  json j = parse_json_bounded(req.body);
  if (j.is_discarded()) return make_error(ErrorCode::kBadEncoding, "the request body is not valid JSON (or nested too deeply)");
  if (!j.is_object()) return invalid("the request body must be a JSON object");
  return j;
}

std::string field_name(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

Result<std::optional<std::string>> opt_string(const json& obj, std::string_view key, std::string_view prefix = {}) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return invalid("field '" + field_name(prefix, key) + "' must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> req_string(const json& obj, std::string_view key, std::string_view prefix = {}) {
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> v, opt_string(obj, key, prefix));
  if (!v) return invalid("field '" + field_name(prefix, key) + "' is required");
  return std::move(*v);
}

Result<std::optional<int64_t>> opt_int(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return invalid("field '" + std::string(key) + "' must be an integer");
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return invalid("field '" + std::string(key) + "' is out of range");
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<int64_t> req_int(const json& obj, std::string_view key) {
  DUET_ASSIGN_OR_RETURN(std::optional<int64_t> v, opt_int(obj, key));
  if (!v) return invalid("field '" + std::string(key) + "' is required");
  return *v;
}

Result<const json*> req_array(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return invalid("field '" + std::string(key) + "' is required");
  if (!it->is_array()) return invalid("field '" + std::string(key) + "' must be an array");
  return &*it;
}

Result<const json*> req_object(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return invalid("field '" + std::string(key) + "' is required");
  if (!it->is_object()) return invalid("field '" + std::string(key) + "' must be an object");
  return &*it;
}

// Protocol messages go through cosign's strict wire parsers; their errors
// (bad_encoding, bad_point, bad_scalar) name the field here.
template <typename T>
Result<T> parse_wire(const json& j, Result<T> (*parse)(std::string_view), const std::string& what) {
  if (!j.is_object()) return invalid("'" + what + "' must be an object");
  auto r = parse(j.dump());
  if (!r.ok()) return make_error(r.code(), what + ": " + r.error().message);
  return r;
}

json wire_json(const std::string& text) { return json::parse(text); }  // our own encoder's output

Result<size_t> parse_limit(const Request& req, size_t def) {
  auto v = req.query_param("limit");
  if (!v) return def;
  if (v->empty() || v->size() > 4) return invalid("limit must be an integer from 1 to 200");
  size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return invalid("limit must be an integer from 1 to 200");
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n < 1 || n > 200) return invalid("limit must be an integer from 1 to 200");
  return n;
}

// ---------------------------------------------------------------------------
// Views

json nullable(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json tenant_json(const store::Tenant& t) {
  return json{{"tenant_id", t.tenant_id},
              {"name", t.name},
              {"production_active_from", t.production_active_from ? json(*t.production_active_from) : json(nullptr)},
              {"suspended", t.suspended},
              {"created_at", t.created_at},
              {"signature_v1_cutoff", t.signature_v1_cutoff ? json(*t.signature_v1_cutoff) : json(nullptr)}};
}

json credential_json(const core::IssuedCredential& c) {
  return json{{"app_id", c.app_id}, {"secret", c.secret}, {"environment", core::environment_name(c.environment)}};
}

json holder_json(const core::HolderView& h) {
  return json{{"holder_id", h.holder_id},
              {"name", h.name_masked},
              {"id_type", h.id_type},
              {"id_number", h.id_number_masked},
              {"phone", h.phone_masked},
              {"status", core::holder_status_name(h.status)},
              {"attempts_left", h.attempts_left},
              {"refresh_required", h.refresh_required},
              {"public_key", nullable(h.public_key_hex)},
              {"key_id", nullable(h.key_id)},
              {"created_at", h.created_at},
              {"identity_verification", h.identity_verification.empty() ? json(nullptr) : json(h.identity_verification)},
              {"identity_verified_by", h.identity_verified_by.empty() ? json(nullptr) : json(h.identity_verified_by)},
              {"identity_verified_at", h.identity_verified_at == 0 ? json(nullptr) : json(h.identity_verified_at)},
              {"identity_reference", h.identity_reference.empty() ? json(nullptr) : json(h.identity_reference)},
              {"identity_purged", h.identity_purged}};
}

json app_json(const store::App& a) {
  return json{{"app_id", a.app_id},
              {"environment", core::environment_name(a.environment)},
              {"created_at", a.created_at},
              {"identity_mode", a.identity_mode},
              {"sms_otp_required", a.sms_otp_required},
              {"cms_oid_style", a.cms_oid_style},
              {"pin_failure_budget", a.pin_failure_budget ? json(*a.pin_failure_budget) : json(nullptr)}};
}

json order_json(const store::SignOrder& o, const std::string& uri) {
  json items = json::array();
  for (const auto& it : o.items) {
    items.push_back(json{{"kind", it.input_is_digest ? "digest" : "data"},
                         {"size", it.input.size()},
                         {"signature", it.signature.empty() ? json(nullptr) : json(to_hex(it.signature))},
                         {"signature_base64", it.signature.empty() ? json(nullptr) : json(encode_base64(it.signature))}});
  }
  return json{{"order_id", o.order_id},
              {"holder_id", o.holder_id},
              {"app_id", o.app_id},
              {"title", o.title},
              {"display_text", o.display_text},
              {"output", core::output_format_name(o.output_format)},
              {"state", core::order_state_name(o.state)},
              {"items", std::move(items)},
              {"expires_at", o.expires_at},
              {"created_at", o.created_at},
              {"updated_at", o.updated_at},
              {"callback_url", o.callback_url},
              {"uri", uri}};
}

json holder_order_json(const core::OrderForHolder& h) {
  json items = json::array();
  for (size_t i = 0; i < h.order.items.size(); ++i) {
    json item{{"e", i < h.digests.size() ? to_hex(h.digests[i]) : std::string()}};
    if (!h.order.items[i].input_is_digest) item["data_base64"] = encode_base64(h.order.items[i].input);
    if (i < h.signed_attributes.size()) {
      // CMS: e covers these; the device checks messageDigest = SM3(data) in them.
      item["signed_attributes_base64"] = encode_base64(h.signed_attributes[i]);
    }
    items.push_back(std::move(item));
  }
  return json{{"order_id", h.order.order_id},
              {"kind", h.order.kind == store::OrderKind::kCsr ? "certificate_request" : "sign"},
              {"title", h.order.title},
              {"display_text", h.order.display_text},
              {"state", core::order_state_name(h.order.state)},
              {"output", core::output_format_name(h.order.output_format)},
              {"expires_at", h.order.expires_at},
              {"public_key", h.public_key_hex},
              {"items", std::move(items)}};
}

json certificate_json(const core::CertificateView& v) {
  const store::Certificate& c = v.record;
  return json{{"cert_id", c.cert_id},
              {"holder_id", c.holder_id},
              {"key_id", c.key_id},
              {"serial", c.serial_hex},
              {"issuer_id", c.issuer_id},
              {"status", c.revoked ? "revoked" : "good"},
              {"not_before", c.not_before},
              {"not_after", c.not_after},
              {"revoked_at", c.revoked_at ? json(*c.revoked_at) : json(nullptr)},
              {"revocation_reason",
               c.revoked ? json(std::string(core::revocation_reason_name(c.revocation_reason))) : json(nullptr)},
              {"created_at", c.created_at},
              {"certificate_pem", v.certificate_pem},
              {"chain_pem", v.chain_pem}};
}

// "<id>.<ext>" with one of `exts`: the id and the extension; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> split_file(std::string_view file,
                                                              std::initializer_list<std::string_view> exts) {
  auto dot = file.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string_view ext = file.substr(dot + 1);
  for (auto e : exts)
    if (ext == e) return std::pair{std::string(file.substr(0, dot)), std::string(ext)};
  return std::nullopt;
}

Response binary_response(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

json state_json(const store::SignOrder& o) {
  return json{{"order_id", o.order_id}, {"state", core::order_state_name(o.state)}};
}

// ---------------------------------------------------------------------------
// Handler plumbing

using Inner = std::function<Result<Response>(const Request&)>;

// Store messages and anything else internal reach the client only as a
// fixed text per code (server/public_errors.h); the original goes to the log.
Response error_for(const Request& req, const Error& raw, bool bearer) {
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
  return r;
}

http::Handler wrap(Inner fn, bool bearer) {
  return [fn = std::move(fn), bearer](const Request& req) -> Response {
    try {
      Result<Response> r = fn(req);
      if (r.ok()) return std::move(r).value();
      return error_for(req, r.error(), bearer);
    } catch (const json::exception&) {
      return error_for(req, Error{ErrorCode::kInvalidArgument, "a field has the wrong type"}, bearer);
    } catch (const std::bad_alloc&) {
      return error_for(req, Error{ErrorCode::kUnavailable, "out of memory"}, bearer);
    }
  };
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

struct CounterSpec {
  const char* name;
  const char* help;
  std::atomic<uint64_t> core::CoreMetrics::*field;
};

constexpr CounterSpec kCoreCounters[] = {
    {"duet_cosignatures_total", "Items signed by the two-party protocol.", &core::CoreMetrics::cosignatures},
    {"duet_sign_attempts_total", "Signing attempts counted against holders (step-2 answers).",
     &core::CoreMetrics::sign_attempts},
    {"duet_failed_signatures_total", "Final signatures that did not verify (e.g. wrong PIN).",
     &core::CoreMetrics::failed_signatures},
    {"duet_holder_locks_total", "Attempts that locked a holder's key.", &core::CoreMetrics::holder_locks},
    {"duet_enrollments_total", "Completed enrollments (activation codes redeemed).", &core::CoreMetrics::enrollments},
    {"duet_callbacks_delivered_total", "Webhook deliveries acknowledged with 2xx.",
     &core::CoreMetrics::callbacks_delivered},
    {"duet_callbacks_failed_total", "Webhook delivery attempts that failed.", &core::CoreMetrics::callbacks_failed},
    {"duet_orders_expired_total", "Orders moved to expired by the sweeper.", &core::CoreMetrics::orders_expired},
    {"duet_certificates_issued_total", "Holder certificates issued (certificate requests co-signed).",
     &core::CoreMetrics::certificates_issued},
    {"duet_certificates_revoked_total", "Holder certificates revoked.", &core::CoreMetrics::certificates_revoked},
};

}  // namespace

// ---------------------------------------------------------------------------

struct ApiRoutes::Impl {
  core::CoreDeps deps;
  std::shared_ptr<http::MetricsRegistry> metrics;
  core::AdminService admin;
  core::BusinessService business;
  core::CertificateService* certs;
  core::HolderService holders;

  std::mutex export_mu;

  Impl(core::CoreDeps d, std::shared_ptr<http::MetricsRegistry> m, core::CertificateService* cs)
      : deps(d), metrics(std::move(m)), admin(d), business(d), certs(cs), holders(d, cs) {
    if (!metrics) metrics = std::make_shared<http::MetricsRegistry>();
    for (const auto& c : kCoreCounters) metrics->declare(c.name, http::MetricsRegistry::Type::kCounter, c.help);
  }

  void export_core_metrics() {
    std::lock_guard<std::mutex> lock(export_mu);
    for (const auto& c : kCoreCounters) {
      http::Counter& counter = metrics->counter(c.name);
      double v = static_cast<double>((deps.metrics.*(c.field)).load());
      if (v > counter.value()) counter.inc(v - counter.value());
    }
  }


  // --- authentication wrappers ---

  using BizFn = std::function<Result<Response>(const Request&, const core::AppContext&)>;
  using HolderFn = std::function<Result<Response>(const Request&, const core::HolderContext&)>;
  using AdminFn = std::function<Result<Response>(const Request&, const core::OperatorContext&)>;

  // --- audit (issue 5 §4, docs/audit.md): every request of the three APIs is
  // an event. The wrappers below fill the actor once authenticated and bind
  // the event around the handler (store::ScopedAuditEvent), so every write
  // transaction it makes carries the event (fail-closed); audited() queues
  // it afterwards when no write carried it or the outcome differs.
  core::AuditService audit{deps};
  AuditRecorder recorder{deps.store};

  using AuditedFn = std::function<Result<Response>(const Request&, store::PendingAuditEvent&)>;
  http::Handler audited(AuditedFn fn, bool bearer) {
    return [this, fn = std::move(fn), bearer](const Request& req) -> Response {
      store::PendingAuditEvent pending{request_audit_event(req, deps.clock.now())};
      std::string outcome = "ok";
      Response resp;
      try {
        Result<Response> r = fn(req, pending);
        if (r.ok()) {
          resp = std::move(r).value();
        } else {
          outcome = std::string(error_code_name(r.code()));
          resp = error_for(req, r.error(), bearer);
        }
      } catch (const json::exception&) {
        outcome = "invalid_argument";
        resp = error_for(req, Error{ErrorCode::kInvalidArgument, "a field has the wrong type"}, bearer);
      } catch (const std::bad_alloc&) {
        outcome = "unavailable";
        resp = error_for(req, Error{ErrorCode::kUnavailable, "out of memory"}, bearer);
      }
      if (outcome == "ok" && resp.status >= 400) outcome = "http_" + std::to_string(resp.status);
      // Availability per tenant (sla): the tenant an app or holder request was served for.
      if (pending.event.actor_type == "app" || pending.event.actor_type == "holder") resp.tenant_id = pending.event.tenant_id;
      if (pending.appended == 0 || outcome != "ok") recorder.enqueue(final_audit_event(std::move(pending), outcome));
      return resp;
    };
  }

  // When a Business API request's nonce is recorded. kUpFront: during
  // authentication, before the handler runs (a replay does nothing at all).
  // kWithFirstWrite: in the handler's first write transaction, or on its
  // own before the answer (store/nonce_scope.h); one write fewer, for
  // routes whose handler has no effect outside the store before its first
  // write (a replay then fails in that transaction, changing nothing). Not
  // for routes that call an identity source or an SMS gateway first.
  enum class NonceAt { kUpFront, kWithFirstWrite };

  http::Handler biz(BizFn fn, NonceAt nonce_at = NonceAt::kUpFront) {
    return audited(
        [this, fn = std::move(fn), nonce_at](const Request& req, store::PendingAuditEvent& pending) -> Result<Response> {
          core::SignedRequest sr;
          sr.method = req.method;
          sr.path = req.path;    // raw, as received
          sr.query = req.query;  // raw, as received
          sr.app_id = header_or_empty(req, "X-Duet-App-Id");
          sr.timestamp = header_or_empty(req, "X-Duet-Timestamp");
          sr.nonce = header_or_empty(req, "X-Duet-Nonce");
          sr.signature = header_or_empty(req, "X-Duet-Signature");
          sr.signature_version = header_or_empty(req, core::kSignatureVersionHeader);
          sr.idempotency_key = header_or_empty(req, "Idempotency-Key");  // what v2 signs, and parse_order reads
          sr.body = req.body;
          pending.event.actor_id = sr.app_id.substr(0, 64);  // as claimed, until authenticated
          // The nonce commits with the request's first write, or on its own
          // before the answer, whatever the outcome (store/nonce_scope.h).
          store::PendingNonce nonce;
          auto answer = [&](Result<Response> r) -> Result<Response> {
            Status recorded = core::record_deferred_nonce(deps, nonce);
            if (!recorded.ok()) return Unexpected{recorded.error()};
            return r;
          };
          auto authenticated =
              core::authenticate_business_request(deps, sr, nonce_at == NonceAt::kWithFirstWrite ? &nonce : nullptr);
          if (!authenticated.ok()) return answer(Unexpected{authenticated.error()});
          const core::AppContext& ctx = *authenticated;
          pending.event.actor_type = "app";
          pending.event.actor_id = ctx.app_id;
          pending.event.tenant_id = ctx.tenant_id;
          if (limiter != nullptr) {  // sandbox per app, production per tenant (core/rate_limit.h)
            core::RateDecision d = limiter->check(ctx);
            if (!d.allowed) return answer(rate_limited_response(req, d));
          }
          Result<Response> r = make_error(ErrorCode::kInternal, "no answer");
          try {
            store::ScopedAuditEvent bind(pending);
            store::ScopedRequestNonce bind_nonce(nonce);
            r = fn(req, ctx);
          } catch (...) {
            (void)core::record_deferred_nonce(deps, nonce);
            throw;
          }
          return answer(std::move(r));
        },
        false);
  }

  // Every Holder API answer, errors included, says Cache-Control: no-store:
  // protocol values (with the phone's state, almost any of them tests PINs
  // offline — docs/protocol.md §8) must never sit in a cache.
  static http::Handler no_store(http::Handler h) {
    return [h = std::move(h)](const Request& req) -> Response {
      Response resp = h(req);
      resp.headers.set("Cache-Control", "no-store");
      return resp;
    };
  }

  http::Handler device(HolderFn fn) {
    return no_store(audited(
        [this, fn = std::move(fn)](const Request& req, store::PendingAuditEvent& pending) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(std::string_view token, bearer_token(req));
          DUET_ASSIGN_OR_RETURN(core::HolderContext ctx, holders.authenticate_device(token));
          pending.event.actor_type = "holder";
          pending.event.actor_id = ctx.holder_id;
          pending.event.tenant_id = ctx.tenant_id;
          store::ScopedAuditEvent bind(pending);
          return fn(req, ctx);
        },
        true));
  }

  // A Holder API route whose request carries its own credential (the
  // activation code): audited with an anonymous actor.
  http::Handler holder_open(Inner fn) {
    return no_store(audited(
        [fn = std::move(fn)](const Request& req, store::PendingAuditEvent& pending) -> Result<Response> {
          store::ScopedAuditEvent bind(pending);
          return fn(req);
        },
        false));
  }

  // Admin routes state the roles allowed (core/operator_roles.h;
  // docs/operations-roles.md). The default admits every role but the
  // auditor, who only reads the audit log: a route restricted further says
  // so here or checks core::require_role inside.
  http::Handler operator_(AdminFn fn,
                          std::initializer_list<std::string_view> roles = {core::kRoleOperator,
                                                                           core::kRoleSecurityOfficer}) {
    std::vector<std::string> allowed(roles.begin(), roles.end());
    return audited(
        [this, fn = std::move(fn), allowed = std::move(allowed)](
            const Request& req, store::PendingAuditEvent& pending) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(std::string_view token, bearer_token(req));
          DUET_ASSIGN_OR_RETURN(core::OperatorContext op, admin.authenticate_operator(token));
          pending.event.actor_type = "operator";
          pending.event.actor_id = op.name;
          pending.event.tenant_id = std::string(req.param("tenant_id"));
          DUET_TRY_STATUS(core::require_role(op, allowed));
          store::ScopedAuditEvent bind(pending);
          return fn(req, op);
        },
        true);
  }

  Result<Response> order_response(int status, const core::AppContext&, const store::SignOrder& o) {
    return json_response(status, order_json(o, business.order_uri_for(o.order_id)));
  }

  // --- Admin API ---

  void admin_routes(http::Router& r) {
    // Tenants and apps: the operator role only (docs/operations-roles.md).
    auto op_only = [this](AdminFn fn) { return operator_(std::move(fn), {core::kRoleOperator}); };
    r.post("/admin/v1/tenants", op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
      DUET_ASSIGN_OR_RETURN(std::string name, req_string(body, "name"));
      DUET_ASSIGN_OR_RETURN(std::optional<int64_t> from, opt_int(body, "production_active_from"));
      DUET_ASSIGN_OR_RETURN(store::Tenant t, admin.create_tenant(op, name, from));
      return json_response(201, tenant_json(t));
    }));
    r.get("/admin/v1/tenants", op_only([this](const Request&, const core::OperatorContext& op) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(std::vector<store::Tenant> ts, admin.list_tenants(op));
      json arr = json::array();
      for (const auto& t : ts) arr.push_back(tenant_json(t));
      return json_response(200, json{{"tenants", std::move(arr)}});
    }));
    r.get("/admin/v1/tenants/{tenant_id}",
          op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
            DUET_ASSIGN_OR_RETURN(store::Tenant t, admin.get_tenant(op, std::string(req.param("tenant_id"))));
            return json_response(200, tenant_json(t));
          }));
    r.post("/admin/v1/tenants/{tenant_id}/activation",
           op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             DUET_ASSIGN_OR_RETURN(int64_t from, req_int(body, "production_active_from"));
             DUET_ASSIGN_OR_RETURN(store::Tenant t,
                                   admin.set_production_active_from(op, std::string(req.param("tenant_id")), from));
             return json_response(200, tenant_json(t));
           }));
    // Request-signature v1 cut-off (core/business_auth.h), announced by a notice.
    r.post("/admin/v1/tenants/{tenant_id}/signature-v1-cutoff",
           op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             DUET_ASSIGN_OR_RETURN(int64_t at, req_int(body, "signature_v1_cutoff"));
             DUET_ASSIGN_OR_RETURN(store::Tenant t,
                                   admin.set_signature_v1_cutoff(op, std::string(req.param("tenant_id")), at));
             return json_response(200, tenant_json(t));
           }));
    for (bool suspend : {true, false}) {
      r.post(suspend ? "/admin/v1/tenants/{tenant_id}/suspend" : "/admin/v1/tenants/{tenant_id}/resume",
             op_only([this, suspend](const Request& req, const core::OperatorContext& op) -> Result<Response> {
               DUET_ASSIGN_OR_RETURN(store::Tenant t,
                                     admin.set_suspended(op, std::string(req.param("tenant_id")), suspend));
               return json_response(200, tenant_json(t));
             }));
    }
    r.post("/admin/v1/tenants/{tenant_id}/apps",
           op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::IssuedApp app, admin.create_app(op, std::string(req.param("tenant_id"))));
             return json_response(
                 201, json{{"sandbox", credential_json(app.sandbox)}, {"production", credential_json(app.production)}});
           }));
    r.get("/admin/v1/tenants/{tenant_id}/apps",
          op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
            std::string tenant_id(req.param("tenant_id"));
            // An unknown tenant is 404 (list_apps alone would answer an empty list).
            DUET_TRY_STATUS(admin.get_tenant(op, tenant_id));
            DUET_ASSIGN_OR_RETURN(std::vector<store::App> apps, admin.list_apps(op, tenant_id));
            json arr = json::array();
            for (const auto& a : apps) arr.push_back(app_json(a));
            return json_response(200, json{{"apps", std::move(arr)}});
          }));
    r.post("/admin/v1/tenants/{tenant_id}/apps/{app_id}/rotate-secret",
           op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::IssuedCredential c,
                                   admin.rotate_app_secret(op, std::string(req.param("tenant_id")),
                                                           std::string(req.param("app_id"))));
             return json_response(200, credential_json(c));
           }));
    r.post("/admin/v1/tenants/{tenant_id}/apps/{app_id}/settings",
           op_only([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
             std::string tenant_id(req.param("tenant_id")), app_id(req.param("app_id"));
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             // Absent fields keep their current value.
             DUET_ASSIGN_OR_RETURN(store::App cur, deps.store.get_app(tenant_id, app_id));
             DUET_ASSIGN_OR_RETURN(std::optional<std::string> mode, opt_string(body, "identity_mode"));
             DUET_ASSIGN_OR_RETURN(std::optional<std::string> style, opt_string(body, "cms_oid_style"));
             bool sms = cur.sms_otp_required;
             if (auto it = body.find("sms_otp_required"); it != body.end() && !it->is_null()) {
               if (!it->is_boolean()) return invalid("field 'sms_otp_required' must be a boolean");
               sms = it->get<bool>();
             }
             // pin_failure_budget: absent keeps it, null restores the default.
             auto budget_field = body.find("pin_failure_budget");
             std::optional<int> budget;
             if (budget_field != body.end() && !budget_field->is_null()) {
               if (!budget_field->is_number_integer()) return invalid("field 'pin_failure_budget' must be an integer");
               int64_t v = budget_field->get<int64_t>();
               budget = static_cast<int>(std::clamp<int64_t>(v, -1, 1'000'000));
             }
             // Everything is checked before anything is written.
             if (budget_field != body.end()) DUET_TRY_STATUS(admin.check_pin_failure_budget(budget));
             DUET_ASSIGN_OR_RETURN(store::App a,
                                   admin.update_app_settings(op, tenant_id, app_id, mode.value_or(cur.identity_mode),
                                                             sms, style.value_or(cur.cms_oid_style)));
             if (budget_field != body.end()) {
               DUET_ASSIGN_OR_RETURN(a, admin.set_app_pin_failure_budget(op, tenant_id, app_id, budget));
             }
             return json_response(200, app_json(a));
           }));
  }

  // --- Business API ---

  Result<core::NewOrderItem> parse_item(const json& obj, const std::string& prefix) {
    DUET_ASSIGN_OR_RETURN(std::optional<std::string> data, opt_string(obj, "data_base64", prefix));
    DUET_ASSIGN_OR_RETURN(std::optional<std::string> digest, opt_string(obj, "digest_hex", prefix));
    if (data.has_value() == digest.has_value())
      return invalid((prefix.empty() ? std::string("an order") : prefix) +
                     " needs exactly one of data_base64, digest_hex" + (prefix.empty() ? " or items" : ""));
    core::NewOrderItem item;
    if (data) {
      if (data->size() > 4 * ((deps.config.order_max_item_bytes + 2) / 3))
        return invalid(field_name(prefix, "data_base64") + " is larger than the item limit");
      auto bytes = decode_base64(*data);
      if (!bytes) return make_error(ErrorCode::kBadEncoding, field_name(prefix, "data_base64") + " is not valid base64");
      item.input = std::move(*bytes);
    } else {
      auto bytes = from_hex_exact(*digest, 32);
      if (!bytes.ok())
        return make_error(ErrorCode::kBadEncoding, field_name(prefix, "digest_hex") + " must be 64 hex characters");
      item.input = std::move(*bytes);
      item.is_digest = true;
    }
    return item;
  }

  Result<core::NewOrder> parse_order(const Request& req) {
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
    core::NewOrder o;
    DUET_ASSIGN_OR_RETURN(o.holder_id, req_string(body, "holder_id"));
    DUET_ASSIGN_OR_RETURN(o.title, req_string(body, "title"));
    DUET_ASSIGN_OR_RETURN(std::optional<std::string> display, opt_string(body, "display_text"));
    o.display_text = display.value_or("");
    DUET_ASSIGN_OR_RETURN(std::optional<std::string> output, opt_string(body, "output"));
    if (output) {
      auto f = core::output_format_from_name(*output);
      if (!f) return invalid("output must be raw, der, cms-detached or cms-attached");
      o.output = *f;
    }
    bool has_items = body.contains("items") && !body["items"].is_null();
    bool has_single = (body.contains("data_base64") && !body["data_base64"].is_null()) ||
                      (body.contains("digest_hex") && !body["digest_hex"].is_null());
    if (has_items == has_single) return invalid("an order needs exactly one of data_base64, digest_hex or items");
    if (has_items) {
      DUET_ASSIGN_OR_RETURN(const json* items, req_array(body, "items"));
      if (items->empty() || items->size() > deps.config.order_max_items)
        return invalid("items must hold 1 to " + std::to_string(deps.config.order_max_items) + " entries");
      for (size_t i = 0; i < items->size(); ++i) {
        std::string prefix = "items[" + std::to_string(i) + "]";
        if (!(*items)[i].is_object()) return invalid(prefix + " must be an object");
        DUET_ASSIGN_OR_RETURN(core::NewOrderItem item, parse_item((*items)[i], prefix));
        o.items.push_back(std::move(item));
      }
    } else {
      DUET_ASSIGN_OR_RETURN(core::NewOrderItem item, parse_item(body, ""));
      o.items.push_back(std::move(item));
    }
    DUET_ASSIGN_OR_RETURN(o.expires_in_seconds, opt_int(body, "expires_in"));
    DUET_ASSIGN_OR_RETURN(std::optional<std::string> cb, opt_string(body, "callback_url"));
    o.callback_url = cb.value_or("");
    o.idempotency_key = header_or_empty(req, "Idempotency-Key");
    return o;
  }

  void business_routes(http::Router& r) {
    r.post("/api/v1/holders", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
      core::NewHolder h;
      DUET_ASSIGN_OR_RETURN(h.name, req_string(body, "name"));
      DUET_ASSIGN_OR_RETURN(h.id_number, req_string(body, "id_number"));
      DUET_ASSIGN_OR_RETURN(h.phone, req_string(body, "phone"));
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> id_type, opt_string(body, "id_type"));
      if (id_type) h.id_type = *id_type;
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> iv, opt_string(body, "identity_verification"));
      if (iv) {
        if (*iv != "attested" && *iv != "identity_source")
          return invalid("identity_verification must be attested or identity_source");
        h.identity_verification = *iv;
      }
      DUET_ASSIGN_OR_RETURN(core::HolderView v, business.create_holder(ctx, h));
      return json_response(201, holder_json(v));
    }));
    r.get("/api/v1/holders", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(size_t limit, parse_limit(req, 50));
      DUET_ASSIGN_OR_RETURN(core::HolderPage page,
                            business.list_holders(ctx, req.query_param("cursor").value_or(""), limit));
      json arr = json::array();
      for (const auto& h : page.holders) arr.push_back(holder_json(h));
      return json_response(200, json{{"holders", std::move(arr)}, {"next_cursor", page.next_cursor}});
    }));
    r.get("/api/v1/holders/{holder_id}", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(core::HolderView v, business.get_holder(ctx, std::string(req.param("holder_id"))));
      return json_response(200, holder_json(v));
    }));
    r.post("/api/v1/holders/{holder_id}/lock",
           biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::HolderView v, business.lock_holder(ctx, std::string(req.param("holder_id"))));
             return json_response(200, holder_json(v));
           }));
    r.post("/api/v1/holders/{holder_id}/unlock",
           biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::HolderView v,
                                   business.unlock_holder(ctx, std::string(req.param("holder_id"))));
             return json_response(200, holder_json(v));
           }));
    r.post("/api/v1/holders/{holder_id}/activation-codes",
           biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::IssuedActivationCode c,
                                   business.create_activation_code(ctx, std::string(req.param("holder_id"))));
             Response resp = json_response(201, json{{"code_id", c.code_id},
                                                     {"holder_id", c.holder_id},
                                                     {"code", c.code},
                                                     {"expires_at", c.expires_at},
                                                     {"uri", c.uri},
                                                     {"qr_png_base64", encode_base64(c.qr_png)},
                                                     {"qr_svg", c.qr_svg},
                                                     {"otp_required", c.otp_required}});
             resp.headers.set("Cache-Control", "no-store");
             return resp;
           }));
    r.post("/api/v1/orders", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(core::NewOrder in, parse_order(req));
      bool replayed = false;
      DUET_ASSIGN_OR_RETURN(store::SignOrder o, business.create_order(ctx, in, &replayed));
      return order_response(replayed ? 200 : 201, ctx, o);
    }, NonceAt::kWithFirstWrite));
    r.get("/api/v1/orders", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      store::OrderFilter f;
      DUET_ASSIGN_OR_RETURN(f.limit, parse_limit(req, 50));
      if (auto h = req.query_param("holder_id"); h && !h->empty()) f.holder_id = *h;
      if (auto s = req.query_param("state"); s && !s->empty()) {
        auto st = core::order_state_from_name(*s);
        if (!st) return invalid("state must be one of pending, signing, signed, rejected, expired, cancelled, failed");
        f.state = *st;
      }
      f.cursor = req.query_param("cursor").value_or("");
      DUET_ASSIGN_OR_RETURN(store::OrderPage page, business.list_orders(ctx, f));
      json arr = json::array();
      for (const auto& o : page.orders) {
        arr.push_back(order_json(o, business.order_uri_for(o.order_id)));
      }
      return json_response(200, json{{"orders", std::move(arr)}, {"next_cursor", page.next_cursor}});
    }));
    r.get("/api/v1/orders/{order_id}", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(store::SignOrder o, business.get_order(ctx, std::string(req.param("order_id"))));
      return order_response(200, ctx, o);
    }));
    r.post("/api/v1/orders/{order_id}/cancel",
           biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(store::SignOrder o, business.cancel_order(ctx, std::string(req.param("order_id"))));
             return order_response(200, ctx, o);
           }));
    r.get("/api/v1/orders/{order_id}/qr", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      std::string format = req.query_param("format").value_or("png");
      if (format != "png" && format != "svg") return invalid("format must be png or svg");
      DUET_ASSIGN_OR_RETURN(std::string uri, business.order_uri(ctx, std::string(req.param("order_id"))));
      DUET_ASSIGN_OR_RETURN(qr::QrCode code, qr::encode_qr(uri));
      Response resp;
      resp.status = 200;
      if (format == "svg") {
        resp.body = qr::to_svg(code);
        resp.content_type = "image/svg+xml";
      } else {
        DUET_ASSIGN_OR_RETURN(Bytes png, qr::to_png(code));
        resp.body.assign(png.begin(), png.end());
        resp.content_type = "image/png";
      }
      return resp;
    }));
  }

  // --- Holder API ---

  void holder_routes(http::Router& r) {
    r.post("/app/v1/activations", holder_open(
                                      [this](const Request& req) -> Result<Response> {
                                        DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
                                        DUET_ASSIGN_OR_RETURN(std::string code, req_string(body, "code"));
                                        DUET_ASSIGN_OR_RETURN(const json* kg, req_object(body, "keygen"));
                                        DUET_ASSIGN_OR_RETURN(cosign::KeygenRequest kreq,
                                                              parse_wire(*kg, &cosign::parse_keygen_request, "keygen"));
                                        DUET_ASSIGN_OR_RETURN(std::optional<std::string> otp,
                                                              opt_string(body, "otp"));
                                        DUET_ASSIGN_OR_RETURN(core::Activation a,
                                                              holders.redeem_activation(code, kreq, otp.value_or("")));
                                        Response resp = json_response(
                                            201, json{{"holder_id", a.holder_id},
                                                      {"device_token", a.device_token},
                                                      {"keygen", wire_json(cosign::to_json(a.keygen_response))}});
                                        resp.headers.set("Cache-Control", "no-store");
                                        return resp;
                                      }));
    r.get("/app/v1/orders", device([this](const Request&, const core::HolderContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(std::vector<core::OrderForHolder> orders, holders.pending_orders(ctx, 100));
      json arr = json::array();
      for (const auto& o : orders) arr.push_back(holder_order_json(o));
      return json_response(200, json{{"orders", std::move(arr)}});
    }));
    r.get("/app/v1/orders/{order_id}", device([this](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(core::OrderForHolder o, holders.order_details(ctx, std::string(req.param("order_id"))));
      return json_response(200, holder_order_json(o));
    }));
    r.post("/app/v1/orders/{order_id}/sessions",
           device([this](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             DUET_ASSIGN_OR_RETURN(std::string session_id, req_string(body, "session_id"));
             // Protocol v2: the items and the session's PIN proof (a v1 body
             // without pin_proof is 426 client_upgrade_required).
             auto parsed = cosign::parse_sign_session_request(body.dump(), deps.config.order_max_items);
             if (!parsed.ok()) return Unexpected{parsed.error()};
             const cosign::SignSessionRequest& request = *parsed;
             DUET_ASSIGN_OR_RETURN(core::SignStart start, holders.start_signing(ctx, std::string(req.param("order_id")),
                                                                              session_id, request));
             json arr = json::array();
             for (const auto& resp : start.responses) arr.push_back(wire_json(cosign::to_json(resp)));
             return json_response(201, json{{"session_id", start.session_id},
                                            {"attempts_left", start.attempts_left},
                                            {"items", std::move(arr)}});
           }));
    r.post("/app/v1/orders/{order_id}/sessions/{session_id}/finish",
           device([this](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             DUET_ASSIGN_OR_RETURN(const json* items, req_array(body, "items"));
             if (items->size() > deps.config.order_max_items) return invalid("too many items");
             std::vector<cosign::SignFinish> finishes;
             for (size_t i = 0; i < items->size(); ++i) {
               DUET_ASSIGN_OR_RETURN(cosign::SignFinish f, parse_wire((*items)[i], &cosign::parse_sign_finish,
                                                                      "items[" + std::to_string(i) + "]"));
               finishes.push_back(std::move(f));
             }
             DUET_ASSIGN_OR_RETURN(store::SignOrder o,
                                   holders.finish_signing(ctx, std::string(req.param("order_id")),
                                                          std::string(req.param("session_id")), finishes));
             json out = state_json(o);
             if (o.kind == store::OrderKind::kCsr && certs != nullptr) {
               // Enrollment ends with a certificate: it comes with the finish answer.
               DUET_ASSIGN_OR_RETURN(core::CertificateView v,
                                     certs->certificate_for_key(ctx.tenant_id, ctx.holder_id, o.key_id));
               out["certificate"] = certificate_json(v);
               out["certificate_pem"] = v.certificate_pem;
               out["chain_pem"] = v.chain_pem;
             }
             return json_response(200, out);
           }));
    // Share refresh (docs/protocol.md §7): move the holder to a new phone while
    // the old one (and the PIN) is present.
    r.post("/app/v1/key/refreshes",
           device([this](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             DUET_ASSIGN_OR_RETURN(std::string refresh_id, req_string(body, "refresh_id"));
             DUET_ASSIGN_OR_RETURN(const json* rq, req_object(body, "request"));
             DUET_ASSIGN_OR_RETURN(cosign::RefreshRequest request,
                                   parse_wire(*rq, &cosign::parse_refresh_request, "request"));
             DUET_ASSIGN_OR_RETURN(cosign::RefreshResponse response,
                                   holders.begin_refresh(ctx, refresh_id, request));
             return json_response(201, json{{"refresh_id", refresh_id},
                                            {"response", wire_json(cosign::to_json(response))}});
           }));
    r.post("/app/v1/key/refreshes/{refresh_id}/confirm",
           device([this](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             DUET_ASSIGN_OR_RETURN(const json* cf, req_object(body, "confirm"));
             DUET_ASSIGN_OR_RETURN(cosign::RefreshConfirm confirm,
                                   parse_wire(*cf, &cosign::parse_refresh_confirm, "confirm"));
             DUET_ASSIGN_OR_RETURN(std::string token,
                                   holders.confirm_refresh(ctx, std::string(req.param("refresh_id")), confirm));
             Response resp = json_response(200, json{{"device_token", token}});
             resp.headers.set("Cache-Control", "no-store");
             return resp;
           }));
    r.post("/app/v1/orders/{order_id}/reject",
           device([this](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(store::SignOrder o, holders.reject_order(ctx, std::string(req.param("order_id"))));
             return json_response(200, state_json(o));
           }));
  }

  Result<core::CertificateService*> need_certs() {
    if (certs == nullptr || !certs->ready()) return make_error(ErrorCode::kUnavailable, "the CA is not available");
    return certs;
  }

  void certificate_holder_routes(http::Router& r) {
    r.post("/app/v1/certificate-requests",
           device([this](const Request&, const core::HolderContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
             bool replayed = false;
             DUET_ASSIGN_OR_RETURN(store::SignOrder o, cs->request_certificate(ctx, &replayed));
             DUET_ASSIGN_OR_RETURN(core::OrderForHolder h, holders.order_details(ctx, o.order_id));
             return json_response(replayed ? 200 : 201, holder_order_json(h));
           }));
    r.get("/app/v1/certificate", device([this](const Request&, const core::HolderContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
      DUET_ASSIGN_OR_RETURN(core::CertificateView v, cs->current_certificate(ctx));
      return json_response(200, certificate_json(v));
    }));
    r.post("/app/v1/certificate/revoke",
           device([this](const Request&, const core::HolderContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
             DUET_TRY_STATUS(cs->revoke_own(ctx, deps.clock.now()));
             return json_response(200, json{{"holder_id", ctx.holder_id},
                                            {"revoked", true},
                                            {"reason", "keyCompromise"}});
           }));
  }

  void certificate_business_routes(http::Router& r) {
    r.get("/api/v1/holders/{holder_id}/certificates",
          biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
            DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
            DUET_ASSIGN_OR_RETURN(std::vector<core::CertificateView> list,
                                  cs->list_certificates(ctx.tenant_id, std::string(req.param("holder_id"))));
            json arr = json::array();
            for (const auto& v : list) arr.push_back(certificate_json(v));
            return json_response(200, json{{"certificates", std::move(arr)}});
          }));
    // Renewal: a new certificate of the holder's active key. The answer is the
    // certificate request the holder signs with the usual session routes
    // (201 created, 200 the open one again); the previous certificate stays
    // valid until it expires.
    r.post("/api/v1/holders/{holder_id}/certificates/renew",
           biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
             core::HolderContext holder{ctx.tenant_id, std::string(req.param("holder_id"))};
             bool replayed = false;
             DUET_ASSIGN_OR_RETURN(store::SignOrder o, cs->request_certificate(holder, &replayed, /*renewal=*/true));
             return json_response(replayed ? 200 : 201, json{{"order_id", o.order_id},
                                                             {"holder_id", o.holder_id},
                                                             {"key_id", o.key_id},
                                                             {"kind", "certificate_request"},
                                                             {"state", core::order_state_name(o.state)},
                                                             {"created_at", o.created_at},
                                                             {"expires_at", o.expires_at}});
           }));
    r.post("/api/v1/holders/{holder_id}/certificates/{cert_id}/revoke",
           biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, true));
             int reason = 0;
             auto it = body.find("reason");
             if (it != body.end() && !it->is_null()) {
               std::optional<int> parsed;
               if (it->is_string()) parsed = core::revocation_reason_from_name(it->get<std::string>());
               else if (it->is_number_integer())
                 parsed = core::revocation_reason_from_name(std::to_string(it->get<int64_t>()));
               else return invalid("field 'reason' must be a string or an integer");
               if (!parsed) return invalid("reason must be an RFC 5280 CRLReason name (e.g. keyCompromise) or number");
               reason = *parsed;
             }
             DUET_ASSIGN_OR_RETURN(core::CertificateView v,
                                   cs->revoke(ctx.tenant_id, std::string(req.param("holder_id")),
                                              std::string(req.param("cert_id")), reason, deps.clock.now()));
             return json_response(200, certificate_json(v));
           }));
  }

  void verify_routes(http::Router& r) {
    r.post("/api/v1/verify", biz([this](const Request& req, const core::AppContext&) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
      core::VerifyRequest in;
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> data, opt_string(body, "data_base64"));
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> digest, opt_string(body, "digest_hex"));
      if (data && digest) return invalid("give one of data_base64, digest_hex, not both");
      if (data) {
        auto bytes = decode_base64(*data);
        if (!bytes) return make_error(ErrorCode::kBadEncoding, "data_base64 is not valid base64");
        in.data = std::move(*bytes);
      } else if (digest) {
        auto bytes = from_hex_exact(*digest, 32);
        if (!bytes.ok()) return make_error(ErrorCode::kBadEncoding, "digest_hex must be 64 hex characters");
        crypto::Digest d{};
        std::copy(bytes->begin(), bytes->end(), d.begin());
        in.digest = d;
      }
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> sig_hex, opt_string(body, "signature_hex"));
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> sig_b64, opt_string(body, "signature_base64"));
      if (sig_hex.has_value() == sig_b64.has_value()) return invalid("give exactly one of signature_hex, signature_base64");
      if (sig_hex) {
        auto bytes = from_hex(*sig_hex);
        if (!bytes.ok()) return make_error(ErrorCode::kBadEncoding, "signature_hex is not valid hex");
        in.signature = std::move(*bytes);
      } else {
        auto bytes = decode_base64(*sig_b64);
        if (!bytes) return make_error(ErrorCode::kBadEncoding, "signature_base64 is not valid base64");
        in.signature = std::move(*bytes);
      }
      if (in.signature.empty()) return invalid("the signature is empty");
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> format, opt_string(body, "format"));
      in.format = format.value_or("der");
      if (in.format != "raw" && in.format != "der" && in.format != "cms") return invalid("format must be raw, der or cms");
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> pub, opt_string(body, "public_key_hex"));
      if (pub) {
        auto p = crypto::Point::from_hex(*pub);
        if (!p.ok()) return make_error(p.code(), "public_key_hex: " + p.error().message);
        in.public_key = *p;
      }
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> pem, opt_string(body, "certificate_pem"));
      if (pem) {
        auto c = pki::Certificate::parse(std::string_view(*pem));
        if (!c.ok()) return make_error(ErrorCode::kBadEncoding, "certificate_pem does not parse");
        in.certificate = *c;
      }
      core::VerifyTrust trust;
      if (certs != nullptr && certs->ready()) {
        auto issuing = certs->ca_certificate(certs->issuing_ca_id());
        auto root = certs->ca_certificate(certs->root_ca_id());
        if (issuing.ok()) trust.intermediates.push_back(*issuing);
        if (root.ok()) trust.roots.push_back(*root);
      }
      trust.revocation = [this](const std::string& serial) -> std::optional<std::optional<int64_t>> {
        auto c = deps.store.find_certificate_by_serial(serial);
        if (!c.ok()) return std::nullopt;
        return std::optional<int64_t>(c->revoked_at);
      };
      DUET_ASSIGN_OR_RETURN(core::VerifyOutcome v, core::verify_signature(in, trust));
      json signer = nullptr;
      if (v.signer_serial) signer = json{{"serial", *v.signer_serial}, {"subject", v.signer_subject.value_or("")}};
      json revoked = v.revoked_at_signing_time == "unknown" ? json("unknown") : json(v.revoked_at_signing_time == "true");
      return json_response(200, json{{"valid", v.valid},
                                     {"reasons", v.reasons},
                                     {"signer", signer},
                                     {"revoked_at_signing_time", revoked},
                                     {"chain_ok", v.chain_ok ? json(*v.chain_ok) : json(nullptr)},
                                     {"signing_time", v.signing_time ? json(*v.signing_time) : json(nullptr)}});
    }));
  }

  void pki_routes(http::Router& r) {
    r.get("/pki/ca/{ca_file}", wrap(
                                   [this](const Request& req) -> Result<Response> {
                                     DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
                                     auto f = split_file(req.param("ca_file"), {"pem", "cer", "der"});
                                     if (!f) return make_error(ErrorCode::kNotFound, "expected <ca_id>.pem or .cer");
                                     if (f->first == "chain" && f->second == "pem") {
                                       // The current chain (issuing CA, root): what `duet verify --server` trusts.
                                       return binary_response(200, cs->chain_pem(), "application/x-pem-file");
                                     }
                                     DUET_ASSIGN_OR_RETURN(pki::Certificate c, cs->ca_certificate(f->first));
                                     if (f->second == "pem") return binary_response(200, c.pem(), "application/x-pem-file");
                                     Bytes der = c.der();
                                     return binary_response(200, std::string(der.begin(), der.end()),
                                                            "application/pkix-cert");
                                   },
                                   false));
    r.get("/pki/crl/{crl_file}", wrap(
                                     [this](const Request& req) -> Result<Response> {
                                       DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
                                       auto f = split_file(req.param("crl_file"), {"crl"});
                                       if (!f) return make_error(ErrorCode::kNotFound, "expected <ca_id>.crl");
                                       DUET_ASSIGN_OR_RETURN(Bytes der, cs->crl_der(f->first, deps.clock.now()));
                                       return binary_response(200, std::string(der.begin(), der.end()),
                                                              "application/pkix-crl");
                                     },
                                     false));
    r.post("/pki/ocsp", wrap(
                            [this](const Request& req) -> Result<Response> {
                              DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, need_certs());
                              DUET_ASSIGN_OR_RETURN(Bytes der, cs->ocsp_response(as_bytes(req.body), deps.clock.now()));
                              Response resp = binary_response(200, std::string(der.begin(), der.end()),
                                                              "application/ocsp-response");
                              resp.headers.set("Cache-Control", "no-cache");
                              return resp;
                            },
                            false));
  }

  void ops_routes(http::Router& r) {
    r.get("/metrics", [this](const Request&) {
      export_core_metrics();
      Response resp;
      resp.status = 200;
      resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
      resp.body = metrics->render();
      return resp;
    });
  }

  // --- issue 5 areas: each area's routes live in its own member function
  // below (thin handlers; JSON and rules in the area's own files). ---

  // Packages and notices (core/metering.h; JSON in server/metering_views.h).
  core::MeteringService metering{deps};

  void metering_routes(http::Router& r) {
    r.post("/admin/v1/tenants/{tenant_id}/packages",
           operator_([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
             DUET_ASSIGN_OR_RETURN(core::NewPackage in, parse_new_package(body));
             DUET_ASSIGN_OR_RETURN(store::Package p, metering.add_package(op, std::string(req.param("tenant_id")), in));
             return json_response(201, package_json(p, metering.now()));
           }));
    r.get("/admin/v1/tenants/{tenant_id}/packages",
          operator_([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
            DUET_ASSIGN_OR_RETURN(std::vector<store::Package> ps,
                                  metering.list_packages(op, std::string(req.param("tenant_id"))));
            json arr = json::array();
            for (const auto& p : ps) arr.push_back(package_json(p, metering.now()));
            return json_response(200, json{{"packages", std::move(arr)}});
          }));
    auto set_notify = [this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
      DUET_ASSIGN_OR_RETURN(std::optional<std::string> url, opt_string(body, "notify_url"));
      DUET_ASSIGN_OR_RETURN(core::IssuedNotifyTarget t,
                            metering.set_notify_url(op, std::string(req.param("tenant_id")), url.value_or("")));
      return json_response(200, json{{"notify_url", t.url.empty() ? json(nullptr) : json(t.url)},
                                     {"notify_secret", t.secret.empty() ? json(nullptr) : json(t.secret)}});
    };
    r.put("/admin/v1/tenants/{tenant_id}/notify-url", operator_(set_notify));
    r.post("/admin/v1/tenants/{tenant_id}/notify-url", operator_(set_notify));
    r.get("/admin/v1/tenants/{tenant_id}/notify-url",
          operator_([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
            DUET_ASSIGN_OR_RETURN(std::string url, metering.notify_url(op, std::string(req.param("tenant_id"))));
            return json_response(200, json{{"notify_url", url.empty() ? json(nullptr) : json(url)}});
          }));
    r.get("/api/v1/packages", biz([this](const Request&, const core::AppContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(std::vector<store::Package> ps, metering.tenant_packages(ctx));
      json arr = json::array();
      for (const auto& p : ps) arr.push_back(package_json(p, metering.now()));
      return json_response(200, json{{"packages", std::move(arr)}});
    }));
    r.get("/api/v1/notices", biz([this](const Request& req, const core::AppContext& ctx) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(size_t limit, parse_limit(req, 50));
      DUET_ASSIGN_OR_RETURN(std::vector<store::Notice> ns, metering.tenant_notices(ctx, limit));
      json arr = json::array();
      for (const auto& n : ns) arr.push_back(notice_json(n));
      return json_response(200, json{{"notices", std::move(arr)}});
    }));
  }

  // Audit log, checkpoints, operators (docs/audit.md, docs/operations-roles.md).
  static Result<int64_t> audit_query_int(const Request& req, std::string_view name, int64_t def, int64_t min,
                                         int64_t max) {
    auto v = req.query_param(name);
    if (!v) return def;
    int64_t n = 0;
    bool neg = !v->empty() && (*v)[0] == '-';
    std::string_view digits = std::string_view(*v).substr(neg ? 1 : 0);
    if (digits.empty() || digits.size() > 18) return invalid(std::string(name) + " must be an integer");
    for (char c : digits) {
      if (c < '0' || c > '9') return invalid(std::string(name) + " must be an integer");
      n = n * 10 + (c - '0');
    }
    if (neg) n = -n;
    if (n < min || n > max) return invalid(std::string(name) + " is out of range");
    return n;
  }

  void audit_routes(http::Router& r) {
    const auto readers = {core::kRoleAuditor, core::kRoleSecurityOfficer};
    r.get("/admin/v1/audit/events", operator_([this](const Request& req, const core::OperatorContext&) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(int64_t after, audit_query_int(req, "after_seq", 0, 0, INT64_MAX));
      DUET_ASSIGN_OR_RETURN(int64_t limit, audit_query_int(req, "limit", 500, 1, 1000));
      std::optional<std::string> tenant = req.query_param("tenant");
      std::vector<store::AuditEvent> events;
      if (tenant) {
        DUET_ASSIGN_OR_RETURN(int64_t from, audit_query_int(req, "from", 0, 0, INT64_MAX / 2));
        DUET_ASSIGN_OR_RETURN(int64_t to, audit_query_int(req, "to", INT64_MAX / 2, 0, INT64_MAX / 2));
        DUET_ASSIGN_OR_RETURN(events, deps.store.list_tenant_audit_events(*tenant, from, to, after,
                                                                          static_cast<size_t>(limit)));
      } else {
        DUET_ASSIGN_OR_RETURN(events, deps.store.list_audit_events(after, static_cast<size_t>(limit)));
      }
      std::string body = "{\"events\":[";
      for (size_t i = 0; i < events.size(); ++i) {
        if (i) body += ',';
        body += core::audit_event_json(events[i]);
      }
      body += "],\"next_after_seq\":";
      body += static_cast<int64_t>(events.size()) == limit ? std::to_string(events.back().seq) : "null";
      body += '}';
      return Response::json(200, std::move(body));
    }, readers));
    r.get("/admin/v1/audit/checkpoints",
          operator_([this](const Request& req, const core::OperatorContext&) -> Result<Response> {
            DUET_ASSIGN_OR_RETURN(int64_t from, audit_query_int(req, "from_seq", 0, 0, INT64_MAX));
            DUET_ASSIGN_OR_RETURN(int64_t to, audit_query_int(req, "to_seq", INT64_MAX, 0, INT64_MAX));
            DUET_ASSIGN_OR_RETURN(std::vector<store::AuditCheckpoint> cps, deps.store.list_audit_checkpoints(from, to));
            DUET_ASSIGN_OR_RETURN(std::vector<store::AuditKey> keys, deps.store.list_audit_keys());
            DUET_ASSIGN_OR_RETURN(store::AuditCheckpoint head, deps.store.get_audit_head());
            std::string body = "{\"checkpoints\":[";
            for (size_t i = 0; i < cps.size(); ++i) body += (i ? "," : "") + core::audit_checkpoint_json(cps[i]);
            body += "],\"keys\":[";
            for (size_t i = 0; i < keys.size(); ++i) body += (i ? "," : "") + core::audit_key_json(keys[i]);
            body += "],\"head\":" + json{{"seq", head.seq}, {"hash", to_hex(head.hash)}}.dump() + "}";
            return Response::json(200, std::move(body));
          }, readers));
    r.post("/admin/v1/operators", operator_([this](const Request& req, const core::OperatorContext&) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
      DUET_ASSIGN_OR_RETURN(std::string name, req_string(body, "name"));
      DUET_ASSIGN_OR_RETURN(std::string role, req_string(body, "role"));
      DUET_ASSIGN_OR_RETURN(core::IssuedOperator o, audit.create_operator(name, role));
      Response resp = json_response(201, json{{"name", o.name}, {"role", o.role}, {"token", o.token}});
      resp.headers.set("Cache-Control", "no-store");
      return resp;
    }, {core::kRoleSecurityOfficer}));
    r.get("/admin/v1/operators", operator_([this](const Request&, const core::OperatorContext&) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(std::vector<store::AdminToken> ops, audit.list_operators());
      json arr = json::array();
      for (const auto& t : ops)
        arr.push_back(json{{"name", t.name},
                           {"role", t.role},
                           {"created_at", t.created_at},
                           {"revoked_at", t.revoked_at ? json(*t.revoked_at) : json(nullptr)}});
      return json_response(200, json{{"operators", std::move(arr)}});
    }, {core::kRoleSecurityOfficer}));
    r.del("/admin/v1/operators/{name}",
          operator_([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
            DUET_TRY_STATUS(audit.revoke_operator(op, std::string(req.param("name"))));
            return Response::empty(204);
          }, {core::kRoleSecurityOfficer}));
  }

  // Availability, maintenance windows, SLA reports and credits, rate limits
  // (server/sla_routes.h); set_sla gives the daemon's services.
  core::SlaService* sla = nullptr;
  core::RateLimiter* limiter = nullptr;
  std::unique_ptr<core::SlaService> own_sla;  // when the daemon gave none

  void sla_routes(http::Router& r) {
    if (sla == nullptr) {
      own_sla = std::make_unique<core::SlaService>(deps);
      sla = own_sla.get();
    }
    register_sla_routes(r, SlaRouteDeps{deps, *sla, limiter,
                                        [this](SlaAdminFn fn, std::initializer_list<std::string_view> roles) {
                                          return operator_(std::move(fn), roles);
                                        }});
  }

  // Retention settings (core/retention.h): the operator and the security
  // officer read them (the auditor reads only the audit log); changing them,
  // or running the purges now, needs the security_officer role.
  core::RetentionService* retention = nullptr;
  std::unique_ptr<core::RetentionService> own_retention;  // when the daemon gave none

  static json retention_json(const core::EffectiveRetention& e) {
    const store::RetentionSettings& s = e.settings;
    return json{{"order_payload_days", s.order_payload_days},
                {"identity_days", s.identity_days},
                {"expired_key_days", s.expired_key_days},
                {"interval_seconds", s.interval_seconds},
                {"source", e.source},
                {"updated_at", s.updated_at == 0 ? json(nullptr) : json(s.updated_at)},
                {"updated_by", s.updated_by.empty() ? json(nullptr) : json(s.updated_by)}};
  }

  void privacy_routes(http::Router& r) {
    if (retention == nullptr) {
      own_retention = std::make_unique<core::RetentionService>(deps.store, deps.clock, store::RetentionSettings{});
      retention = own_retention.get();
    }
    r.get("/admin/v1/retention", operator_([this](const Request&, const core::OperatorContext&) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(core::EffectiveRetention e, retention->settings());
      return json_response(200, retention_json(e));
    }));
    r.put("/admin/v1/retention", operator_([this](const Request& req, const core::OperatorContext& op) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
      DUET_ASSIGN_OR_RETURN(core::EffectiveRetention current, retention->settings());
      store::RetentionSettings s = current.settings;
      for (auto [key, field] : {std::pair{"order_payload_days", &s.order_payload_days},
                                std::pair{"identity_days", &s.identity_days},
                                std::pair{"expired_key_days", &s.expired_key_days},
                                std::pair{"interval_seconds", &s.interval_seconds}}) {
        DUET_ASSIGN_OR_RETURN(std::optional<int64_t> v, opt_int(body, key));
        if (v) *field = *v;
      }
      DUET_ASSIGN_OR_RETURN(core::EffectiveRetention e, retention->update(s, op.name));
      return json_response(200, retention_json(e));
    }, {core::kRoleSecurityOfficer}));
    r.post("/admin/v1/retention/purge",
           operator_([this](const Request&, const core::OperatorContext& op) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::PurgeCounts n, retention->run_once("operator:" + op.name));
             return json_response(200, json{{"order_payloads", n.order_payloads},
                                            {"identities", n.identities},
                                            {"key_shares", n.key_shares}});
           }, {core::kRoleSecurityOfficer}));
  }
};

ApiRoutes::ApiRoutes(core::CoreDeps deps, std::shared_ptr<http::MetricsRegistry> metrics,
                     core::CertificateService* certs)
    : impl_(std::make_unique<Impl>(deps, std::move(metrics), certs)) {}
ApiRoutes::~ApiRoutes() = default;

void ApiRoutes::register_routes(http::Router& router) {
  impl_->ops_routes(router);
  impl_->admin_routes(router);
  impl_->business_routes(router);
  impl_->holder_routes(router);
  impl_->certificate_holder_routes(router);
  impl_->certificate_business_routes(router);
  impl_->pki_routes(router);
  impl_->verify_routes(router);
  impl_->metering_routes(router);
  impl_->audit_routes(router);
  impl_->sla_routes(router);
  impl_->privacy_routes(router);
}

void ApiRoutes::export_core_metrics() { impl_->export_core_metrics(); }
void ApiRoutes::set_sla(core::SlaService* sla, core::RateLimiter* limiter) {
  impl_->sla = sla;
  impl_->limiter = limiter;
}
core::AdminService& ApiRoutes::admin() { return impl_->admin; }
core::BusinessService& ApiRoutes::business() { return impl_->business; }
core::HolderService& ApiRoutes::holders() { return impl_->holders; }
core::AuditService& ApiRoutes::audit() { return impl_->audit; }
AuditRecorder& ApiRoutes::audit_recorder() { return impl_->recorder; }
void ApiRoutes::set_retention(core::RetentionService* retention) { impl_->retention = retention; }

}  // namespace duet::server
