// JSON of the consent routes (docs/consent.md, docs/api/openapi.yaml): the
// "consents" array a caller sends, a recorded acceptance, the agreement texts.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "core/consent.h"
#include "store/records.h"

namespace duet::server {

// The optional "consents" array of `body` (absent: none). Each item:
// {"document", "version", "text_sm3", "accepted_at"?}; at most 8 items.
Result<std::vector<core::GivenConsent>> parse_consents(const nlohmann::json& body);

nlohmann::json consent_json(const store::HolderConsent& c);
nlohmann::json consents_json(const std::string& holder_id, const std::vector<store::HolderConsent>& consents);

// GET /app/v1/agreements: every known version, the current ones marked,
// with the text (with_text) or without.
nlohmann::json agreements_json(bool with_text);

}  // namespace duet::server
