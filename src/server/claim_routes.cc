#include "server/claim_routes.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/operator_roles.h"
#include "server/json_body.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

constexpr std::initializer_list<std::string_view> kReaders = {core::kRoleOperator, core::kRoleSecurityOfficer};
constexpr std::initializer_list<std::string_view> kWriters = {core::kRoleOperator};

std::string_view state_name(store::SlaClaimState s) {
  switch (s) {
    case store::SlaClaimState::kApproved: return "approved";
    case store::SlaClaimState::kRefused: return "refused";
    case store::SlaClaimState::kFiled: break;
  }
  return "filed";
}

json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json terms_json(const store::SlaTermsVersion& v, bool with_document) {
  json j{{"version", v.version},
         {"digest_sm3", v.digest_hex},
         {"recorded_at", v.recorded_at},
         {"recorded_by", v.recorded_by}};
  if (with_document) {
    json doc = json::parse(v.document, nullptr, false);
    j["document"] = doc.is_discarded() ? json(nullptr) : doc;
    j["document_text"] = v.document;  // the exact bytes the digest is over
  }
  return j;
}

json credit_json(const store::SlaCredit& c) {
  json basis = json::parse(c.basis, nullptr, false);
  return json{{"credit_id", c.credit_id},
              {"kind", c.kind == store::SlaCreditKind::kDays ? "days" : "signatures"},
              {"band", c.band},
              {"amount", c.amount},
              {"basis", basis.is_discarded() ? json(nullptr) : basis},
              {"state", c.state == store::SlaCreditState::kApproved ? "approved" : "proposed"},
              {"approved_at", c.approved_at ? json(*c.approved_at) : json(nullptr)},
              {"package_id", or_null(c.package_id)}};
}

json review_json(const core::ClaimReview& r) {
  json j = sla_claim_json(r.claim);
  json credits = json::array();
  for (const auto& c : r.credits) credits.push_back(credit_json(c));
  j["credits"] = std::move(credits);
  if (r.report) {
    const core::SlaFigures& f = r.report->figures;
    std::string_view band = core::band_name(core::band_for(f));
    j["figures"] = json{{"availability_pct", f.availability_pct},
                        {"available_minutes", f.available_minutes},
                        {"unavailable_minutes", f.unavailable_minutes},
                        {"excluded_minutes", f.excluded_minutes},
                        {"longest_outage_minutes", f.longest_outage_minutes},
                        {"band", band.empty() ? json(nullptr) : json(band)}};
    j["judged_by_terms"] = json{{"version", or_null(r.report->terms.version)},
                                {"digest_sm3", or_null(r.report->terms.digest_hex)},
                                {"percent_base", core::percent_base_name(r.report->terms.table.percent_base)},
                                {"batch_counting", core::batch_counting_name(r.report->terms.batch_counting)}};
  }
  return j;
}

Result<core::CompensationClaimService*> ready(const ApiServices& s) {
  if (s.claims == nullptr) return make_error(ErrorCode::kUnavailable, "SLA claims are not available");
  return s.claims;
}

Result<std::string> optional_reason(const Request& req) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, true));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> reason, opt_string(body, "reason"));
  return reason.value_or("");
}

