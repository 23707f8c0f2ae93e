#include "gateway/fault_injection.h"

#ifdef DUET_GATEWAY_FAULT_INJECTION
#include <csignal>
#include <cstdlib>
#include <string>

namespace duet::gateway {

void crash_point(std::string_view point) {
  // Read once: the variable is set when the test starts the process.
  static const std::string wanted = [] {
    const char* v = std::getenv("DUET_GATEWAY_TEST_KILL_AT");
    return std::string(v ? v : "");
  }();
  if (!wanted.empty() && wanted == point) std::raise(SIGKILL);
}

}  // namespace duet::gateway
#endif
