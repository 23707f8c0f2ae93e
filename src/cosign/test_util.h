// Test-only helpers for cosign: run the roles against each other in-process
// (protocol v2: one PIN proof per signing session).
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "crypto/random.h"
#include "crypto/sm2.h"

// `Enrolled& var` for a fresh key of `holder` under `pin`, or the test stops.
#define ASSERT_ENROLLED(var, holder, pin)                                    \
  auto DUET_CONCAT(var, _enrolled) = ::duet::cosign::testing::try_enroll(holder, pin, rng()); \
  ASSERT_TRUE(DUET_CONCAT(var, _enrolled).has_value());                     \
  ::duet::cosign::testing::Enrolled& var = *DUET_CONCAT(var, _enrolled)

namespace duet::cosign::testing {

// The cosign tests name what they share through `using namespace testing`.
using crypto::Point;
using crypto::Scalar;

// The random source of every test (and of ASSERT_ENROLLED's key generation).
inline crypto::SystemRandom& rng() { return crypto::SystemRandom::instance(); }

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
  ServiceKeyShare service;  // as keygen leaves it: P1 stored (format v2)
};

// Both roles of key generation. Fails the calling test (and returns an empty
// optional) if any step fails, so callers never dereference an error.
inline std::optional<Enrolled> try_enroll(const std::string& holder, std::string_view pin, crypto::RandomSource& rng) {
  auto started = DeviceKeygen::start(holder, rng);
  EXPECT_TRUE(started.ok()) << started.error().to_string();
  if (!started.ok()) return std::nullopt;
  auto responded = ServiceKeygen::respond(holder, started->second, rng);
  EXPECT_TRUE(responded.ok()) << responded.error().to_string();
  if (!responded.ok()) return std::nullopt;
  auto state = started->first.finish(responded->second, pin, kTestIterations, rng);
  EXPECT_TRUE(state.ok()) << state.error().to_string();
  if (!state.ok()) return std::nullopt;
  return Enrolled{*state, responded->first};
}

// The digest of each message under `pub` (Z_A with the default ID).
inline std::vector<crypto::Digest> digests_for(const crypto::Point& pub, const std::vector<std::string>& messages) {
  std::vector<crypto::Digest> out;
  for (const auto& m : messages) {
    auto e = crypto::sm2_digest(pub, as_bytes(m));
    EXPECT_TRUE(e.ok());
    out.push_back(e.ok() ? *e : crypto::Digest{});
  }
  return out;
}

inline SignSessionContext session_for(const crypto::Point& pub, const std::vector<std::string>& messages,
                                      std::string order = "ord_1", std::string session = "ses_1") {
  return SignSessionContext{std::move(order), std::move(session), digests_for(pub, messages)};
}

// Runs the four steps of one session; returns the service's verdicts (the
// first failure of any step otherwise). The PIN proof must verify against the
// service's P1 (from the record, or derived for a v1 record) before respond.
inline Result<std::vector<crypto::Sm2Signature>> sign_session(const Enrolled& e, std::string_view pin,
                                                              const SignSessionContext& ctx,
                                                              crypto::RandomSource& rng) {
  DUET_ASSIGN_OR_RETURN(auto started, DeviceSignSession::start(e.device, pin, ctx, rng));
  auto& [device, request] = started;
  DUET_ASSIGN_OR_RETURN(crypto::Point p1, e.service.p1_or_derive());
  DUET_ASSIGN_OR_RETURN(VerifiedSignSession verified, ServiceSigner::verify_session(p1, ctx, request));
  DUET_ASSIGN_OR_RETURN(std::vector<SignResponse> responses, ServiceSigner::respond(e.service, verified, rng));
  DUET_ASSIGN_OR_RETURN(auto finished, device.finish(responses));
  std::vector<crypto::Sm2Signature> out;
  for (size_t i = 0; i < responses.size(); ++i) {
    DUET_ASSIGN_OR_RETURN(crypto::Sm2Signature sig, ServiceSigner::finish(e.service.public_key, ctx.item(i),
                                                                          responses[i].r, finished.first[i]));
    out.push_back(sig);
  }
  return out;
}

// A random source that always returns the same bytes (a broken RNG).
class StuckRandom final : public crypto::RandomSource {
 public:
  void fill(std::span<uint8_t> out) override { std::fill(out.begin(), out.end(), 0x42); }
};

}  // namespace duet::cosign::testing
