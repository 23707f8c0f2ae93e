// The audit event of an HTTP request (docs/audit.md): what the Business,
// Holder and Admin API wrappers of server/request_auth.h record. Only the method,
// route pattern, path ids, client address and request id are taken from the
// request: never its body, query, headers or credentials, so no secret or
// personal data reaches the log (ids are opaque).
#pragma once

#include <string>

#include "http/http.h"
#include "store/write_context.h"

namespace duet::server {

// actor "anonymous" until the wrapper authenticates the caller; action =
// "<METHOD> <route pattern>" (stable per route, e.g. "POST /api/v1/orders");
// target = the route's path parameters "name:value" (ids), space-separated.
store::AuditEvent request_audit_event(const http::Request& req, store::UnixSeconds now);

// The event to queue after the handler: `outcome` ("ok" or an error code
// name); when write transactions already carried the event, details says how
// many and the last seq, so the two records can be matched.
store::AuditEvent final_audit_event(store::PendingAuditEvent pending, const std::string& outcome);

}  // namespace duet::server
