#include "server/statement_routes.h"

#include <initializer_list>
#include <string_view>

#include "core/operator_roles.h"
#include "server/json_body.h"

namespace duet::server {

using http::Request;
using http::Response;

namespace {

constexpr std::initializer_list<std::string_view> kReaders = {core::kRoleOperator, core::kRoleSecurityOfficer};

Result<Response> answer(const ApiServices& s, const Request& req, std::string_view tenant_id) {
  if (s.statements == nullptr) return make_error(ErrorCode::kUnavailable, "statements are not available");
  std::string format = req.query_param("format").value_or("json");
  if (format != "json" && format != "csv") return invalid("format must be json or csv");
  DUET_ASSIGN_OR_RETURN(core::MonthlyStatement st,
                        s.statements->monthly(tenant_id, req.param("month"), s.deps.clock.now()));
  if (format == "csv") return binary_response(200, core::statement_csv(st), "text/csv; charset=utf-8");
  return Response::json(200, core::statement_json(st));
}

}  // namespace

void register_statement_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  const ApiServices* sp = &s;
  r.get("/api/v1/statements/{month}",
        auth.signed_business_request([sp](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          return answer(*sp, req, ctx.tenant_id);
        }));
  r.get("/admin/v1/tenants/{tenant_id}/statements/{month}",
        auth.operator_request([sp](const Request& req, const core::OperatorContext&) -> Result<Response> {
          return answer(*sp, req, req.param("tenant_id"));
        }, kReaders));
}

}  // namespace duet::server
