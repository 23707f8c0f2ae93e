// The [sla] and [limits] tables of duetd's TOML config (documented in
// docs/configuration.md), parsed from the config text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"

namespace duet::server {

// Reads [sla] and [limits] (absent tables keep the defaults); unknown keys
// and bad values are kInvalidArgument.
Status parse_sla_config(std::string_view toml_text, core::SlaConfig& sla, core::LimitsConfig& limits);

// The keys parse_sla_config accepts, from its key tables: "sla.<key>",
// "sla.signature_tiers[].<key>", "sla.day_tiers[].<key>", "limits.<key>".
std::vector<std::string> sla_config_keys();

}  // namespace duet::server
