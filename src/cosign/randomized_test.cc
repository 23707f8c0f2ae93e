// >= 10,000 randomized key generations + signatures, each verified by
// OpenSSL's EVP SM2 verifier. Sharded so ctest runs shards in parallel.
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
    Enrolled e = enroll(holder, pin, rng);
    Bytes msg(static_cast<size_t>(i % 300));
    rng.fill(msg);
    SignContext ctx = context_for(e.device.public_key, msg, "ord_" + std::to_string(i), "ses_" + std::to_string(i));
    auto sig = sign_once(e, pin, ctx, rng);
    ASSERT_TRUE(sig.ok()) << sig.error().to_string();
    ASSERT_TRUE(crypto::evp_sm2_verify(e.device.public_key, msg, sig->to_der()).ok()) << "round " << i;
    ++verified;
  }
  EXPECT_EQ(verified, rounds);
}

INSTANTIATE_TEST_SUITE_P(Shards, Randomized, ::testing::Range(0, 10));

}  // namespace
}  // namespace duet::cosign
