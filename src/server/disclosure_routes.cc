#include "server/disclosure_routes.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/audit_disclosures.h"
#include "core/audit_json.h"
#include "core/operator_roles.h"
#include "server/json_body.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

constexpr std::initializer_list<std::string_view> kReaders = {core::kRoleAuditor, core::kRoleSecurityOfficer};

json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json disclosure_json(const store::AuditDisclosure& d) {
  return json{{"disclosure_id", d.disclosure_id},
              {"tenant_id", d.tenant_id},
              {"from", d.from},
              {"to", d.to},
              {"purpose", d.purpose},
              {"requested_by", d.requested_by},
              {"requested_at", d.requested_at},
              {"state", core::disclosure_state_name(d.state)},
              {"decided_at", d.decided_at ? json(*d.decided_at) : json(nullptr)},
              {"decided_by", or_null(d.decided_by)},
              {"decision_reason", or_null(d.decision_reason)},
              {"run_at", d.run_at ? json(*d.run_at) : json(nullptr)},
              {"run_by", or_null(d.run_by)}};
}

Result<std::string> optional_reason(const Request& req) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, true));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> reason, opt_string(body, "reason"));
  return reason.value_or("");
}

}  // namespace

void register_disclosure_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  const ApiServices* sp = &s;
  // The store's disclosure area (store/audit_disclosures.h); a store
  // without one answers 503 unavailable.
  auto service = [sp]() -> Result<core::AuditDisclosures> {
    DUET_ASSIGN_OR_RETURN(store::AuditDisclosureStore * area, store::audit_disclosure_store(sp->deps.store));
    return core::AuditDisclosures(*area, sp->deps.store);
  };
  r.post("/admin/v1/audit/disclosures",
         auth.operator_request([sp, service](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::string tenant, req_string(body, "tenant_id"));
           DUET_ASSIGN_OR_RETURN(int64_t from, req_int(body, "from"));
           DUET_ASSIGN_OR_RETURN(int64_t to, req_int(body, "to"));
           DUET_ASSIGN_OR_RETURN(std::string purpose, req_string(body, "purpose"));
           DUET_ASSIGN_OR_RETURN(core::AuditDisclosures svc, service());
           DUET_ASSIGN_OR_RETURN(store::AuditDisclosure d,
                                 svc.request(op, tenant, from, to, std::move(purpose), sp->deps.clock.now()));
           return json_response(201, disclosure_json(d));
         }, {core::kRoleAuditor}));
  r.get("/admin/v1/audit/disclosures",
        auth.operator_request([service](const Request&, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::AuditDisclosures svc, service());
          DUET_ASSIGN_OR_RETURN(std::vector<store::AuditDisclosure> ds, svc.list());
          json arr = json::array();
          for (const auto& d : ds) arr.push_back(disclosure_json(d));
          return json_response(200, json{{"disclosures", std::move(arr)}});
        }, kReaders));
  r.get("/admin/v1/audit/disclosures/{disclosure_id}",
        auth.operator_request([service](const Request& req, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::AuditDisclosures svc, service());
          DUET_ASSIGN_OR_RETURN(store::AuditDisclosure d, svc.get(req.param("disclosure_id")));
          return json_response(200, disclosure_json(d));
        }, kReaders));
  r.post("/admin/v1/audit/disclosures/{disclosure_id}/approve",
         auth.operator_request([sp, service](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(std::string reason, optional_reason(req));
           DUET_ASSIGN_OR_RETURN(core::AuditDisclosures svc, service());
           DUET_ASSIGN_OR_RETURN(store::AuditDisclosure d,
                                 svc.approve(op, req.param("disclosure_id"), std::move(reason),
                                                   sp->deps.clock.now()));
           return json_response(200, disclosure_json(d));
         }, {core::kRoleSecurityOfficer}));
  r.post("/admin/v1/audit/disclosures/{disclosure_id}/refuse",
         auth.operator_request([sp, service](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(std::string reason, optional_reason(req));
           DUET_ASSIGN_OR_RETURN(core::AuditDisclosures svc, service());
           DUET_ASSIGN_OR_RETURN(store::AuditDisclosure d,
                                 svc.refuse(op, req.param("disclosure_id"), std::move(reason),
                                                  sp->deps.clock.now()));
           return json_response(200, disclosure_json(d));
         }, {core::kRoleSecurityOfficer}));
  r.post("/admin/v1/audit/disclosures/{disclosure_id}/run",
         auth.operator_request([sp, service](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::AuditDisclosures svc, service());
           DUET_ASSIGN_OR_RETURN(core::DisclosureRun run,
                                 svc.run(op, req.param("disclosure_id"), sp->deps.clock.now()));
           // The events' JSON is core/audit_json.h's, verbatim (as GET /admin/v1/audit/events).
           std::string body = "{\"disclosure\":" + disclosure_json(run.disclosure).dump() + ",\"events\":[";
           for (size_t i = 0; i < run.events.size(); ++i) {
             if (i) body += ',';
             body += core::audit_event_json(run.events[i]);
           }
           body += "]}";
           return Response::json(200, std::move(body));
         }, {core::kRoleAuditor}));
}

}  // namespace duet::server
