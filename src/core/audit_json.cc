#include "core/audit_json.h"

#include <nlohmann/json.hpp>

namespace duet::core {
namespace {

using json = nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> parse(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::kBadEncoding, "not a JSON object");
  return j;
}

Result<std::string> str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return make_error(ErrorCode::kBadEncoding, std::string("field '") + key + "' must be a string");
  return it->get<std::string>();
}

Result<int64_t> num(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    return make_error(ErrorCode::kBadEncoding, std::string("field '") + key + "' must be an integer");
  return it->get<int64_t>();
}

Result<Bytes> hex(const json& j, const char* key) {
  DUET_ASSIGN_OR_RETURN(std::string s, str(j, key));
  return from_hex(s);
}

}  // namespace

std::string audit_event_json(const store::AuditEvent& e, bool with_type) {
  json j;
  if (with_type) j["type"] = "event";
  j["seq"] = e.seq;
  j["at"] = e.at;
  j["tenant_id"] = e.tenant_id;
  j["actor_type"] = e.actor_type;
  j["actor_id"] = e.actor_id;
  j["action"] = e.action;
  j["target"] = e.target;
  j["outcome"] = e.outcome;
  j["address"] = e.address;
  j["request_id"] = e.request_id;
  j["details"] = e.details;
  j["prev_hash"] = to_hex(e.prev_hash);
  j["hash"] = to_hex(e.hash);
  return dump(j);
}

std::string audit_checkpoint_json(const store::AuditCheckpoint& cp, bool with_type) {
  json j;
  if (with_type) j["type"] = "checkpoint";
  j["seq"] = cp.seq;
  j["hash"] = to_hex(cp.hash);
  j["signed_at"] = cp.signed_at;
  j["key_id"] = cp.key_id;
  j["signature"] = to_hex(cp.signature);
  // Chained (v2) checkpoints only: the previous checkpoint's hash.
  if (!cp.prev_hash.empty()) j["prev_hash"] = to_hex(cp.prev_hash);
  return dump(j);
}

std::string audit_key_json(const store::AuditKey& k, bool with_type) {
  json j;
  if (with_type) j["type"] = "key";
  j["key_id"] = k.key_id;
  j["public_key_der"] = to_hex(k.public_key_der);
  j["created_at"] = k.created_at;
  return dump(j);
}

Result<std::string> audit_json_type(std::string_view line) {
  DUET_ASSIGN_OR_RETURN(json j, parse(line));
  return str(j, "type");
}

Result<store::AuditEvent> audit_event_from_json(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse(text));
  store::AuditEvent e;
  DUET_ASSIGN_OR_RETURN(e.seq, num(j, "seq"));
  DUET_ASSIGN_OR_RETURN(e.at, num(j, "at"));
  DUET_ASSIGN_OR_RETURN(e.tenant_id, str(j, "tenant_id"));
  DUET_ASSIGN_OR_RETURN(e.actor_type, str(j, "actor_type"));
  DUET_ASSIGN_OR_RETURN(e.actor_id, str(j, "actor_id"));
  DUET_ASSIGN_OR_RETURN(e.action, str(j, "action"));
  DUET_ASSIGN_OR_RETURN(e.target, str(j, "target"));
  DUET_ASSIGN_OR_RETURN(e.outcome, str(j, "outcome"));
  DUET_ASSIGN_OR_RETURN(e.address, str(j, "address"));
  DUET_ASSIGN_OR_RETURN(e.request_id, str(j, "request_id"));
  DUET_ASSIGN_OR_RETURN(e.details, str(j, "details"));
  DUET_ASSIGN_OR_RETURN(e.prev_hash, hex(j, "prev_hash"));
  DUET_ASSIGN_OR_RETURN(e.hash, hex(j, "hash"));
  return e;
}

Result<store::AuditCheckpoint> audit_checkpoint_from_json(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse(text));
  store::AuditCheckpoint cp;
  DUET_ASSIGN_OR_RETURN(cp.seq, num(j, "seq"));
  DUET_ASSIGN_OR_RETURN(cp.hash, hex(j, "hash"));
  DUET_ASSIGN_OR_RETURN(cp.signed_at, num(j, "signed_at"));
  DUET_ASSIGN_OR_RETURN(cp.key_id, str(j, "key_id"));
  DUET_ASSIGN_OR_RETURN(cp.signature, hex(j, "signature"));
  if (j.contains("prev_hash")) {
    DUET_ASSIGN_OR_RETURN(cp.prev_hash, hex(j, "prev_hash"));
  }
  return cp;
}

Result<store::AuditKey> audit_key_from_json(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse(text));
  store::AuditKey k;
  DUET_ASSIGN_OR_RETURN(k.key_id, str(j, "key_id"));
  DUET_ASSIGN_OR_RETURN(k.public_key_der, hex(j, "public_key_der"));
  DUET_ASSIGN_OR_RETURN(k.created_at, num(j, "created_at"));
  return k;
}

}  // namespace duet::core
