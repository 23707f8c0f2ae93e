// Share refresh (docs/protocol.md §7): d1' = d1·ρ, d2' = d2·ρ⁻¹. The product
// d1·d2, and so the public key, is unchanged; an old share combined with a new
// one yields garbage. Used to move a holder to a new phone while the old one
// (and the PIN) is present.
//
// Three messages. The service keeps signing with d2 until RefreshConfirm
// proves that the device holds d1', then switches to d2' in one transaction.
// Confirm is idempotent so a lost acknowledgement can be retried.
#pragma once

#include <string>
#include <utility>

#include "cosign/device_state.h"
#include "cosign/messages.h"
#include "cosign/service_key_share.h"

namespace duet::cosign {

Bytes refresh_context(std::string_view holder_id, std::string_view refresh_id, const crypto::Scalar& rho);

class DeviceRefresh {
 public:
  // Unwraps d1 with the PIN, draws ρ, proves knowledge of d1⁻¹ for
  // P1 = d1⁻¹·G (which the service recomputes as d2·(P + G)).
  static Result<std::pair<DeviceRefresh, RefreshRequest>> start(const DeviceState& state, std::string_view pin,
                                                                std::string refresh_id, crypto::RandomSource& rng);

  // Verifies the service's proof, wraps d1·ρ under `new_pin` (may equal the
  // old one) and proves possession for the confirm message.
  Result<std::pair<DeviceState, RefreshConfirm>> finish(const RefreshResponse& response, std::string_view new_pin,
                                                        uint32_t kdf_iterations, crypto::RandomSource& rng) const;

 private:
  DeviceRefresh(std::string holder_id, std::string refresh_id, crypto::Scalar d1, crypto::Scalar rho,
                crypto::Point public_key)
      : holder_id_(std::move(holder_id)), refresh_id_(std::move(refresh_id)), d1_(d1), rho_(rho),
        public_key_(std::move(public_key)) {}
  std::string holder_id_;
  std::string refresh_id_;
  crypto::Scalar d1_;
  crypto::Scalar rho_;
  crypto::Point public_key_;
};

class ServiceRefresh {
 public:
  // Verifies the request against P1 = d2·(P + G) (a wrong PIN fails here with
  // kBadProof, and counts as a failed attempt for the caller), and returns the
  // pending share d2·ρ⁻¹ with the response.
  static Result<std::pair<ServiceKeyShare, RefreshResponse>> respond(const ServiceKeyShare& current,
                                                                     std::string_view holder_id,
                                                                     std::string_view refresh_id,
                                                                     const RefreshRequest& request,
                                                                     crypto::RandomSource& rng);

  // Checks the device's confirmation against the pending share.
  static Status confirm(const ServiceKeyShare& pending, std::string_view holder_id, std::string_view refresh_id,
                        const crypto::Scalar& rho, const RefreshConfirm& confirm);
};

}  // namespace duet::cosign
