#include "store/retention_steps.h"

#include <utility>

#include "crypto/sm3.h"

namespace duet::store {

Status check_purge_actor(std::string_view actor) {
  if (actor.empty()) return make_error(ErrorCode::kInvalidArgument, "purge actor is empty");
  return Status::Ok();
}

AuditEvent purge_event(std::string_view tenant_id, std::string_view actor, std::string_view action,
                       std::string_view target, std::string details, UnixSeconds now) {
  AuditEvent e;
  e.at = now;
  e.tenant_id = std::string(tenant_id);
  e.actor_type = "system";
  e.actor_id = std::string(actor);
  e.action = std::string(action);
  e.target = std::string(target);
  e.outcome = "ok";
  e.details = std::move(details);
  return e;
}

std::string order_payload_purge_details(int64_t items) { return "{\"items\":" + std::to_string(items) + "}"; }

std::string key_share_wipe_details(bool revoked) {
  return std::string("{\"reason\":\"") + (revoked ? "revoked" : "expired") + "\"}";
}

Bytes digest_and_wipe(Bytes& input) {
  crypto::Digest d = crypto::sm3(input);
  secure_wipe(input.data(), input.size());
  return Bytes(d.begin(), d.end());
}

Status check_lease_args(std::string_view name, std::string_view owner, int64_t ttl_seconds) {
  if (name.empty() || owner.empty()) return make_error(ErrorCode::kInvalidArgument, "lease name and owner are required");
  if (ttl_seconds < 1) return make_error(ErrorCode::kInvalidArgument, "lease ttl must be >= 1 s");
  return Status::Ok();
}

}  // namespace duet::store
