// Times in the pki library: whole seconds on the system clock (UTC).
#pragma once

#include <chrono>

namespace duet::pki {

using Time = std::chrono::sys_seconds;
inline Time now_seconds() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

}  // namespace duet::pki
