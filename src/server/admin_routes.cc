#include "server/admin_routes.h"

#include <algorithm>
#include <string>

#include "core/audit_json.h"
#include "store/audit_checkpoint_deliveries.h"
#include "server/json_body.h"
#include "server/json_mapping.h"
#include "server/metering_views.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

std::string tenant_of(const Request& req) { return std::string(req.param("tenant_id")); }

// POST …/apps/{app_id}/settings: absent fields keep their current value;
// everything is checked before anything is written.
Result<Response> update_app_settings(const ApiServices& s, const Request& req, const core::OperatorContext& op) {
  std::string tenant_id = tenant_of(req), app_id(req.param("app_id"));
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  DUET_ASSIGN_OR_RETURN(store::App cur, s.deps.store.get_app(tenant_id, app_id));
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
    budget = static_cast<int>(std::clamp<int64_t>(budget_field->get<int64_t>(), -1, 1'000'000));
  }
  const bool set_budget = budget_field != body.end();
  if (set_budget) DUET_TRY_STATUS(s.admin.check_pin_failure_budget(budget));
  DUET_ASSIGN_OR_RETURN(store::App a, s.admin.update_app_settings(op, tenant_id, app_id,
                                                                  mode.value_or(cur.identity_mode), sms,
                                                                  style.value_or(cur.cms_oid_style)));
  if (set_budget) {
    DUET_ASSIGN_OR_RETURN(a, s.admin.set_app_pin_failure_budget(op, tenant_id, app_id, budget));
  }
  return json_response(200, app_json(a));
}

// Tenants: the operator role only (docs/operations-roles.md).
void tenant_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  auto op_only = [&auth](OperatorHandler fn) { return auth.operator_request(std::move(fn), {core::kRoleOperator}); };
  r.post("/admin/v1/tenants", op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
    DUET_ASSIGN_OR_RETURN(std::string name, req_string(body, "name"));
    DUET_ASSIGN_OR_RETURN(std::optional<int64_t> from, opt_int(body, "production_active_from"));
    DUET_ASSIGN_OR_RETURN(store::Tenant t, s.admin.create_tenant(op, name, from));
    return json_response(201, tenant_json(t));
  }));
  r.get("/admin/v1/tenants", op_only([&s](const Request&, const core::OperatorContext& op) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(std::vector<store::Tenant> ts, s.admin.list_tenants(op));
    json arr = json::array();
    for (const auto& t : ts) arr.push_back(tenant_json(t));
    return json_response(200, json{{"tenants", std::move(arr)}});
  }));
  r.get("/admin/v1/tenants/{tenant_id}",
        op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(store::Tenant t, s.admin.get_tenant(op, tenant_of(req)));
          return json_response(200, tenant_json(t));
        }));
  // A date of the tenant, {"<field>": Unix seconds}, stored by `set`; answers the tenant.
  using SetTenantDate = Result<store::Tenant> (core::AdminService::*)(const core::OperatorContext&,
                                                                      const std::string&, core::UnixSeconds);
  auto tenant_date = [&s, &op_only](const char* field, SetTenantDate set) {
    return op_only([&s, field, set](const Request& req, const core::OperatorContext& op) -> Result<Response> {
      DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
      DUET_ASSIGN_OR_RETURN(int64_t at, req_int(body, field));
      DUET_ASSIGN_OR_RETURN(store::Tenant t, (s.admin.*set)(op, tenant_of(req), at));
      return json_response(200, tenant_json(t));
    });
  };
  r.post("/admin/v1/tenants/{tenant_id}/activation",
         tenant_date("production_active_from", &core::AdminService::set_production_active_from));
  // Request-signature v1 cut-off (core/business_auth.h), announced by a notice.
  r.post("/admin/v1/tenants/{tenant_id}/signature-v1-cutoff",
         tenant_date("signature_v1_cutoff", &core::AdminService::set_signature_v1_cutoff));
  // What holder certificates carry of the ID number (core/admin_service.h).
  r.post("/admin/v1/tenants/{tenant_id}/cert-identity-policy",
         op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::string policy, req_string(body, "cert_identity_policy"));
           DUET_ASSIGN_OR_RETURN(store::Tenant t, s.admin.set_cert_identity_policy(op, tenant_of(req), policy));
           return json_response(200, tenant_json(t));
         }));
  // Whether duet-gateway may upload page previews (docs/gateway.md "Page previews").
  r.post("/admin/v1/tenants/{tenant_id}/hybrid-previews",
         op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           if (!body.contains("enabled") || !body["enabled"].is_boolean()) return invalid("enabled must be true or false");
           DUET_ASSIGN_OR_RETURN(store::Tenant t, s.admin.set_hybrid_previews(op, tenant_of(req), body["enabled"].get<bool>()));
           return json_response(200, tenant_json(t));
         }));
  for (bool suspend : {true, false}) {
    r.post(suspend ? "/admin/v1/tenants/{tenant_id}/suspend" : "/admin/v1/tenants/{tenant_id}/resume",
           op_only([&s, suspend](const Request& req, const core::OperatorContext& op) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(store::Tenant t, s.admin.set_suspended(op, tenant_of(req), suspend));
             return json_response(200, tenant_json(t));
           }));
  }
}

