// The [sla] and [limits] tables of duetd's TOML config (documented in
// server/daemon.h), parsed from the config text.
#pragma once

#include <string_view>

#include "base/result.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"

namespace duet::server {

// Reads [sla] and [limits] (absent tables keep the defaults); unknown keys
// and bad values are kInvalidArgument.
Status parse_sla_config(std::string_view toml_text, core::SlaConfig& sla, core::LimitsConfig& limits);

}  // namespace duet::server
