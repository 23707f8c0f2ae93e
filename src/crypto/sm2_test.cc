#include "base/result_testing.h"
#include "crypto/sm2.h"

#include <gtest/gtest.h>

#include "crypto/sm2_evp.h"

namespace duet::crypto {
namespace {

using ::duet::testing_support::ok_value;

TEST(Sm2, RandomKeysCrossVerifyWithOpenSsl) {
  DeterministicRandom rng(as_bytes("sm2-random"));
  for (int i = 0; i < 20; ++i) {
    Scalar d = Scalar::random_nonzero(rng);
    Point pub = ok_value(Point::mul_base(d));
    Bytes msg(static_cast<size_t>(i * 7), static_cast<uint8_t>(i));
    auto der = evp_sm2_sign(d, msg);
    ASSERT_TRUE(der.ok()) << der.error().to_string();
    auto sig = Sm2Signature::from_der(*der);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(sm2_verify_digest(pub, ok_value(sm2_digest(pub, msg)), *sig).ok());
    // Our DER encoding of the parsed values is byte-identical.
    EXPECT_EQ(sig->to_der(), *der);
    // Another ID gives another digest: the signature must not verify there.
    EXPECT_EQ(evp_sm2_verify(pub, msg, *der, "another-id").code(), ErrorCode::kSignatureInvalid);
  }
}

// The constant-time verifier gives the same verdicts as the variable-time one,
// on OpenSSL's valid signatures and on every kind of tampering.
TEST(Sm2, ConstantTimeVerifierAgrees) {
  DeterministicRandom rng(as_bytes("sm2-verify-ct"));
  for (int i = 0; i < 20; ++i) {
    Scalar d = Scalar::random_nonzero(rng);
    Point pub = ok_value(Point::mul_base(d));
    Bytes msg(static_cast<size_t>(i * 5 + 1), static_cast<uint8_t>(i));
    Digest e = ok_value(sm2_digest(pub, msg));
    Sm2Signature sig = ok_value(Sm2Signature::from_der(*evp_sm2_sign(d, msg)));
    EXPECT_TRUE(sm2_verify_digest_ct(pub, e, sig).ok());
    const Sm2Signature bad[] = {
        {sig.r + Scalar::one(), sig.s},
        {sig.r, sig.s + Scalar::one()},
        {sig.s, sig.r},
        {sig.r, sig.r.negate()},  // r + s = 0
        {Scalar::zero(), sig.s},
        {sig.r, Scalar::zero()},
    };
    for (const Sm2Signature& b : bad) {
      EXPECT_EQ(sm2_verify_digest_ct(pub, e, b).code(), sm2_verify_digest(pub, e, b).code());
      EXPECT_FALSE(sm2_verify_digest_ct(pub, e, b).ok());
    }
    Digest other = e;
    other[0] ^= 1;
    EXPECT_EQ(sm2_verify_digest_ct(pub, other, sig).code(), ErrorCode::kSignatureInvalid);
    Point other_key = ok_value(Point::mul_base(d + Scalar::one()));
    EXPECT_EQ(sm2_verify_digest_ct(other_key, e, sig).code(), ErrorCode::kSignatureInvalid);
  }
}

TEST(Sm2, SignatureDerIsStrict) {
  EXPECT_EQ(Sm2Signature::from_der(Bytes{0x30, 0x00}).code(), ErrorCode::kBadEncoding);
  Sm2Signature sig{Scalar::from_u64(5), Scalar::from_u64(9)};
  Bytes der = sig.to_der();
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_EQ(Sm2Signature::from_der(trailing).code(), ErrorCode::kBadEncoding);
  auto back = Sm2Signature::from_der(der);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->r == sig.r && back->s == sig.s);
  // r = 0 is refused.
  Sm2Signature zero{Scalar::zero(), Scalar::from_u64(9)};
  EXPECT_EQ(Sm2Signature::from_der(zero.to_der()).code(), ErrorCode::kBadScalar);
}

TEST(Sm2, PublicKeyPemRoundTrip) {
  Point pub = ok_value(Point::mul_base(Scalar::from_u64(123456789)));
  auto pem = public_key_spki_pem(pub);
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(pem->find("BEGIN PUBLIC KEY"), std::string::npos);
  auto back = public_key_from_spki(as_bytes(*pem));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_TRUE(*back == pub);
  auto der = public_key_spki_der(pub);
  ASSERT_TRUE(der.ok());
  EXPECT_TRUE(ok_value(public_key_from_spki(*der)) == pub);
  EXPECT_EQ(public_key_from_spki(as_bytes("garbage")).code(), ErrorCode::kBadEncoding);
}

TEST(Sm2, IdLengthLimit) {
  Point pub = Point::generator();
  EXPECT_EQ(sm2_za(pub, std::string(8192, 'a')).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(sm2_za(pub, std::string(8191, 'a')).ok());
}

}  // namespace
}  // namespace duet::crypto