// The apps of a tenant: credentials and settings (the operator role only).
void app_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  auto op_only = [&auth](OperatorHandler fn) { return auth.operator_request(std::move(fn), {core::kRoleOperator}); };
  r.post("/admin/v1/tenants/{tenant_id}/apps",
         op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::IssuedApp app, s.admin.create_app(op, tenant_of(req)));
           return json_response(
               201, json{{"sandbox", credential_json(app.sandbox)}, {"production", credential_json(app.production)}});
         }));
  r.get("/admin/v1/tenants/{tenant_id}/apps",
        op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          std::string tenant_id = tenant_of(req);
          // An unknown tenant is 404 (list_apps alone would answer an empty list).
          DUET_TRY_STATUS(s.admin.get_tenant(op, tenant_id));
          DUET_ASSIGN_OR_RETURN(std::vector<store::App> apps, s.admin.list_apps(op, tenant_id));
          json arr = json::array();
          for (const auto& a : apps) arr.push_back(app_json(a));
          return json_response(200, json{{"apps", std::move(arr)}});
        }));
  r.post("/admin/v1/tenants/{tenant_id}/apps/{app_id}/rotate-secret",
         op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::IssuedCredential c,
                                 s.admin.rotate_app_secret(op, tenant_of(req), std::string(req.param("app_id"))));
           return json_response(200, credential_json(c));
         }));
  r.post("/admin/v1/tenants/{tenant_id}/apps/{app_id}/settings",
         op_only([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           return update_app_settings(s, req, op);
         }));
}

// Packages and the webhook target of a tenant (core/metering.h; JSON in server/metering_views.h).
void metering_admin_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post("/admin/v1/tenants/{tenant_id}/packages",
         auth.operator_request([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(core::NewPackage in, parse_new_package(body));
           DUET_ASSIGN_OR_RETURN(store::Package p, s.metering.add_package(op, tenant_of(req), in));
           return json_response(201, package_json(p, s.metering.now()));
         }));
  r.get("/admin/v1/tenants/{tenant_id}/packages",
        auth.operator_request([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(std::vector<store::Package> ps, s.metering.list_packages(op, tenant_of(req)));
          json arr = json::array();
          for (const auto& p : ps) arr.push_back(package_json(p, s.metering.now()));
          return json_response(200, json{{"packages", std::move(arr)}});
        }));
  auto set_notify = [&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
    DUET_ASSIGN_OR_RETURN(std::optional<std::string> url, opt_string(body, "notify_url"));
    DUET_ASSIGN_OR_RETURN(core::IssuedNotifyTarget t, s.metering.set_notify_url(op, tenant_of(req), url.value_or("")));
    return json_response(200, json{{"notify_url", t.url.empty() ? json(nullptr) : json(t.url)},
                                   {"notify_secret", t.secret.empty() ? json(nullptr) : json(t.secret)}});
  };
  r.put("/admin/v1/tenants/{tenant_id}/notify-url", auth.operator_request(set_notify));
  r.post("/admin/v1/tenants/{tenant_id}/notify-url", auth.operator_request(set_notify));
  r.get("/admin/v1/tenants/{tenant_id}/notify-url",
        auth.operator_request([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(std::string url, s.metering.notify_url(op, tenant_of(req)));
          return json_response(200, json{{"notify_url", url.empty() ? json(nullptr) : json(url)}});
        }));
}

