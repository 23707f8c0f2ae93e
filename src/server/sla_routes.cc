#include "server/sla_routes.h"

#include "base/json_limits.h"

#include <initializer_list>
#include <limits>
#include <string_view>
#include <nlohmann/json.hpp>

#include "core/operator_roles.h"
#include "server/incident_routes.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

// Who reads SLA reports, credits, windows and rate limits, and who changes them.
constexpr std::initializer_list<std::string_view> kSlaReaders = {core::kRoleOperator, core::kRoleSecurityOfficer};
constexpr std::initializer_list<std::string_view> kSlaWriters = {core::kRoleOperator};

Response json_ok(int status, const json& j) {
  return Response::json(status, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

Unexpected invalid(std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); }

Result<std::optional<int64_t>> query_int(const Request& req, std::string_view name) {
  auto v = req.query_param(name);
  if (!v) return std::optional<int64_t>();
  if (v->empty() || v->size() > 18) return invalid(std::string(name) + " must be an integer");
  int64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return invalid(std::string(name) + " must be an integer");
    n = n * 10 + (c - '0');
  }
  return std::optional<int64_t>(n);
}

Result<int64_t> body_int(const json& b, const char* key) {
  auto it = b.find(key);
  if (it == b.end() || it->is_null()) return invalid(std::string("field '") + key + "' is required");
  if (!it->is_number_integer()) return invalid(std::string("field '") + key + "' must be an integer");
  return it->get<int64_t>();
}

