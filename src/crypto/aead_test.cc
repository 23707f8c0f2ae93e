#include "base/result_testing.h"
#include "crypto/aead.h"
#include "crypto/random.h"

#include <gtest/gtest.h>

namespace duet::crypto {
namespace {

using ::duet::testing_support::ok_value;

class AeadTest : public ::testing::TestWithParam<AeadAlgorithm> {};

TEST_P(AeadTest, RoundTripAndTamperDetection) {
  AeadAlgorithm alg = GetParam();
  DeterministicRandom rng(as_bytes("aead"));
  Bytes key(aead_key_size(alg)), nonce(kAeadNonceSize), pt(100);
  rng.fill(key); rng.fill(nonce); rng.fill(pt);
  Bytes aad = {1, 2, 3};
  auto sealed = aead_seal(alg, key, nonce, aad, pt);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), pt.size() + kAeadTagSize);
  auto opened = aead_open(alg, key, nonce, aad, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(Bytes(opened->view().begin(), opened->view().end()), pt);

  for (size_t i : {size_t{0}, size_t{50}, sealed->size() - 1}) {
    Bytes bad = *sealed;
    bad[i] ^= 0x80;
    EXPECT_EQ(aead_open(alg, key, nonce, aad, bad).code(), ErrorCode::kBadEncoding) << i;
  }
  Bytes aad2 = {1, 2, 4};
  EXPECT_EQ(aead_open(alg, key, nonce, aad2, *sealed).code(), ErrorCode::kBadEncoding);
  Bytes nonce2 = nonce;
  nonce2[0] ^= 1;
  EXPECT_EQ(aead_open(alg, key, nonce2, aad, *sealed).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(aead_open(alg, key, nonce, aad, ByteView(sealed->data(), 10)).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(aead_seal(alg, ByteView(key.data(), 5), nonce, aad, pt).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(aead_seal(alg, key, ByteView(nonce.data(), 8), aad, pt).code(), ErrorCode::kInvalidArgument);
  // Empty plaintext still authenticates.
  auto empty = aead_seal(alg, key, nonce, aad, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(aead_open(alg, key, nonce, aad, *empty).ok());
}

INSTANTIATE_TEST_SUITE_P(Both, AeadTest, ::testing::Values(AeadAlgorithm::kSm4Gcm, AeadAlgorithm::kAes256Gcm));

TEST(Aead, Names) {
  EXPECT_EQ(ok_value(aead_from_name("sm4-gcm")), AeadAlgorithm::kSm4Gcm);
  EXPECT_EQ(ok_value(aead_from_name("aes-256-gcm")), AeadAlgorithm::kAes256Gcm);
  EXPECT_EQ(aead_from_name("rot13").code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace duet::crypto
