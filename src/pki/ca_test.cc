#include "base/result_testing.h"
#include "pki/ca.h"

#include <gtest/gtest.h>

#include "pki/test_support.h"

namespace duet::pki {
namespace {

using namespace testing;  // LocalSigner, ScratchDir, run, ok_value

TEST(CaHierarchy, CreatesRootAndIssuingCa) {
  auto h = create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance());
  ASSERT_TRUE(h.ok()) << h.error().to_string();
  EXPECT_TRUE(h->root_certificate.is_ca());
  EXPECT_TRUE(h->issuing_certificate.is_ca());
  EXPECT_EQ(h->root_certificate.subject(), "CN=Duet Root CA,O=Duet,C=CN");
  EXPECT_EQ(h->issuing_certificate.issuer(), h->root_certificate.subject());
  EXPECT_EQ(ok_value(h->root_certificate.public_key()), ok_value(crypto::Point::mul_base(h->root_private_key)));
  EXPECT_EQ(ok_value(h->issuing_certificate.public_key()), ok_value(crypto::Point::mul_base(h->issuing_private_key)));
  auto years = [](const Certificate& c) {
    return std::chrono::duration_cast<std::chrono::days>(c.not_after() - c.not_before()).count() / 365;
  };
  EXPECT_EQ(years(h->root_certificate), 10);
  EXPECT_EQ(years(h->issuing_certificate), 5);
  EXPECT_EQ(h->root_certificate.serial_bytes().size(), 16u);
  EXPECT_TRUE(verify_chain(h->issuing_certificate, {}, {h->root_certificate}).ok());
  // With the wrong ID the signature does not verify: the ID is really used.
  EXPECT_FALSE(verify_chain(h->issuing_certificate, {}, {h->root_certificate}, now_seconds(), "").ok());
}

TEST(CaHierarchy, OpensslParsesAndVerifies) {
  auto h = create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance());
  ASSERT_TRUE(h.ok());
  ScratchDir dir;
  std::string root = dir.write("root.pem", h->root_certificate.pem());
  std::string issuing = dir.write("issuing.pem", h->issuing_certificate.pem());
  auto text = run("openssl x509 -in " + root + " -noout -text");
  EXPECT_EQ(text.status, 0) << text.output;
  EXPECT_NE(text.output.find("Signature Algorithm: SM2-with-SM3"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("X509v3 Basic Constraints: critical\n                CA:TRUE"), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign"),
            std::string::npos);
  EXPECT_NE(text.output.find("X509v3 Subject Key Identifier"), std::string::npos);
  auto itext = run("openssl x509 -in " + issuing + " -noout -text");
  EXPECT_NE(itext.output.find("CA:TRUE, pathlen:0"), std::string::npos) << itext.output;
  EXPECT_NE(itext.output.find("X509v3 Authority Key Identifier"), std::string::npos);
  auto v = run("openssl verify -CAfile " + root + " -vfyopt distid:1234567812345678 " + issuing);
  EXPECT_EQ(v.status, 0) << v.output;
  EXPECT_NE(v.output.find(": OK"), std::string::npos) << v.output;
  // Without the ID, OpenSSL 3.0 checks with an empty ID and refuses.
  auto bad = run("openssl verify -CAfile " + root + " " + issuing);
  EXPECT_NE(bad.status, 0) << bad.output;
}

TEST(CaHierarchy, ImportRoundTripAndRefusals) {
  auto h = create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance());
  ASSERT_TRUE(h.ok());
  std::string root_key = ok_value(private_key_pem(h->root_private_key));
  std::string issuing_key = ok_value(private_key_pem(h->issuing_private_key));
  auto imported = import_ca_hierarchy(h->root_certificate.pem(), root_key, h->issuing_certificate.pem(), issuing_key);
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  EXPECT_TRUE(imported->issuing_private_key == h->issuing_private_key);
  EXPECT_EQ(imported->root_certificate.der(), h->root_certificate.der());

  // The key of another CA.
  auto wrong = import_issuing_ca(h->root_certificate.pem(), h->issuing_certificate.pem(), root_key);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.error().message.find("does not match"), std::string::npos);

  // An issuing CA from another hierarchy does not chain to this root.
  auto other = ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance()));
  auto foreign = import_issuing_ca(h->root_certificate.pem(), other.issuing_certificate.pem(),
                                   ok_value(private_key_pem(other.issuing_private_key)));
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("does not chain"), std::string::npos);

  // A key made by the openssl command line imports too.
  ScratchDir dir;
  auto gen = run("openssl genpkey -algorithm SM2 -out " + dir.file("k.pem"));
  ASSERT_EQ(gen.status, 0) << gen.output;
  auto k = private_key_from_pem(dir.read("k.pem"));
  ASSERT_TRUE(k.ok()) << k.error().to_string();
  EXPECT_FALSE(private_key_from_pem("garbage").ok());
}

}  // namespace
}  // namespace duet::pki
