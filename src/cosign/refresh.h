// Share refresh (docs/protocol.md §7): d1' = d1·ρ, d2' = d2·ρ⁻¹. The product
// d1·d2, and so the public key, is unchanged; an old share combined with a new
// one yields garbage. Used to move a holder to a new phone while the old one
// (and the PIN) is present.
//
// Three messages. The service keeps signing with d2 until RefreshConfirm
// proves that the device holds d1', then switches to d2' in one transaction.
// Both device messages are PIN uses: the service commits an attempt before it
// verifies either proof. A PIN change is a refresh with the new PIN (never a
// local re-wrap: two wraps of one d1 under two PINs allow a meet-in-the-middle
// offline test).
//
// What the device may keep while a refresh is open: the refresh id and the
// NEW wrap only — never the old and the new wrap together, and never a proof
// (a proof reveals P1', which tests PINs against the wrap offline). To resume
// after an interruption it rebuilds the confirm from those two
// (DeviceRefresh::confirm_again).
#pragma once

#include <string>
#include <utility>

#include "cosign/device_state.h"
#include "cosign/messages.h"
#include "cosign/service_key_share.h"

namespace duet::cosign {

// Context of the request and response proofs: f(holder_id) ‖ f(refresh_id) ‖ f(ρ).
Bytes refresh_context(std::string_view holder_id, std::string_view refresh_id, const crypto::Scalar& rho);
// Context of the confirm proof: f(holder_id) ‖ f(refresh_id). The service binds
// the refresh id to its pending share, so ρ is not needed here.
Bytes refresh_confirm_context(std::string_view holder_id, std::string_view refresh_id);

class DeviceRefresh {
 public:
  // Unwraps d1 with the PIN, draws ρ, proves knowledge of d1⁻¹ for
  // P1 = d1⁻¹·G (which the service keeps sealed with d2).
  static Result<std::pair<DeviceRefresh, RefreshRequest>> start(const DeviceState& state, std::string_view pin,
                                                                std::string refresh_id, crypto::RandomSource& rng);

  // Verifies the service's proof, wraps d1·ρ under `new_pin` (may equal the
  // old one) and proves possession for the confirm message. One-shot: after
  // a wrap d1 and ρ are wiped and a second call is kBadState (two wraps of
  // one share under two PINs allow a meet-in-the-middle offline test).
  Result<std::pair<DeviceState, RefreshConfirm>> finish(const RefreshResponse& response, std::string_view new_pin,
                                                        uint32_t kdf_iterations, crypto::RandomSource& rng);

  // Rebuilds the confirm message from what a device keeps while a refresh is
  // open (the new wrap and the refresh id), with the PIN that wrap was made
  // under. A wrong PIN yields a confirm the service refuses (counted).
  static Result<RefreshConfirm> confirm_again(const DeviceState& new_state, std::string_view pin,
                                              std::string_view refresh_id, crypto::RandomSource& rng);

  const std::string& refresh_id() const { return refresh_id_; }

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
  bool spent_ = false;
};

class ServiceRefresh {
 public:
  // The caller has ALREADY committed one attempt. Verifies the request
  // against the sealed P1 (a wrong PIN fails here with kPinInvalid) and
  // returns the pending share (d2·ρ⁻¹, P1' = ρ⁻¹·P1) with the response.
  static Result<std::pair<ServiceKeyShare, RefreshResponse>> respond(const ServiceKeyShare& current,
                                                                     std::string_view holder_id,
                                                                     std::string_view refresh_id,
                                                                     const RefreshRequest& request,
                                                                     crypto::RandomSource& rng);

  // The caller has ALREADY committed one attempt. Checks the device's
  // confirmation against the pending share's P1' (kPinInvalid if it fails).
  static Status confirm(const ServiceKeyShare& pending, std::string_view holder_id, std::string_view refresh_id,
                        const RefreshConfirm& confirm);
};

}  // namespace duet::cosign
