#include "server/notice_routes.h"

#include <initializer_list>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/operator_roles.h"
#include "httpclient/smtp_client.h"
#include "server/json_body.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

constexpr std::initializer_list<std::string_view> kReaders = {core::kRoleOperator, core::kRoleSecurityOfficer};
constexpr std::initializer_list<std::string_view> kWriters = {core::kRoleOperator};

json contact_json(std::string_view tenant_id, const std::string& email) {
  return json{{"tenant_id", tenant_id}, {"email", email.empty() ? json(nullptr) : json(email)}};
}

}  // namespace

void register_notice_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  core::CoreDeps deps = s.deps;
  r.get("/admin/v1/tenants/{tenant_id}/contact-email",
        auth.operator_request([deps](const Request& req, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(std::string email, deps.store.get_tenant_contact_email(req.param("tenant_id")));
          return json_response(200, contact_json(req.param("tenant_id"), email));
        }, kReaders));

  r.put("/admin/v1/tenants/{tenant_id}/contact-email",
        auth.operator_request([deps](const Request& req, const core::OperatorContext& op) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
          std::string email;
          if (auto it = body.find("email"); it != body.end() && !it->is_null()) {
            if (!it->is_string()) return invalid("field 'email' must be a string or null");
            email = it->get<std::string>();
            if (!httpclient::plausible_mail_address(email))
              return invalid("field 'email' must be one mail address (local@domain)");
          }
          DUET_TRY_STATUS(deps.store.set_tenant_contact_email(op.write, req.param("tenant_id"), email, deps.clock.now()));
          return json_response(200, contact_json(req.param("tenant_id"), email));
        }, kWriters));

  r.get("/admin/v1/tenants/{tenant_id}/notice-mails",
        auth.operator_request([deps](const Request& req, const core::OperatorContext&) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(size_t limit, parse_limit(req, 50));
          DUET_TRY_STATUS(deps.store.get_tenant(req.param("tenant_id")));
          DUET_ASSIGN_OR_RETURN(std::vector<store::NoticeMailState> states,
                                deps.store.list_notice_mail_states(req.param("tenant_id"), limit));
          json arr = json::array();
          for (const auto& m : states)
            arr.push_back(json{{"notice_id", m.notice_id},
                               {"state", m.state},
                               {"attempts", m.attempts},
                               {"last_error", m.last_error.empty() ? json(nullptr) : json(m.last_error)},
                               {"sent_at", m.sent_at ? json(*m.sent_at) : json(nullptr)}});
          return json_response(200, json{{"notice_mails", std::move(arr)}});
        }, kReaders));
}

}  // namespace duet::server