// An optional integer field (null or absent: nullopt).
Result<std::optional<int64_t>> optional_body_int(const json& b, const char* key) {
  auto it = b.find(key);
  if (it == b.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
    return invalid(std::string("field '") + key + "' must be an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<json> parse_object(const Request& req) {
  json j = parse_json_bounded(req.body);  // bounded nesting (base/json_limits.h)
  if (j.is_discarded()) return make_error(ErrorCode::kBadEncoding, "the request body is not valid JSON");
  if (!j.is_object()) return invalid("the request body must be a JSON object");
  return j;
}

json figures_json(const core::SlaFigures& f, const core::SlaTargets& t) {
  return json{{"from", f.from},
              {"to", f.to},
              {"availability_pct", f.availability_pct},
              {"available_minutes", f.available_minutes},
              {"unavailable_minutes", f.unavailable_minutes},
              {"signing_unavailable_minutes", f.signing_unavailable_minutes},
              {"certificate_unavailable_minutes", f.certificate_unavailable_minutes},
              {"excluded_minutes", f.excluded_minutes},
              {"unrecorded_minutes", f.unrecorded_minutes},
              {"longest_outage_minutes", f.longest_outage_minutes},
              {"longest_outage_start", f.longest_outage_start == 0 ? json(nullptr) : json(f.longest_outage_start)},
              {"requests", f.requests},
              {"normal_requests", f.normal},
              {"avg_ms", f.avg_ms},
              {"max_ms", f.max_ms},
              {"availability_met", f.availability_at_least(t.availability_bp)},
              {"avg_met", f.avg_ms <= t.avg_ms},
              {"max_met", f.max_ms <= t.max_ms},
              {"band", core::band_name(core::band_for(f)).empty() ? json(nullptr)
                                                                   : json(core::band_name(core::band_for(f)))}};
}

std::string_view kind_name(store::SlaCreditKind k) { return k == store::SlaCreditKind::kDays ? "days" : "signatures"; }

json credit_json(const store::SlaCredit& c) {
  json basis = json::parse(c.basis, nullptr, false);
  return json{{"credit_id", c.credit_id},
              {"tenant_id", c.tenant_id},
              {"month", c.month},
              {"kind", kind_name(c.kind)},
              {"band", c.band},
              {"amount", c.amount},
              {"basis", basis.is_discarded() ? json(nullptr) : basis},
              {"state", c.state == store::SlaCreditState::kApproved ? "approved" : "proposed"},
              {"created_at", c.created_at},
              {"updated_at", c.updated_at},
              {"approved_at", c.approved_at ? json(*c.approved_at) : json(nullptr)},
              {"approved_by", c.approved_by.empty() ? json(nullptr) : json(c.approved_by)},
              {"package_id", c.package_id.empty() ? json(nullptr) : json(c.package_id)}};
}

json window_json(const store::MaintenanceWindow& w, bool excluded) {
  return json{{"window_id", w.window_id},   {"starts_at", w.starts_at},     {"ends_at", w.ends_at},
              {"announced_at", w.announced_at}, {"description", w.description}, {"created_by", w.created_by},
              {"kind", w.kind}, {"excluded", excluded}};
}

json report_json(const core::SlaMonthlyReport& r, int64_t now) {
  json tenants = json::array();
  for (const auto& t : r.tenants) {
    json proposed = json::array();
    for (const auto& c : t.credits) {
      json basis = json::parse(c.basis, nullptr, false);
      proposed.push_back(json{{"kind", kind_name(c.kind)},
                              {"band", core::band_name(c.band)},
                              {"amount", c.amount},
                              {"basis", basis.is_discarded() ? json(nullptr) : basis}});
    }
    json stored = json::array();
    for (const auto& c : t.stored) stored.push_back(credit_json(c));
    json j = figures_json(t.figures, r.targets);
    j["tenant_id"] = t.tenant.tenant_id;
    j["name"] = t.tenant.name;
    j["compensation"] = std::move(proposed);
    j["credits"] = std::move(stored);
    // The SLA-terms version the tenant's contract pins (null: the [sla] table).
    j["terms_version"] = t.terms.version.empty() ? json(nullptr) : json(t.terms.version);
    tenants.push_back(std::move(j));
  }
  json incidents = json::array();
  for (const auto& i : r.incidents) incidents.push_back(incident_json(i, now, true));
  return json{{"month", r.month.month},
              {"from", r.month.from},
              {"to", r.month.to},
              {"evaluated_to", r.evaluated_to},
              {"final", r.final},
              {"service_since", r.service_since ? json(*r.service_since) : json(nullptr)},
              {"targets", json{{"availability_pct", static_cast<double>(r.targets.availability_bp) / 100.0},
                               {"avg_ms", r.targets.avg_ms},
                               {"max_ms", r.targets.max_ms}}},
              {"overall", figures_json(r.overall, r.targets)},
              {"tenants", std::move(tenants)},
              {"incidents", std::move(incidents)}};
}

}  // namespace

nlohmann::json sla_report_json(const core::SlaMonthlyReport& r, int64_t now) { return report_json(r, now); }
nlohmann::json sla_credit_json(const store::SlaCredit& c) { return credit_json(c); }

namespace {

// Monthly reports and credits (core/sla_service.h).
void report_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  core::CoreDeps deps = s.deps;
  core::SlaService* sla = &s.sla;
  r.get("/admin/v1/sla/report",
        auth.operator_request(
            [deps, sla](const Request& req, const core::OperatorContext& op) -> Result<Response> {
              auto month = req.query_param("month");
              if (!month) return invalid("month=YYYY-MM is required");
              int64_t now = deps.clock.now();
              DUET_ASSIGN_OR_RETURN(core::SlaMonthlyReport rep,
                                    sla->report(op.write, *month, req.query_param("tenant").value_or(""), now));
              return json_ok(200, report_json(rep, now));
            },
            kSlaReaders));

  r.get("/admin/v1/sla/credits", auth.operator_request([sla](const Request& req, const core::OperatorContext&) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(std::vector<store::SlaCredit> cs,
                          sla->credits(req.query_param("tenant").value_or(""), req.query_param("month").value_or("")));
    json arr = json::array();
    for (const auto& c : cs) arr.push_back(credit_json(c));
    return json_ok(200, json{{"credits", std::move(arr)}});
  }, kSlaReaders));

  r.post("/admin/v1/sla/credits/{credit_id}/approve",
         auth.operator_request([deps, sla](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(store::SlaCredit c, sla->approve(op, std::string(req.param("credit_id")), deps.clock.now()));
           json j = credit_json(c);
           auto pkg = deps.store.get_package(c.tenant_id, c.package_id);
           if (pkg.ok())
             j["package"] = json{{"package_id", pkg->package_id},
                                 {"kind", pkg->kind == store::PackageKind::kPerSignature ? "per_signature"
                                          : pkg->kind == store::PackageKind::kPerUser    ? "per_user"
                                                                                         : "unlimited"},
                                 {"quantity", pkg->quantity},
                                 {"starts_at", pkg->starts_at},
                                 {"expires_at", pkg->expires_at},
                                 {"source", pkg->source}};
           return json_ok(200, j);
         }, kSlaWriters));

}

