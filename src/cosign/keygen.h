// Two-party key generation (docs/protocol.md §4): d = (d1·d2)⁻¹ − 1, P = d·G.
// The device and the service are separate types; neither ever forms d.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "cosign/device_state.h"
#include "cosign/messages.h"
#include "cosign/service_key_share.h"

namespace duet::cosign {

// Device role. Holds d1 between its two steps; wiped on destruction.
class DeviceKeygen {
 public:
  // Step 1: random d1, P1 = d1⁻¹·G, proof under kDomainKeygenDevice with
  // context f(holder_id).
  static Result<std::pair<DeviceKeygen, KeygenRequest>> start(std::string holder_id, crypto::RandomSource& rng);

  // Step 3: verifies the service's proof (kBadProof), then wraps d1 under the
  // PIN. `kdf_iterations` >= 1000. One-shot: after a wrap d1 is wiped and a
  // second call is kBadState — two wraps of one share under two PINs would
  // allow a meet-in-the-middle offline PIN test.
  Result<DeviceState> finish(const KeygenResponse& response, std::string_view pin, uint32_t kdf_iterations,
                             crypto::RandomSource& rng);

 private:
  DeviceKeygen(std::string holder_id, crypto::Scalar d1, crypto::Point p1)
      : holder_id_(std::move(holder_id)), d1_(d1), p1_(std::move(p1)) {}
  std::string holder_id_;
  crypto::Scalar d1_;
  crypto::Point p1_;
  bool spent_ = false;
};

// Service role: one step. Verifies the device's proof (kBadProof), draws d2,
// computes P and proves knowledge of d2⁻¹. P1 is not part of the result.
class ServiceKeygen {
 public:
  static Result<std::pair<ServiceKeyShare, KeygenResponse>> respond(std::string_view holder_id,
                                                                    const KeygenRequest& request,
                                                                    crypto::RandomSource& rng);
};

// The proof contexts (exposed for test vectors and other implementations).
Bytes keygen_context(std::string_view holder_id);

}  // namespace duet::cosign
