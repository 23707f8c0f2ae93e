// >= 10,000 randomized key generations + signing sessions (1 to 3 items, each
// with its PIN proof), every signature verified by OpenSSL's EVP SM2 verifier. Sharded so ctest runs shards in parallel.
// DUET_RANDOMIZED_ROUNDS overrides the per-shard count (the sanitizer job
// uses fewer rounds).
#include <gtest/gtest.h>

#include <cstdlib>

#include "cosign/test_util.h"
#include "crypto/sm2_evp.h"

namespace duet::cosign {
namespace {

using namespace testing;

int rounds_per_shard() {
  if (const char* env = std::getenv("DUET_RANDOMIZED_ROUNDS")) return std::max(1, std::atoi(env));
  return 1000;
}

class Randomized : public ::testing::TestWithParam<int> {};

TEST_P(Randomized, KeygenSignVerifyWithOpenSsl) {
  crypto::SystemRandom& rng = crypto::SystemRandom::instance();
  const int rounds = rounds_per_shard();
  int verified = 0;
  for (int i = 0; i < rounds; ++i) {
    std::string holder = "hld_" + std::to_string(GetParam()) + "_" + std::to_string(i);
    Bytes pin_bytes(6);
    rng.fill(pin_bytes);
    std::string pin;
    for (uint8_t b : pin_bytes) pin.push_back(static_cast<char>('0' + b % 10));
    auto e = try_enroll(holder, pin, rng);
    ASSERT_TRUE(e.has_value()) << "round " << i;
    std::vector<Bytes> messages(1 + static_cast<size_t>(i % 3));
    SignSessionContext ctx{"ord_" + std::to_string(i), "ses_" + std::to_string(i), {}};
    for (size_t m = 0; m < messages.size(); ++m) {
      messages[m].resize(static_cast<size_t>((i + 97 * m) % 300));
      rng.fill(messages[m]);
      auto digest = crypto::sm2_digest(e->device.public_key, messages[m]);
      ASSERT_TRUE(digest.ok());
      ctx.digests.push_back(*digest);
    }
    auto sigs = sign_session(*e, pin, ctx, rng);
    ASSERT_TRUE(sigs.ok()) << sigs.error().to_string();
    ASSERT_EQ(sigs->size(), messages.size());
    for (size_t m = 0; m < messages.size(); ++m) {
      ASSERT_TRUE(crypto::evp_sm2_verify(e->device.public_key, messages[m], (*sigs)[m].to_der()).ok())
          << "round " << i << " item " << m;
    }
    ++verified;
  }
  EXPECT_EQ(verified, rounds);
}

INSTANTIATE_TEST_SUITE_P(Shards, Randomized, ::testing::Range(0, 10));

}  // namespace
}  // namespace duet::cosign
