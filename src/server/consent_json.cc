#include "server/consent_json.h"

#include "base/bytes.h"
#include "core/agreements.h"
#include "server/json_body.h"

namespace duet::server {

using json = nlohmann::json;

namespace {
constexpr size_t kMaxConsentItems = 8;
}

Result<std::vector<core::GivenConsent>> parse_consents(const json& body) {
  std::vector<core::GivenConsent> out;
  if (!body.contains("consents")) return out;
  DUET_ASSIGN_OR_RETURN(const json* arr, req_array(body, "consents"));
  if (arr->size() > kMaxConsentItems) return invalid("consents has too many items");
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& item = (*arr)[i];
    std::string prefix = "consents[" + std::to_string(i) + "]";
    if (!item.is_object()) return invalid(prefix + " must be an object");
    core::GivenConsent g;
    DUET_ASSIGN_OR_RETURN(g.document, req_string(item, "document", prefix));
    DUET_ASSIGN_OR_RETURN(g.version, req_string(item, "version", prefix));
    DUET_ASSIGN_OR_RETURN(g.text_sm3_hex, req_string(item, "text_sm3", prefix));
    if (item.contains("accepted_at")) {
      const json& at = item["accepted_at"];
      if (!at.is_number_integer()) return invalid(prefix + ".accepted_at must be an integer (Unix seconds)");
      g.accepted_at = at.get<int64_t>();
    }
    out.push_back(std::move(g));
  }
  return out;
}

json consent_json(const store::HolderConsent& c) {
  return json{{"document", c.document},     {"version", c.version},         {"text_sm3", to_hex(c.text_sm3)},
              {"accepted_at", c.accepted_at}, {"channel", c.channel},       {"attested_by", c.attested_by},
              {"recorded_at", c.recorded_at}};
}

json consents_json(const std::string& holder_id, const std::vector<store::HolderConsent>& consents) {
  json arr = json::array();
  for (const auto& c : consents) arr.push_back(consent_json(c));
  json out{{"holder_id", holder_id}, {"consents", std::move(arr)}};
  // Whether enrollment and issuance may go ahead (core::require_current_consents).
  out["current"] = core::require_current_consents(consents).ok();
  return out;
}

json agreements_json(bool with_text) {
  json arr = json::array();
  for (const core::AgreementText& t : core::agreement_texts()) {
    json j{{"document", t.document}, {"version", t.version}, {"language", t.language},
           {"text_sm3", to_hex(t.sm3)}, {"current", t.current}};
    if (with_text) j["text"] = t.text;
    arr.push_back(std::move(j));
  }
  return json{{"agreements", std::move(arr)}};
}

}  // namespace duet::server
