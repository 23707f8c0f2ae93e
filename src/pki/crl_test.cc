#include "base/result_testing.h"
#include "pki/crl.h"

#include <gtest/gtest.h>

#include "pki/issuer.h"
#include "pki/test_support.h"

namespace duet::pki {
namespace {

using namespace testing;  // LocalSigner, ScratchDir, run, ok_value

TEST(Crl, DistributionPointOfAHolderCertificate) {
  auto h = ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance()));
  LocalSigner key;
  HolderProfile p;
  p.subject = {"CN", "Example Co", "", "张三", "9c1e77ab20d4f3e5"};
  p.crl_url = "https://ca.duet.test/pki/crl/ca_issuing.crl";
  p.ocsp_url = "https://ca.duet.test/pki/ocsp";
  p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
  IssuancePolicy policy;
  policy.policy_oid = p.policy_oid;
  Certificate c = ok_value(issue_holder_certificate(h.issuing_ca(), key.pub, p, policy, crypto::SystemRandom::instance(),
                                                    now_seconds()));
  EXPECT_EQ(crl_distribution_point(c), p.crl_url);
  EXPECT_EQ(crl_distribution_point(h.root_certificate), "");
}

TEST(Crl, OpensslParsesAndListsSerials) {
  auto h = ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance()));
  Time now = now_seconds();
  std::vector<RevokedEntry> revoked = {
      {ok_value(from_hex("5a0b1c2d3e4f50617283940a1b2c3d4e")), now - std::chrono::hours(2), RevocationReason::kKeyCompromise},
      {ok_value(from_hex("40ffeeddccbbaa998877665544332211")), now - std::chrono::hours(1), RevocationReason::kUnspecified},
      {ok_value(from_hex("7fffffffffffffffffffffffffffffff")), now, RevocationReason::kCessationOfOperation},
  };
  auto der = build_crl(h.issuing_ca(), revoked, {42, now, std::chrono::days(7)});
  ASSERT_TRUE(der.ok()) << der.error().to_string();
  EXPECT_TRUE(verify_crl(*der, h.issuing_certificate).ok());
  EXPECT_EQ(verify_crl(*der, h.issuing_certificate, "").code(), ErrorCode::kSignatureInvalid);
  EXPECT_FALSE(verify_crl(*der, h.root_certificate).ok());
  Bytes tampered = *der;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(verify_crl(tampered, h.issuing_certificate).ok());

  // Lookups by serial: the entry with its time and reason, or none.
  CrlAnswer listed = ok_value(crl_lookup(*der, revoked[0].serial));
  ASSERT_TRUE(listed.revoked.has_value());
  EXPECT_EQ(listed.revoked->revoked_at, revoked[0].revoked_at);
  EXPECT_EQ(listed.revoked->reason, RevocationReason::kKeyCompromise);
  EXPECT_EQ(listed.this_update, now);
  EXPECT_EQ(listed.next_update, now + std::chrono::days(7));
  EXPECT_EQ(ok_value(crl_lookup(*der, revoked[1].serial)).revoked->reason, RevocationReason::kUnspecified);
  EXPECT_FALSE(ok_value(crl_lookup(*der, ok_value(from_hex("5a0b1c2d3e4f50617283940a1b2c3d4f")))).revoked.has_value());
  EXPECT_EQ(crl_lookup(as_bytes(std::string("not a crl")), revoked[0].serial).code(), ErrorCode::kBadEncoding);

  ScratchDir dir;
  std::string path = dir.write("issuing.crl", *der);
  auto text = run("openssl crl -inform DER -in " + path + " -noout -text");
  ASSERT_EQ(text.status, 0) << text.output;
  for (const char* want : {"Version 2 (0x1)", "Signature Algorithm: SM2-with-SM3",
                           "Issuer: C = CN, O = Duet, CN = Duet Issuing CA", "Next Update:",
                           "X509v3 CRL Number: \n                42", "X509v3 Authority Key Identifier",
                           "Serial Number: 5A0B1C2D3E4F50617283940A1B2C3D4E",
                           "Serial Number: 40FFEEDDCCBBAA998877665544332211",
                           "Serial Number: 7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "Key Compromise",
                           "Cessation Of Operation"}) {
    EXPECT_NE(text.output.find(want), std::string::npos) << want << "\n" << text.output;
  }
  // Sorted by serial: 40.. before 5A.. before 7F..
  EXPECT_LT(text.output.find("40FFEE"), text.output.find("5A0B1C"));
  EXPECT_LT(text.output.find("5A0B1C"), text.output.find("7FFFFF"));
  // OpenSSL 3.0 verifies CRL signatures with an empty SM2 ID only (X509_CRL has
  // no distinguishing-ID setter), so our standard-ID CRL fails there.
  std::string issuing = dir.write("issuing.pem", h.issuing_certificate.pem());
  auto v = run("openssl crl -inform DER -in " + path + " -CAfile " + issuing + " -noout -verify");
  EXPECT_NE(v.output.find("verify failure"), std::string::npos) << v.output;
  // An empty CRL is fine too.
  auto empty = build_crl(h.issuing_ca(), {}, {43, now, std::chrono::days(1)});
  ASSERT_TRUE(empty.ok());
  auto etext = run("openssl crl -inform DER -in " + dir.write("empty.crl", *empty) + " -noout -text");
  EXPECT_NE(etext.output.find("No Revoked Certificates."), std::string::npos) << etext.output;
}

}  // namespace
}  // namespace duet::pki
