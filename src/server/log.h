// Structured logs of the daemon: one JSON object per line on stderr
// {"ts":"…","level":"…","event":"…", …fields}. Callers pass only what is safe
// to keep: never secrets, tokens, request bodies or personal data.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace duet::server {

using LogField = std::pair<std::string_view, std::string>;

void log_event(std::string_view level, std::string_view event, std::initializer_list<LogField> fields = {});

// Disables (false) or enables the output, e.g. in tests. Default: enabled.
void set_logging_enabled(bool enabled);

}  // namespace duet::server
