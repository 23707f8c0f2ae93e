// Names of enum values as they appear on the wire.
#pragma once

#include <optional>
#include <string_view>

#include "store/records.h"

namespace duet::core {

std::string_view order_state_name(store::OrderState s);
std::string_view output_format_name(store::OutputFormat f);
std::optional<store::OutputFormat> output_format_from_name(std::string_view name);
std::optional<store::OrderState> order_state_from_name(std::string_view name);
std::string_view holder_status_name(store::HolderStatus s);
std::string_view environment_name(store::AppEnvironment e);

}  // namespace duet::core
