#include "server/audit_views.h"

namespace duet::server {

store::AuditEvent request_audit_event(const http::Request& req, store::UnixSeconds now) {
  store::AuditEvent e;
  e.at = now;
  e.actor_type = "anonymous";
  e.action = req.method + " " + (req.route.empty() ? std::string("(no route)") : req.route);
  for (const auto& [name, value] : req.path_params) {
    if (!e.target.empty()) e.target += ' ';
    e.target += name + ":" + value.substr(0, 128);
  }
  e.address = req.remote_address;
  e.request_id = req.request_id;
  e.outcome = "pending";
  return e;
}

store::AuditEvent final_audit_event(store::PendingAuditEvent pending, const std::string& outcome) {
  store::AuditEvent e = std::move(pending.event);
  e.outcome = outcome;
  if (pending.appended > 0)
    e.details = "{\"committed_writes\":" + std::to_string(pending.appended) +
                ",\"last_committed_seq\":" + std::to_string(pending.last_seq) + "}";
  return e;
}

}  // namespace duet::server