// GET /admin/v1/audit/events: the whole log after a seq (for verification).
// The events' JSON is core/audit_json.h's, verbatim. One tenant's events of a
// period are a disclosure (§4.4): only an approved disclosure's run hands
// them out (server/disclosure_routes.h), so `tenant` is refused here.
Result<Response> list_audit_events(const ApiServices& s, const Request& req) {
  if (req.query_param("tenant"))
    return make_error(ErrorCode::kForbidden,
                      "a tenant's events are disclosed only through an approved disclosure "
                      "(POST /admin/v1/audit/disclosures)");
  DUET_ASSIGN_OR_RETURN(int64_t after, query_int(req, "after_seq", 0, 0, INT64_MAX));
  DUET_ASSIGN_OR_RETURN(int64_t limit, query_int(req, "limit", 500, 1, 1000));
  std::vector<store::AuditEvent> events;
  DUET_ASSIGN_OR_RETURN(events, s.deps.store.list_audit_events(after, static_cast<size_t>(limit)));
  std::string body = "{\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) body += ',';
    body += core::audit_event_json(events[i]);
  }
  body += "],\"next_after_seq\":";
  body += static_cast<int64_t>(events.size()) == limit ? std::to_string(events.back().seq) : "null";
  body += '}';
  return Response::json(200, std::move(body));
}

Result<Response> list_audit_checkpoints(const ApiServices& s, const Request& req) {
  DUET_ASSIGN_OR_RETURN(int64_t from, query_int(req, "from_seq", 0, 0, INT64_MAX));
  DUET_ASSIGN_OR_RETURN(int64_t to, query_int(req, "to_seq", INT64_MAX, 0, INT64_MAX));
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditCheckpoint> cps, s.deps.store.list_audit_checkpoints(from, to));
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditKey> keys, s.deps.store.list_audit_keys());
  DUET_ASSIGN_OR_RETURN(store::AuditCheckpoint head, s.deps.store.get_audit_head());
  std::string body = "{\"checkpoints\":[";
  for (size_t i = 0; i < cps.size(); ++i) body += (i ? "," : "") + core::audit_checkpoint_json(cps[i]);
  body += "],\"keys\":[";
  for (size_t i = 0; i < keys.size(); ++i) body += (i ? "," : "") + core::audit_key_json(keys[i]);
  body += "],\"head\":" + json{{"seq", head.seq}, {"hash", to_hex(head.hash)}}.dump();
  // What the witness outside the database saw (docs/audit.md), in the same
  // seq range, and the checkpoint interval verifiers hold unsigned events to.
  DUET_ASSIGN_OR_RETURN(std::optional<core::AuditWitness> witness, s.audit.witnessed());
  body += ",\"checkpoint_seconds\":" + std::to_string(s.audit.checkpoint_seconds()) + ",\"witness\":";
  if (!witness) {
    body += "null";
  } else {
    body += "{\"keys\":[";
    for (size_t i = 0; i < witness->keys.size(); ++i) body += (i ? "," : "") + core::audit_key_json(witness->keys[i]);
    body += "],\"checkpoints\":[";
    bool any = false;
    for (const auto& cp : witness->checkpoints) {
      if (cp.seq < from || cp.seq > to) continue;
      body += (any ? "," : "") + core::audit_checkpoint_json(cp);
      any = true;
    }
    body += "]}";
  }
  body += "}";
  return Response::json(200, std::move(body));
}

