// duet-device-bench [SESSIONS] [KDF_ITERATIONS]: the native figure beside the
// browser's duet_web_bench_sign (wasm/device_bench.h); prints its JSON.
#include <cstdio>
#include <cstdlib>

#include "wasm/device_bench.h"

int main(int argc, char** argv) {
  int sessions = argc > 1 ? std::atoi(argv[1]) : 20;
  long iterations = argc > 2 ? std::atol(argv[2]) : 100000;
  if (sessions < 1 || sessions > 10000 || iterations < 1 || iterations > 10000000) {
    std::fputs("usage: duet-device-bench [SESSIONS 1..10000] [KDF_ITERATIONS]\n", stderr);
    return 2;
  }
  auto b = duet::wasm::bench_device_signing(sessions, static_cast<uint32_t>(iterations));
  std::puts(duet::wasm::bench_json(b, static_cast<uint32_t>(iterations)).c_str());
  return b.ok ? 0 : 1;
}
