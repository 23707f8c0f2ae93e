#include "server/metering_views.h"

#include <limits>
#include <string>

namespace duet::server {

using nlohmann::json;

json package_json(const store::Package& p, store::UnixSeconds now) {
  const bool unlimited = p.kind == store::PackageKind::kUnlimited;
  core::PackageState st = core::package_state(p, now);
  return json{{"package_id", p.package_id},
              {"kind", core::package_kind_name(p.kind)},
              {"quantity", unlimited ? json(nullptr) : json(p.quantity)},
              {"used", p.used},
              {"remaining", st.remaining ? json(*st.remaining) : json(nullptr)},
              {"status", st.status},
              {"starts_at", p.starts_at},
              {"expires_at", p.expires_at},
              {"source", p.source},
              {"note", p.note},
              {"created_at", p.created_at}};
}

json notice_json(const store::Notice& n) {
  json j{{"notice_id", n.notice_id},
         {"package_id", n.package_id.empty() ? json(nullptr) : json(n.package_id)},
         {"kind", core::notice_kind_name(n.kind)},
         {"created_at", n.created_at},
         {"webhook", n.webhook_state}};
  if (n.effective_at) j["effective_at"] = *n.effective_at;
  if (!n.subject_id.empty()) j["subject_id"] = n.subject_id;
  return j;
}

namespace {
Unexpected bad(const std::string& m) { return make_error(ErrorCode::kInvalidArgument, m); }

Result<std::optional<int64_t>> int_field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return bad(std::string("field '") + key + "' must be an integer");
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return bad(std::string("field '") + key + "' is out of range");
  return std::optional<int64_t>(it->get<int64_t>());
}
}  // namespace

Result<core::NewPackage> parse_new_package(const json& body) {
  if (!body.is_object()) return bad("the body must be a JSON object");
  auto kind = body.find("kind");
  if (kind == body.end() || !kind->is_string()) return bad("field 'kind' is required");
  auto parsed = core::parse_package_kind(kind->get<std::string>());
  if (!parsed) return bad("kind must be per_signature, per_user or unlimited");
  core::NewPackage p;
  p.kind = *parsed;
  DUET_ASSIGN_OR_RETURN(std::optional<int64_t> quantity, int_field(body, "quantity"));
  if (p.kind == store::PackageKind::kUnlimited) {
    if (quantity && *quantity != 0) return bad("an unlimited package takes no quantity");
  } else {
    if (!quantity) return bad("field 'quantity' is required");
    p.quantity = *quantity;
  }
  DUET_ASSIGN_OR_RETURN(p.starts_at, int_field(body, "starts_at"));
  if (auto note = body.find("note"); note != body.end() && !note->is_null()) {
    if (!note->is_string()) return bad("field 'note' must be a string");
    p.note = note->get<std::string>();
  }
  return p;
}

}  // namespace duet::server
