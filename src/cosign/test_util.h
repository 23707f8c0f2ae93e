// Test-only helpers for cosign: run the roles against each other in-process.
#pragma once

#include <gtest/gtest.h>

#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "crypto/sm2.h"

namespace duet::cosign::testing {

// Few KDF iterations keep the many-round tests fast; production uses 100,000.
inline constexpr uint32_t kTestIterations = 1000;

struct Enrolled {
  DeviceState device;
  ServiceKeyShare service;
};

inline Enrolled enroll(const std::string& holder, std::string_view pin, crypto::RandomSource& rng) {
  auto [keygen, request] = *DeviceKeygen::start(holder, rng);
  auto [share, response] = *ServiceKeygen::respond(holder, request, rng);
  auto state = keygen.finish(response, pin, kTestIterations, rng);
  EXPECT_TRUE(state.ok()) << state.error().to_string();
  return Enrolled{*state, share};
}

inline SignContext context_for(const crypto::Point& pub, ByteView message, std::string order = "ord_1",
                               std::string session = "ses_1") {
  return SignContext{std::move(order), std::move(session), *crypto::sm2_digest(pub, message)};
}

// Runs the four steps; returns the service's verdict.
inline Result<crypto::Sm2Signature> sign_once(const Enrolled& e, std::string_view pin, const SignContext& ctx,
                                              crypto::RandomSource& rng) {
  DUET_ASSIGN_OR_RETURN(auto started, DeviceSigner::start(e.device, pin, ctx, rng));
  auto& [device, request] = started;
  DUET_ASSIGN_OR_RETURN(SignResponse response, ServiceSigner::respond(e.service, ctx, request, rng));
  DUET_ASSIGN_OR_RETURN(auto finished, device.finish(response));
  return ServiceSigner::finish(e.service.public_key, ctx, response.r, finished.first);
}

// A random source that always returns the same bytes (a broken RNG).
class StuckRandom final : public crypto::RandomSource {
 public:
  void fill(std::span<uint8_t> out) override { std::fill(out.begin(), out.end(), 0x42); }
};

}  // namespace duet::cosign::testing