// Audit log, checkpoints, operators (docs/audit.md, docs/operations-roles.md).
void audit_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  const auto readers = {core::kRoleAuditor, core::kRoleSecurityOfficer};
  const auto officer = {core::kRoleSecurityOfficer};
  r.get("/admin/v1/audit/events",
        auth.operator_request([&s](const Request& req, const core::OperatorContext&) { return list_audit_events(s, req); },
                              readers));
  r.get("/admin/v1/audit/checkpoints",
        auth.operator_request(
            [&s](const Request& req, const core::OperatorContext&) { return list_audit_checkpoints(s, req); }, readers));
  // The checkpoint webhook's delivery record (docs/audit.md "The checkpoint webhook").
  r.get("/admin/v1/audit/checkpoint-deliveries",
        auth.operator_request(
            [&s](const Request& req, const core::OperatorContext&) -> Result<Response> {
              DUET_ASSIGN_OR_RETURN(int64_t after, query_int(req, "after_seq", 0, 0, INT64_MAX));
              DUET_ASSIGN_OR_RETURN(int64_t limit, query_int(req, "limit", 500, 1, 1000));
              DUET_ASSIGN_OR_RETURN(store::AuditCheckpointDeliveryStore * area,
                                    store::audit_checkpoint_delivery_store(s.deps.store));
              DUET_ASSIGN_OR_RETURN(std::vector<store::CheckpointDelivery> ds,
                                    area->list_checkpoint_deliveries(after, static_cast<size_t>(limit)));
              json arr = json::array();
              for (const auto& d : ds)
                arr.push_back(json{{"seq", d.seq},
                                   {"state", d.delivered ? "delivered" : "pending"},
                                   {"attempts", d.attempts},
                                   {"next_at", d.delivered ? json(nullptr) : json(d.next_at)},
                                   {"last_error", d.last_error.empty() ? json(nullptr) : json(d.last_error)},
                                   {"delivered_at", d.delivered_at ? json(*d.delivered_at) : json(nullptr)},
                                   {"created_at", d.created_at}});
              return json_response(200, json{{"deliveries", std::move(arr)}});
            },
            readers));
  r.post("/admin/v1/operators",
         auth.operator_request(
             [&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
               DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
               DUET_ASSIGN_OR_RETURN(std::string name, req_string(body, "name"));
               DUET_ASSIGN_OR_RETURN(std::string role, req_string(body, "role"));
               DUET_ASSIGN_OR_RETURN(core::IssuedOperator o, s.audit.create_operator(op.write, name, role));
               Response resp = json_response(201, json{{"name", o.name}, {"role", o.role}, {"token", o.token}});
               resp.headers.set("Cache-Control", "no-store");
               return resp;
             },
             officer));
  r.get("/admin/v1/operators", auth.operator_request([&s](const Request&, const core::OperatorContext&) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(std::vector<store::AdminToken> ops, s.audit.list_operators());
    json arr = json::array();
    for (const auto& t : ops) arr.push_back(operator_json(t));
    return json_response(200, json{{"operators", std::move(arr)}});
  }, officer));
  r.del("/admin/v1/operators/{name}",
        auth.operator_request([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_TRY_STATUS(s.audit.revoke_operator(op, std::string(req.param("name"))));
          return Response::empty(204);
        }, officer));
}

// Retention settings (core/retention.h): the operator and the security
// officer read them (the auditor reads only the audit log); changing them,
// or running the purges now, needs the security_officer role.
void retention_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.get("/admin/v1/retention", auth.operator_request([&s](const Request&, const core::OperatorContext&) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(core::EffectiveRetention e, s.retention.settings());
    return json_response(200, retention_json(e));
  }));
  r.put("/admin/v1/retention",
        auth.operator_request([&s](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
          DUET_ASSIGN_OR_RETURN(core::EffectiveRetention current, s.retention.settings());
          store::RetentionSettings in = current.settings;  // absent fields keep their value
          for (auto [key, field] : {std::pair{"order_payload_days", &in.order_payload_days},
                                    std::pair{"identity_days", &in.identity_days},
                                    std::pair{"expired_key_days", &in.expired_key_days},
                                    std::pair{"interval_seconds", &in.interval_seconds}}) {
            DUET_ASSIGN_OR_RETURN(std::optional<int64_t> v, opt_int(body, key));
            if (v) *field = *v;
          }
          DUET_ASSIGN_OR_RETURN(core::EffectiveRetention e, s.retention.update(op.write, in, op.name));
          return json_response(200, retention_json(e));
        }, {core::kRoleSecurityOfficer}));
  r.post("/admin/v1/retention/purge",
         auth.operator_request(
             [&s](const Request&, const core::OperatorContext& op) -> Result<Response> {
               DUET_ASSIGN_OR_RETURN(core::PurgeCounts n, s.retention.run_once(op.write, "operator:" + op.name));
               return json_response(200, json{{"order_payloads", n.order_payloads},
                                              {"identities", n.identities},
                                              {"key_shares", n.key_shares}});
             },
             {core::kRoleSecurityOfficer}));
}

}  // namespace

void register_admin_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  tenant_routes(r, s, auth);
  app_routes(r, s, auth);
  metering_admin_routes(r, s, auth);
  audit_routes(r, s, auth);
  retention_routes(r, s, auth);
}

}  // namespace duet::server
