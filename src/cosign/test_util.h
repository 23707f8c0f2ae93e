// Test-only helpers for cosign: run the roles against each other in-process.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "crypto/sm2.h"

namespace duet::cosign::testing {

// True when `pin` occurs in `text` other than inside a longer run of hex
// digits. A PIN kept in clear (a JSON string "123456" or number 123456, or
// within other text) is found; a chance run of the PIN's digits inside the
// random hex of keys, salts and ciphertexts (about once in 10^5 states) is not.
inline bool contains_pin_in_clear(const std::string& text, const std::string& pin) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  for (size_t at = text.find(pin); at != std::string::npos; at = text.find(pin, at + 1)) {
    bool inside_hex = (at > 0 && hex(text[at - 1])) || (at + pin.size() < text.size() && hex(text[at + pin.size()]));
    if (!inside_hex) return true;
  }
  return false;
}

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
