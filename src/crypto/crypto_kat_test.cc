// Known-answer tests from the standards (GB/T 32905 SM3, GB/T 32907 SM4,
// GB/T 32918 / GM/T 0003.5 SM2 signature example, RFC 8998 SM4-GCM).
#include <gcrypt.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "base/result_testing.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"
#include "crypto/sm3.h"
#include "crypto/test_vectors.h"

namespace duet::crypto {
namespace {

using ::duet::testing_support::ok_value;

using testing::standard_vectors;

Bytes hex(std::string_view h) { return ok_value(from_hex(h)); }

TEST(Sm3Kat, Abc) {
  const auto& v = standard_vectors().at("sm3-abc");
  EXPECT_EQ(to_hex(sm3(as_bytes(v.at("msg_ascii")))), v.at("digest"));
}

TEST(Sm3Kat, FiveTwelveBit) {
  const auto& v = standard_vectors().at("sm3-512bit");
  EXPECT_EQ(to_hex(sm3(as_bytes(v.at("msg_ascii")))), v.at("digest"));
  // Incremental in odd pieces gives the same digest.
  std::string msg = v.at("msg_ascii");
  Sm3 h;
  h.update(as_bytes(std::string_view(msg).substr(0, 7))).update(as_bytes(std::string_view(msg).substr(7)));
  EXPECT_EQ(to_hex(h.final()), v.at("digest"));
}

TEST(HmacSm3Kat, OpenSslValue) {
  const auto& v = standard_vectors().at("hmac-sm3");
  EXPECT_EQ(to_hex(hmac_sm3(as_bytes(v.at("key_ascii")), as_bytes(v.at("msg_ascii")))), v.at("mac"));
}

// SM4 block cipher (GB/T 32907 example) through libgcrypt, the SM4 we use.
TEST(Sm4Kat, EcbBlock) {
  const auto& v = standard_vectors().at("sm4-ecb");
  ASSERT_NE(gcry_check_version("1.9.0"), nullptr);
  gcry_cipher_hd_t h;
  ASSERT_EQ(gcry_cipher_open(&h, GCRY_CIPHER_SM4, GCRY_CIPHER_MODE_ECB, 0), 0u);
  Bytes key = hex(v.at("key")), pt = hex(v.at("plaintext")), ct(16);
  ASSERT_EQ(gcry_cipher_setkey(h, key.data(), key.size()), 0u);
  ASSERT_EQ(gcry_cipher_encrypt(h, ct.data(), ct.size(), pt.data(), pt.size()), 0u);
  gcry_cipher_close(h);
  EXPECT_EQ(to_hex(ct), v.at("ciphertext"));
}

// RFC 8998 appendix A.1.
TEST(Sm4GcmKat, Rfc8998) {
  Bytes key = hex("0123456789abcdeffedcba9876543210");
  Bytes iv = hex("00001234567800000000abcd");
  Bytes aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  Bytes pt = hex(
      "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeee"
      "aaaaaaaaaaaaaaaa");
  std::string expect =
      "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397"
      "b4024a2691233b8d"
      "83de3541e4c2b58177e065a9bf7b62ec";
  auto sealed = aead_seal(AeadAlgorithm::kSm4Gcm, key, iv, aad, pt);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(to_hex(*sealed), expect);
  auto opened = aead_open(AeadAlgorithm::kSm4Gcm, key, iv, aad, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(Bytes(opened->view().begin(), opened->view().end()), pt);
}

// PBKDF2 (RFC 8018 §5.2) recomputed from its definition with HMAC-SM3.
TEST(Pbkdf2HmacSm3, MatchesDefinition) {
  std::string pw = "123456";
  Bytes salt = hex("00112233445566778899aabbccddeeff");
  const uint32_t iters = 37;
  auto got = pbkdf2_hmac_sm3(as_bytes(pw), salt, iters, 64);
  ASSERT_TRUE(got.ok());
  Bytes expect;
  for (uint32_t block = 1; block <= 2; ++block) {
    Bytes u = salt;
    u.push_back(0); u.push_back(0); u.push_back(0); u.push_back(static_cast<uint8_t>(block));
    Digest ui = hmac_sm3(as_bytes(pw), u);
    Digest t = ui;
    for (uint32_t i = 1; i < iters; ++i) {
      ui = hmac_sm3(as_bytes(pw), ui);
      for (size_t j = 0; j < t.size(); ++j) t[j] ^= ui[j];
    }
    expect.insert(expect.end(), t.begin(), t.end());
  }
  EXPECT_EQ(to_hex(got->view()), to_hex(expect));
  EXPECT_EQ(pbkdf2_hmac_sm3(as_bytes(pw), salt, 0, 32).code(), ErrorCode::kInvalidArgument);
}

// GM/T 0003.5 / GB/T 32918 signature example on the recommended curve.
class Sm2Kat : public ::testing::Test {
 protected:
  const std::map<std::string, std::string>& v = standard_vectors().at("sm2-sign");
  Scalar d = ok_value(Scalar::from_hex(v.at("private")));
  Point pub = ok_value(Point::from_hex("04" + v.at("public_x") + v.at("public_y")));
};

TEST_F(Sm2Kat, PublicKeyFromPrivate) {
  auto p = Point::mul_base(d);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(*p == pub);
}

TEST_F(Sm2Kat, ZaAndDigest) {
  auto za = sm2_za(pub, v.at("id_ascii"));
  ASSERT_TRUE(za.ok());
  EXPECT_EQ(to_hex(*za), v.at("za"));
  auto e = sm2_digest(pub, as_bytes(v.at("msg_ascii")), v.at("id_ascii"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(to_hex(*e), v.at("e"));
}

TEST_F(Sm2Kat, SignatureWithGivenNonce) {
  // r = (e + x1) mod n; s = (1 + d)^-1 · (k − r·d) mod n — GB/T 32918.2 §6.1.
  Scalar k = ok_value(Scalar::from_hex(v.at("k")));
  Digest e = ok_value(sm2_digest(pub, as_bytes(v.at("msg_ascii"))));
  Point kg = ok_value(Point::mul_base(k));
  Scalar r = Scalar::reduce(e) + Scalar::reduce(kg.x_bytes());
  Scalar s = *(Scalar::one() + d).inverse() * (k - r * d);
  EXPECT_EQ(r.to_hex(), v.at("r"));
  EXPECT_EQ(s.to_hex(), v.at("s"));
  Sm2Signature sig{r, s};
  EXPECT_TRUE(sm2_verify_digest(pub, e, sig).ok());
  EXPECT_TRUE(evp_sm2_verify(pub, as_bytes(v.at("msg_ascii")), sig.to_der()).ok());
  // Flip one bit of the message: both verifiers refuse.
  EXPECT_EQ(evp_sm2_verify(pub, as_bytes("message digesT"), sig.to_der()).code(), ErrorCode::kSignatureInvalid);
  Digest e2 = e;
  e2[31] ^= 1;
  EXPECT_EQ(sm2_verify_digest(pub, e2, sig).code(), ErrorCode::kSignatureInvalid);
}

TEST_F(Sm2Kat, EvpSignIsVerifiedByOurVerifier) {
  auto der = evp_sm2_sign(d, as_bytes(v.at("msg_ascii")));
  ASSERT_TRUE(der.ok());
  auto sig = Sm2Signature::from_der(*der);
  ASSERT_TRUE(sig.ok());
  Digest e = ok_value(sm2_digest(pub, as_bytes(v.at("msg_ascii"))));
  EXPECT_TRUE(sm2_verify_digest(pub, e, *sig).ok());
}

}  // namespace
}  // namespace duet::crypto
