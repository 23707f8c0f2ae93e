// TOTP against the RFC 6238 Appendix B vectors (SHA-1, 8 digits) and the
// RFC 4226 Appendix D HOTP values; base32 against RFC 4648 §10; Argon2id
// hashes that verify only with their password.
#include <gtest/gtest.h>

#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "crypto/totp.h"

namespace duet::crypto {
namespace {

ByteView rfc_secret() { return as_bytes("12345678901234567890"); }

TEST(Totp, Rfc6238AppendixBSha1Vectors) {
  EXPECT_EQ(totp(rfc_secret(), 59, 8), "94287082");
  EXPECT_EQ(totp(rfc_secret(), 1111111109, 8), "07081804");
  EXPECT_EQ(totp(rfc_secret(), 1111111111, 8), "14050471");
  EXPECT_EQ(totp(rfc_secret(), 1234567890, 8), "89005924");
  EXPECT_EQ(totp(rfc_secret(), 2000000000, 8), "69279037");
  EXPECT_EQ(totp(rfc_secret(), 20000000000, 8), "65353130");
}

TEST(Totp, Rfc4226AppendixDHotpValues) {
  const char* want[] = {"755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(hotp(rfc_secret(), i), want[i]) << i;
}

TEST(Totp, MatchesOneStepEitherSideOnly) {
  EXPECT_TRUE(totp_matches(rfc_secret(), "287082", 59));        // step 1
  EXPECT_TRUE(totp_matches(rfc_secret(), "287082", 59 + 30));   // one step later
  EXPECT_FALSE(totp_matches(rfc_secret(), "287082", 59 + 60));  // two steps later
  EXPECT_FALSE(totp_matches(rfc_secret(), "287083", 59));
  EXPECT_FALSE(totp_matches(rfc_secret(), "28708", 59));
}

// The step a code is of (the replay floor of the portal's sign-in): the
// RFC's "287082" is the code of step 1 (T = 59 s), matched from step 0 to 2.
TEST(Totp, MatchStepNamesTheCodesOwnStep) {
  EXPECT_EQ(totp_match_step(rfc_secret(), "287082", 59), std::optional<int64_t>(1));
  EXPECT_EQ(totp_match_step(rfc_secret(), "287082", 59 + 30), std::optional<int64_t>(1));
  EXPECT_EQ(totp_match_step(rfc_secret(), "287082", 30), std::optional<int64_t>(1));
  EXPECT_EQ(totp_match_step(rfc_secret(), "287082", 59 + 60), std::nullopt);
  EXPECT_EQ(totp_match_step(rfc_secret(), "287083", 59), std::nullopt);
  EXPECT_EQ(totp_match_step(rfc_secret(), "28708", 59), std::nullopt);
  EXPECT_EQ(totp_match_step(rfc_secret(), totp(rfc_secret(), 1111111109), 1111111109),
            std::optional<int64_t>(1111111109 / 30));
}

TEST(Base32, Rfc4648Vectors) {
  EXPECT_EQ(base32_encode(as_bytes("")), "");
  EXPECT_EQ(base32_encode(as_bytes("f")), "MY");
  EXPECT_EQ(base32_encode(as_bytes("fo")), "MZXQ");
  EXPECT_EQ(base32_encode(as_bytes("foo")), "MZXW6");
  EXPECT_EQ(base32_encode(as_bytes("foob")), "MZXW6YQ");
  EXPECT_EQ(base32_encode(as_bytes("fooba")), "MZXW6YTB");
  EXPECT_EQ(base32_encode(as_bytes("foobar")), "MZXW6YTBOI");
  auto back = base32_decode("mzxw6ytboi======");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::string(back->begin(), back->end()), "foobar");
  EXPECT_FALSE(base32_decode("MZXW1").ok());
}

TEST(PasswordHash, Argon2idVerifiesOnlyItsPassword) {
  SystemRandom rng;
  Argon2Params small{1, 1024, 1};
  auto h = hash_password("correct horse", rng, small);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password("correct horse", *h));
  EXPECT_FALSE(verify_password("correct horsE", *h));
  EXPECT_FALSE(verify_password("correct horse", "$argon2i$" + h->substr(10)));
  EXPECT_FALSE(verify_password("correct horse", "garbage"));
  auto h2 = hash_password("correct horse", rng, small);
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h, *h2);  // a fresh salt each time
  EXPECT_FALSE(hash_password(std::string(1025, 'x'), rng, small).ok());
}

}  // namespace
}  // namespace duet::crypto
