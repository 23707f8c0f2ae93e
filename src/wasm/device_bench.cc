#include "wasm/device_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "crypto/random.h"
#include "crypto/sm2.h"

namespace duet::wasm {

DeviceBench bench_device_signing(int sessions, uint32_t kdf_iterations) {
  using Clock = std::chrono::steady_clock;
  DeviceBench out;
  crypto::RandomSource& rng = crypto::SystemRandom::instance();
  const std::string holder = "hld_bench";
  const std::string pin = "246810";
  auto started = cosign::DeviceKeygen::start(holder, rng);
  if (!started.ok()) return out;
  auto responded = cosign::ServiceKeygen::respond(holder, started->second, rng);
  if (!responded.ok()) return out;
  auto state = started->first.finish(responded->second, pin, kdf_iterations, rng);
  if (!state.ok()) return out;
  const cosign::ServiceKeyShare& service = responded->first;
  auto p1 = service.p1_or_derive();
  if (!p1.ok()) return out;
  std::vector<double> times;
  for (int i = 0; i < sessions; ++i) {
    std::string message = "bench message " + std::to_string(i);
    auto e = crypto::sm2_digest(state->public_key, as_bytes(message));
    if (!e.ok()) return out;
    cosign::SignSessionContext ctx{"ord_bench", "ses_bench_" + std::to_string(i), {*e}};
    auto t0 = Clock::now();
    auto device = cosign::DeviceSignSession::start(*state, pin, ctx, rng);
    auto t1 = Clock::now();
    if (!device.ok()) return out;
    auto verified = cosign::ServiceSigner::verify_session(*p1, ctx, device->second);
    if (!verified.ok()) return out;
    auto responses = cosign::ServiceSigner::respond(service, *verified, rng);
    if (!responses.ok()) return out;
    auto t2 = Clock::now();
    auto finished = device->first.finish(*responses);
    auto t3 = Clock::now();
    if (!finished.ok()) return out;
    times.push_back(std::chrono::duration<double, std::milli>((t1 - t0) + (t3 - t2)).count());
  }
  out.sessions = sessions;
  for (double t : times) out.device_ms_total += t;
  std::sort(times.begin(), times.end());
  out.device_ms_median = times.empty() ? 0 : times[times.size() / 2];
  out.ok = !times.empty();
  return out;
}

std::string bench_json(const DeviceBench& b, uint32_t kdf_iterations) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"sessions\":%d,\"kdf_iterations\":%u,\"device_ms_median\":%.3f,\"device_ms_mean\":%.3f,\"ok\":%s}",
                b.sessions, kdf_iterations, b.device_ms_median, b.sessions ? b.device_ms_total / b.sessions : 0.0,
                b.ok ? "true" : "false");
  return buf;
}

}  // namespace duet::wasm