// Maintenance windows: excluded from availability when announced in time.
void maintenance_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  core::CoreDeps deps = s.deps;
  core::SlaService* sla = &s.sla;
  r.post("/admin/v1/maintenance-windows",
         auth.operator_request([deps, sla](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_object(req));
           DUET_ASSIGN_OR_RETURN(int64_t starts_at, body_int(body, "starts_at"));
           DUET_ASSIGN_OR_RETURN(int64_t ends_at, body_int(body, "ends_at"));
           std::string description;
           if (auto it = body.find("description"); it != body.end() && !it->is_null()) {
             if (!it->is_string()) return invalid("field 'description' must be a string");
             description = it->get<std::string>();
           }
           std::string kind = "maintenance";
           if (auto it = body.find("kind"); it != body.end() && !it->is_null()) {
             if (!it->is_string()) return invalid("field 'kind' must be a string");
             kind = it->get<std::string>();
           }
           DUET_ASSIGN_OR_RETURN(store::MaintenanceWindow w, sla->create_window(op, starts_at, ends_at,
                                                                                std::move(description),
                                                                                deps.clock.now(), std::move(kind)));
           return json_ok(201, window_json(w, sla->excluded(w)));
         }, kSlaWriters));

  r.get("/admin/v1/maintenance-windows",
        auth.operator_request([deps, sla](const Request& req, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(std::optional<int64_t> from, query_int(req, "from"));
          DUET_ASSIGN_OR_RETURN(std::optional<int64_t> to, query_int(req, "to"));
          int64_t f = from.value_or(deps.clock.now() - 31 * 86400);
          int64_t t = to.value_or(std::numeric_limits<int64_t>::max() / 2);
          DUET_ASSIGN_OR_RETURN(std::vector<store::MaintenanceWindow> ws, sla->list_windows(f, t));
          json arr = json::array();
          for (const auto& w : ws) arr.push_back(window_json(w, sla->excluded(w)));
          return json_ok(200, json{{"windows", std::move(arr)}});
        }, kSlaReaders));

  // A change of a window that has not started: moved or extended it is a new
  // announcement (core/sla_service.h change_window); every tenant is told.
  r.patch("/admin/v1/maintenance-windows/{window_id}",
          auth.operator_request([deps, sla](const Request& req, const core::OperatorContext& op) -> Result<Response> {
            DUET_ASSIGN_OR_RETURN(json body, parse_object(req));
            for (const auto& item : body.items()) {
              const std::string& key = item.key();
              if (key != "starts_at" && key != "ends_at" && key != "description")
                return invalid(key == "kind" ? std::string("a window's kind cannot be changed (withdraw it and announce "
                                                           "a new one)")
                                             : "unknown field '" + key + "' (starts_at, ends_at, description)");
            }
            core::SlaService::WindowChange change;
            DUET_ASSIGN_OR_RETURN(change.starts_at, optional_body_int(body, "starts_at"));
            DUET_ASSIGN_OR_RETURN(change.ends_at, optional_body_int(body, "ends_at"));
            if (auto it = body.find("description"); it != body.end() && !it->is_null()) {
              if (!it->is_string()) return invalid("field 'description' must be a string");
              change.description = it->get<std::string>();
            }
            DUET_ASSIGN_OR_RETURN(store::MaintenanceWindow w,
                                  sla->change_window(op, req.param("window_id"), change, deps.clock.now()));
            return json_ok(200, window_json(w, sla->excluded(w)));
          }, kSlaWriters));

  r.del("/admin/v1/maintenance-windows/{window_id}",
        auth.operator_request(
            [deps, sla](const Request& req, const core::OperatorContext& op) -> Result<Response> {
              DUET_TRY_STATUS(sla->delete_window(op.write, req.param("window_id"), deps.clock.now()));
              return Response::empty(204);
            },
            kSlaWriters));
}

// Production per-tenant rate limits (core/rate_limit.h).
void rate_limit_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  core::CoreDeps deps = s.deps;
  core::RateLimiter* limiter = s.limiter;
  auto limit_json = [](const std::string& tenant_id, int64_t rps) {
    return json{{"tenant_id", tenant_id}, {"requests_per_second", rps > 0 ? json(rps) : json(nullptr)}};
  };
  r.get("/admin/v1/tenants/{tenant_id}/rate-limit",
        auth.operator_request([deps, limiter, limit_json](const Request& req, const core::OperatorContext&) -> Result<Response> {
          std::string tenant_id(req.param("tenant_id"));
          DUET_TRY_STATUS(deps.store.get_tenant(tenant_id));
          DUET_ASSIGN_OR_RETURN(std::vector<store::TenantRateLimit> all, deps.store.list_tenant_rate_limits());
          int64_t rps = 0;
          for (const auto& l : all)
            if (l.tenant_id == tenant_id) rps = l.requests_per_second;
          (void)limiter;
          return json_ok(200, limit_json(tenant_id, rps));
        }, kSlaReaders));
  r.put("/admin/v1/tenants/{tenant_id}/rate-limit",
        auth.operator_request(
            [limiter, limit_json](const Request& req, const core::OperatorContext& op) -> Result<Response> {
              if (limiter == nullptr) return make_error(ErrorCode::kUnavailable, "rate limits are not enabled");
              DUET_ASSIGN_OR_RETURN(json body, parse_object(req));
              int64_t rps = 0;
              if (auto it = body.find("requests_per_second"); it != body.end() && !it->is_null()) {
                if (!it->is_number_integer() || it->get<int64_t>() < 0)
                  return invalid("requests_per_second must be a non-negative integer (0 or null: unlimited)");
                rps = it->get<int64_t>();
              }
              std::string tenant_id(req.param("tenant_id"));
              DUET_TRY_STATUS(limiter->set_tenant_limit(op.write, tenant_id, rps));
              return json_ok(200, limit_json(tenant_id, rps));
            },
            kSlaWriters));
}

}  // namespace

void register_sla_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  report_routes(r, s, auth);
  maintenance_routes(r, s, auth);
  rate_limit_routes(r, s, auth);
}

}  // namespace duet::server
