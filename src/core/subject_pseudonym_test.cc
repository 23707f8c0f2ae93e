// The certificate subject pseudonym (core/subject_pseudonym.h).
#include <gtest/gtest.h>
#include "base/result_testing.h"
#include "core/subject_pseudonym.h"
#include "crypto/random.h"
#include "pki/lint.h"

namespace duet::core {
namespace {

// The subject pseudonym can never look like a raw ID number to the pre-issuance
// lint, even for the hashes whose plain hex did (then the holder could never be
// certified); it stays the same for the same hash.
TEST(SubjectPseudonym, NeverLooksLikeAnIdNumber) {
  // A hash whose first 18 hex digits form an ID number with a valid check digit.
  std::string id;
  for (char seq = '0'; seq <= '9' && id.empty(); ++seq) {
    for (char check = '0'; check <= '9' && id.empty(); ++check) {
      std::string candidate = std::string("1101051949123100") + seq + check;
      if (pki::looks_like_resident_id(candidate)) id = candidate;
    }
  }
  ASSERT_FALSE(id.empty());
  ASSERT_OK_AND_ASSIGN(Bytes hash, from_hex(id + "aabbccddeeff00112233445566778899aabbccddeeff0011"));
  ASSERT_EQ(hash.size(), 33u);
  ASSERT_TRUE(pki::looks_like_resident_id(to_hex(hash).substr(0, 32)));  // the old form
  std::string p = subject_pseudonym(hash);
  EXPECT_FALSE(pki::looks_like_resident_id(p)) << p;
  EXPECT_EQ(p, id.substr(0, 8) + "-" + id.substr(8, 8) + "-" + id.substr(16, 2) + "aabbcc-ddeeff00");
  EXPECT_EQ(subject_pseudonym(hash), p);
  // All-digit hashes of every kind: no run of more than 8 digits survives.
  crypto::SystemRandom& rng = crypto::SystemRandom::instance();
  for (int i = 0; i < 2000; ++i) {
    Bytes h(32);
    rng.fill(h);
    for (auto& b : h) b = static_cast<uint8_t>(((b >> 4) % 10) << 4 | (b & 0x0f) % 10);
    std::string q = subject_pseudonym(h);
    ASSERT_EQ(q.size(), 35u);
    ASSERT_FALSE(pki::looks_like_resident_id(q)) << q;
  }
}

}  // namespace
}  // namespace duet::core
