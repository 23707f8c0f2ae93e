// The device role's share of a signing session, timed: key generation once
// (both roles in-process, the device's state wrapped under a PIN with
// `kdf_iterations`), then `sessions` one-item sessions, timing only the
// device's steps 1 and 3 (DeviceSignSession::start: the PIN unwrap (PBKDF2)
// and nonce and proofs; finish: s and its check under P). Compiled into the
// WebAssembly device (duet_web_bench_sign) and natively (duet-device-bench),
// so the browser test compares the two on the same machine in the same run.
#pragma once

#include <cstdint>
#include <string>

namespace duet::wasm {

struct DeviceBench {
  int sessions = 0;
  double device_ms_total = 0;  // steps 1 + 3 of every session
  double device_ms_median = 0;
  bool ok = false;
};

DeviceBench bench_device_signing(int sessions, uint32_t kdf_iterations);
// {"sessions":…,"kdf_iterations":…,"device_ms_median":…,"device_ms_mean":…,"ok":…}
std::string bench_json(const DeviceBench& b, uint32_t kdf_iterations);

}  // namespace duet::wasm
