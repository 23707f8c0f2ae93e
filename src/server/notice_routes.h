// Notices that reach people (issue 14 item 6, docs/metering.md "Notices"),
// Admin API, behind RequestAuth::operator_request:
//   GET /admin/v1/tenants/{tenant_id}/contact-email      (operator, security officer)
//   PUT /admin/v1/tenants/{tenant_id}/contact-email      {email: "a@b" | null}  (operator; audited)
//   GET /admin/v1/tenants/{tenant_id}/notice-mails[?limit=N]  the e-mail delivery of its notices
// The address is business data; it is never logged (the audit event names
// the tenant, not the address).
#pragma once

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

void register_notice_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
