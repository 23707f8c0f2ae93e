#include "server/incident_routes.h"

#include <initializer_list>
#include <limits>
#include <memory>
#include <string_view>

#include "core/operator_roles.h"
#include "server/json_body.h"
#include "store/incident_records.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

constexpr std::initializer_list<std::string_view> kIncidentReaders = {core::kRoleOperator,
                                                                      core::kRoleSecurityOfficer};
constexpr std::initializer_list<std::string_view> kIncidentWriters = {core::kRoleOperator};

json opt_time(const std::optional<int64_t>& t) { return t ? json(*t) : json(nullptr); }

json promise_json(const core::PromiseCheck& c, int64_t limit_seconds) {
  return json{{"limit_seconds", limit_seconds},
              {"took_seconds", opt_time(c.took_seconds)},
              {"met", c.met ? json(*c.met) : json(nullptr)}};
}

// A time field of a change: absent (nullopt), null (clear), or an integer.
struct TimeField {
  bool present = false;
  std::optional<int64_t> value;
};
Result<TimeField> time_field(const json& body, const char* key) {
  TimeField f;
  auto it = body.find(key);
  if (it == body.end()) return f;
  f.present = true;
  if (it->is_null()) return f;
  if (!it->is_number_integer()) return invalid(std::string("field '") + key + "' must be Unix seconds or null");
  f.value = it->get<int64_t>();
  return f;
}

// The fields of a create or a change (docs/api/openapi.yaml IncidentChange).
Result<core::IncidentChange> parse_change(const json& body, bool creating) {
  core::IncidentChange c;
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> services, opt_string(body, "services"));
  if (services) {
    c.services = store::incident_services_from(*services);
    if (!c.services) return invalid("services must be signing, certificate or both");
  }
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> cause, opt_string(body, "cause"));
  if (cause) {
    c.cause = store::incident_cause_from(*cause);
    if (!c.cause) return invalid("cause must be service, customer_side or third_party");
  }
  DUET_ASSIGN_OR_RETURN(c.description, opt_string(body, "description"));
  DUET_ASSIGN_OR_RETURN(TimeField started, time_field(body, "started_at"));
  if (started.present && !started.value) return invalid("started_at cannot be cleared");
  c.started_at = started.value;
  DUET_ASSIGN_OR_RETURN(TimeField response, time_field(body, "response_started_at"));
  DUET_ASSIGN_OR_RETURN(TimeField resolved, time_field(body, "resolved_at"));
  DUET_ASSIGN_OR_RETURN(TimeField dr, time_field(body, "dr_switched_at"));
  c.response_started_at = response.value;
  c.resolved_at = resolved.value;
  c.dr_switched_at = dr.value;
  c.clear_response_started_at = response.present && !response.value;
  c.clear_resolved_at = resolved.present && !resolved.value;
  c.clear_dr_switched_at = dr.present && !dr.value;
  if (creating && (!c.services || !c.cause || !c.description || !c.started_at))
    return invalid("services, cause, description and started_at are required");
  return c;
}

Result<std::pair<int64_t, int64_t>> period(const Request& req, int64_t now) {
  DUET_ASSIGN_OR_RETURN(int64_t from, query_int(req, "from", now - 31 * 86400, 0, std::numeric_limits<int64_t>::max() / 4));
  DUET_ASSIGN_OR_RETURN(int64_t to, query_int(req, "to", std::numeric_limits<int64_t>::max() / 4, 0,
                                              std::numeric_limits<int64_t>::max() / 4));
  return std::pair{from, to};
}

json list_json(const std::vector<store::Incident>& is, int64_t now, bool for_operator) {
  json arr = json::array();
  for (const auto& i : is) arr.push_back(incident_json(i, now, for_operator));
  return json{{"incidents", std::move(arr)}};
}

}  // namespace

json incident_json(const store::Incident& i, int64_t now, bool for_operator) {
  core::IncidentPromises p;
  core::IncidentTimeliness t = core::incident_timeliness(i, now, p);
  json j{{"incident_id", i.incident_id},
         {"tenant_id", i.tenant_id.empty() ? json(nullptr) : json(i.tenant_id)},
         {"services", store::incident_services_text(i.services)},
         {"cause", store::incident_cause_text(i.cause)},
         {"excluded", core::exclusion_of(i).has_value()},
         {"description", i.description},
         {"started_at", i.started_at},
         {"response_started_at", opt_time(i.response_started_at)},
         {"resolved_at", opt_time(i.resolved_at)},
         {"dr_switched_at", opt_time(i.dr_switched_at)},
         {"promises", json{{"response", promise_json(t.response, p.response_seconds)},
                           {"resolution", promise_json(t.resolution, p.resolve_seconds)},
                           {"dr_switch", promise_json(t.dr_switch, p.dr_switch_seconds)}}},
         {"created_at", i.created_at},
         {"updated_at", i.updated_at}};
  if (for_operator) {
    j["created_by"] = i.created_by;
    j["updated_by"] = i.updated_by;
  }
  return j;
}

void register_incident_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  auto incidents = std::make_shared<core::IncidentService>(s.deps);
  const core::Clock* clock = &s.deps.clock;

  r.post("/admin/v1/incidents",
         auth.operator_request([incidents, clock](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::optional<std::string> tenant, opt_string(body, "tenant_id"));
           DUET_ASSIGN_OR_RETURN(core::IncidentChange c, parse_change(body, true));
           int64_t now = clock->now();
           DUET_ASSIGN_OR_RETURN(store::Incident i, incidents->create(op, tenant.value_or(""), c, now));
           return json_response(201, incident_json(i, now, true));
         }, kIncidentWriters));

  r.get("/admin/v1/incidents",
        auth.operator_request([incidents, clock](const Request& req, const core::OperatorContext&) -> Result<Response> {
          int64_t now = clock->now();
          DUET_ASSIGN_OR_RETURN(auto range, period(req, now));
          auto tenant = req.query_param("tenant");
          std::optional<std::string_view> filter;
          if (tenant && !tenant->empty()) filter = *tenant;
          DUET_ASSIGN_OR_RETURN(std::vector<store::Incident> is, incidents->list(range.first, range.second, filter));
          return json_response(200, list_json(is, now, true));
        }, kIncidentReaders));

  r.get("/admin/v1/incidents/{incident_id}",
        auth.operator_request([incidents, clock](const Request& req, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(store::Incident i, incidents->get(req.param("incident_id")));
          return json_response(200, incident_json(i, clock->now(), true));
        }, kIncidentReaders));

  r.patch("/admin/v1/incidents/{incident_id}",
          auth.operator_request([incidents, clock](const Request& req, const core::OperatorContext& op) -> Result<Response> {
            DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
            if (body.contains("tenant_id")) return invalid("an incident's tenant_id cannot be changed");
            DUET_ASSIGN_OR_RETURN(core::IncidentChange c, parse_change(body, false));
            int64_t now = clock->now();
            DUET_ASSIGN_OR_RETURN(store::Incident i, incidents->update(op, req.param("incident_id"), c, now));
            return json_response(200, incident_json(i, now, true));
          }, kIncidentWriters));

  r.get("/api/v1/incidents",
        auth.signed_business_request([incidents, clock](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          int64_t now = clock->now();
          DUET_ASSIGN_OR_RETURN(auto range, period(req, now));
          DUET_ASSIGN_OR_RETURN(std::vector<store::Incident> is,
                                incidents->list(range.first, range.second, std::string_view(ctx.tenant_id)));
          return json_response(200, list_json(is, now, false));
        }));
}

}  // namespace duet::server
