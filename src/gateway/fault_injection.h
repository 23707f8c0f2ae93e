// Fault injection for the gateway's crash tests (docs/gateway.md "Fault
// injection"): the process kills itself with SIGKILL at a named point of the
// outbox, so a test can crash it in a window a timed `kill -9` cannot hit
// reliably (between duetd's answer and the commit of it).
//
// Compiled in only when the build defines DUET_GATEWAY_FAULT_INJECTION (the
// CMake option of the same name, ON only with DUET_BUILD_TESTS); otherwise
// crash_point() is an empty inline function and the environment is not read.
#pragma once

#include <string_view>

namespace duet::gateway {

#ifdef DUET_GATEWAY_FAULT_INJECTION
// SIGKILLs the process when the environment variable
// DUET_GATEWAY_TEST_KILL_AT names `point`; logs nothing (it is a crash).
void crash_point(std::string_view point);
#else
inline void crash_point(std::string_view) {}
#endif

}  // namespace duet::gateway
