// The WebAssembly build's crypto (crypto/portable_sm3.h, crypto/portable_der.h,
// used through crypto/portable_backend.cc) against the native build's
// OpenSSL-backed functions and the standard vectors: same answers for SM3,
// HMAC-SM3, PBKDF2-HMAC-SM3, the signature DER codec and the public key's
// SubjectPublicKeyInfo PEM. The browser test checks the protocol vectors with
// the WebAssembly build itself (tests/browser).
#include <gtest/gtest.h>

#include "base/result_testing.h"
#include "crypto/kdf.h"
#include "crypto/portable_der.h"
#include "crypto/portable_sm3.h"
#include "crypto/random.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"
#include "crypto/sm3.h"
#include "crypto/test_vectors.h"

namespace duet::crypto {
namespace {

using ::duet::testing_support::ok_value;

Bytes random_bytes(size_t n) {
  Bytes b(n);
  SystemRandom::instance().fill(b);
  return b;
}

TEST(PortableSm3, StandardVectors) {
  const auto& abc = testing::standard_vectors().at("sm3-abc");
  EXPECT_EQ(to_hex(portable::sm3(as_bytes(abc.at("msg_ascii")))), abc.at("digest"));
  const auto& v512 = testing::standard_vectors().at("sm3-512bit");
  EXPECT_EQ(to_hex(portable::sm3(as_bytes(v512.at("msg_ascii")))), v512.at("digest"));
  const auto& mac = testing::standard_vectors().at("hmac-sm3");
  EXPECT_EQ(to_hex(portable::hmac_sm3(as_bytes(mac.at("key_ascii")), as_bytes(mac.at("msg_ascii")))), mac.at("mac"));
}

TEST(PortableSm3, EqualsOpenSslForEveryLengthAroundTheBlockBoundaries) {
  for (size_t n = 0; n < 300; ++n) {
    Bytes m = random_bytes(n);
    ASSERT_EQ(portable::sm3(m), sm3(m)) << "length " << n;
    // Incremental, in two uneven pieces.
    portable::Sm3 h;
    h.update(ByteView(m).subspan(0, n / 3));
    h.update(ByteView(m).subspan(n / 3));
    ASSERT_EQ(h.final(), sm3(m)) << "length " << n;
  }
}

TEST(PortableSm3, HmacEqualsOpenSslForShortAndLongKeys) {
  for (size_t key_len : {0u, 1u, 32u, 63u, 64u, 65u, 200u}) {
    Bytes key = random_bytes(key_len);
    Bytes msg = random_bytes(97);
    EXPECT_EQ(portable::hmac_sm3(key, msg), hmac_sm3(key, msg)) << "key length " << key_len;
  }
}

TEST(PortableSm3, Pbkdf2EqualsOpenSsl) {
  struct Case {
    size_t pw, salt;
    uint32_t iterations;
    size_t out;
  };
  for (Case c : {Case{6, 16, 1, 32}, Case{6, 16, 1000, 32}, Case{0, 8, 3, 20}, Case{80, 32, 17, 70}}) {
    Bytes pw = random_bytes(c.pw), salt = random_bytes(c.salt);
    SecretBytes want = ok_value(pbkdf2_hmac_sm3(pw, salt, c.iterations, c.out));
    Bytes got(c.out);
    portable::pbkdf2_hmac_sm3(pw, salt, c.iterations, got.data(), got.size());
    EXPECT_EQ(to_hex(got), to_hex(want.view())) << c.iterations << " iterations, " << c.out << " bytes";
  }
}

TEST(PortableDer, SignatureEncodingEqualsOpenSslAndRoundTrips) {
  for (int i = 0; i < 200; ++i) {
    Sm2Signature sig{Scalar::random_nonzero(SystemRandom::instance()), Scalar::random_nonzero(SystemRandom::instance())};
    // Values with leading zero bytes, and with the high bit set, both occur.
    if (i % 3 == 0) {
      auto b = sig.r.bytes();
      b[0] = 0;
      b[1] = static_cast<uint8_t>(i);
      sig.r = ok_value(Scalar::from_bytes(b));
    }
    Bytes want = sig.to_der();
    Bytes got = portable::signature_der(sig.r.bytes(), sig.s.bytes());
    ASSERT_EQ(to_hex(got), to_hex(want));
    portable::SignatureValues v;
    ASSERT_EQ(portable::parse_signature_der(want, v), portable::DerVerdict::kOk);
    EXPECT_EQ(v.r, sig.r.bytes());
    EXPECT_EQ(v.s, sig.s.bytes());
  }
}

TEST(PortableDer, ParseRefusesWhatOpenSslBasedParsingRefuses) {
  Sm2Signature sig{Scalar::random_nonzero(SystemRandom::instance()), Scalar::random_nonzero(SystemRandom::instance())};
  Bytes good = sig.to_der();
  portable::SignatureValues v;
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(portable::parse_signature_der(trailing, v), portable::DerVerdict::kNotDer);
  EXPECT_FALSE(Sm2Signature::from_der(trailing).ok());
  // A non-minimal INTEGER (an extra leading zero).
  Bytes nonminimal = ok_value(from_hex("300702020001020101"));
  EXPECT_EQ(portable::parse_signature_der(nonminimal, v), portable::DerVerdict::kNotDer);
  EXPECT_FALSE(Sm2Signature::from_der(nonminimal).ok());
  // A negative INTEGER.
  Bytes negative = ok_value(from_hex("3006020181020101"));
  EXPECT_EQ(portable::parse_signature_der(negative, v), portable::DerVerdict::kOutOfRange);
  EXPECT_FALSE(Sm2Signature::from_der(negative).ok());
  // 33 significant bytes.
  Bytes big = ok_value(from_hex("3026022101" + std::string(64, '1') + "020101"));
  EXPECT_EQ(portable::parse_signature_der(big, v), portable::DerVerdict::kOutOfRange);
  EXPECT_FALSE(Sm2Signature::from_der(big).ok());
  EXPECT_EQ(portable::parse_signature_der(Bytes{0x30, 0x00}, v), portable::DerVerdict::kNotDer);
  EXPECT_EQ(portable::parse_signature_der(Bytes{}, v), portable::DerVerdict::kNotDer);
}

TEST(PortableDer, PublicKeyPemEqualsOpenSsl) {
  for (int i = 0; i < 20; ++i) {
    Point p = ok_value(Point::mul_base(Scalar::random_nonzero(SystemRandom::instance())));
    Point::Encoded sec1 = p.to_sec1();
    EXPECT_EQ(to_hex(portable::sm2_spki_der(sec1)), to_hex(ok_value(public_key_spki_der(p))));
    EXPECT_EQ(portable::pem("PUBLIC KEY", portable::sm2_spki_der(sec1)), ok_value(public_key_spki_pem(p)));
  }
}

}  // namespace
}  // namespace duet::crypto