void admin_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  const ApiServices* sp = &s;
  r.post("/admin/v1/sla/terms",
         auth.operator_request([sp](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
           DUET_ASSIGN_OR_RETURN(store::SlaTermsVersion v, c->record_terms(op, req.body, sp->deps.clock.now()));
           return json_response(201, terms_json(v, false));
         }, kWriters));
  r.get("/admin/v1/sla/terms",
        auth.operator_request([sp](const Request&, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(std::vector<store::SlaTermsVersion> vs, c->list_terms());
          json arr = json::array();
          for (const auto& v : vs) arr.push_back(terms_json(v, false));
          return json_response(200, json{{"terms", std::move(arr)}});
        }, kReaders));
  r.get("/admin/v1/sla/terms/{version}",
        auth.operator_request([sp](const Request& req, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(store::SlaTermsVersion v, c->get_terms(req.param("version")));
          return json_response(200, terms_json(v, true));
        }, kReaders));
  r.put("/admin/v1/tenants/{tenant_id}/sla-terms",
        auth.operator_request([sp](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
          DUET_ASSIGN_OR_RETURN(std::string version, req_string(body, "version"));
          DUET_ASSIGN_OR_RETURN(store::TenantSlaTerms pin, c->pin_terms(op, std::string(req.param("tenant_id")),
                                                                        version, sp->deps.clock.now()));
          return json_response(200, json{{"tenant_id", pin.tenant_id},
                                         {"version", pin.version},
                                         {"pinned_at", pin.pinned_at},
                                         {"pinned_by", pin.pinned_by}});
        }, kWriters));
  r.get("/admin/v1/sla/claims",
        auth.operator_request([sp](const Request& req, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(std::vector<store::SlaClaim> cs, c->claims(req.query_param("tenant").value_or("")));
          json arr = json::array();
          for (const auto& x : cs) arr.push_back(sla_claim_json(x));
          return json_response(200, json{{"claims", std::move(arr)}});
        }, kReaders));
  r.get("/admin/v1/sla/claims/{claim_id}",
        auth.operator_request([sp](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(core::ClaimReview rv, c->review(op, req.param("claim_id"), sp->deps.clock.now()));
          return json_response(200, review_json(rv));
        }, kReaders));
  r.post("/admin/v1/sla/claims/{claim_id}/approve",
         auth.operator_request([sp](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
           DUET_ASSIGN_OR_RETURN(std::string reason, optional_reason(req));
           DUET_ASSIGN_OR_RETURN(core::ClaimReview rv,
                                 c->approve(op, req.param("claim_id"), std::move(reason), sp->deps.clock.now()));
           return json_response(200, review_json(rv));
         }, kWriters));
  r.post("/admin/v1/sla/claims/{claim_id}/refuse",
         auth.operator_request([sp](const Request& req, const core::OperatorContext& op) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
           DUET_ASSIGN_OR_RETURN(std::string reason, optional_reason(req));
           DUET_ASSIGN_OR_RETURN(core::ClaimReview rv,
                                 c->refuse(op, req.param("claim_id"), std::move(reason), sp->deps.clock.now()));
           return json_response(200, review_json(rv));
         }, kWriters));
}

void business_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  const ApiServices* sp = &s;
  r.get("/api/v1/sla/terms",
        auth.signed_business_request([sp](const Request&, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(std::optional<store::SlaTermsVersion> v, c->tenant_terms(ctx.tenant_id));
          if (!v) return json_response(200, json{{"version", nullptr}});
          return json_response(200, terms_json(*v, true));
        }));
  r.post("/api/v1/sla/claims",
         auth.signed_business_request([sp](const Request& req, const core::AppContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::string month, req_string(body, "month"));
           DUET_ASSIGN_OR_RETURN(std::optional<std::string> statement, opt_string(body, "statement"));
           DUET_ASSIGN_OR_RETURN(store::SlaClaim claim,
                                 c->file(ctx, month, statement.value_or(""), sp->deps.clock.now()));
           return json_response(201, sla_claim_json(claim));
         }));
  r.get("/api/v1/sla/claims",
        auth.signed_business_request([sp](const Request&, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(std::vector<store::SlaClaim> cs, c->tenant_claims(ctx));
          json arr = json::array();
          for (const auto& x : cs) arr.push_back(sla_claim_json(x));
          return json_response(200, json{{"claims", std::move(arr)}});
        }));
  r.get("/api/v1/sla/claims/{claim_id}",
        auth.signed_business_request([sp](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CompensationClaimService * c, ready(*sp));
          DUET_ASSIGN_OR_RETURN(core::ClaimReview rv, c->tenant_claim(ctx, req.param("claim_id")));
          return json_response(200, review_json(rv));
        }));
}

}  // namespace

json sla_claim_json(const store::SlaClaim& c) {
  return json{{"claim_id", c.claim_id},
              {"tenant_id", c.tenant_id},
              {"month", c.month},
              {"statement", c.statement},
              {"filed_by", c.filed_by},
              {"filed_at", c.filed_at},
              {"terms_version", or_null(c.terms_version)},
              {"state", state_name(c.state)},
              {"decided_at", c.decided_at ? json(*c.decided_at) : json(nullptr)},
              {"decided_by", or_null(c.decided_by)},
              {"decision_reason", or_null(c.decision_reason)}};
}

void register_claim_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  admin_routes(r, s, auth);
  business_routes(r, s, auth);
}

}  // namespace duet::server
