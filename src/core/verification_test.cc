// Verification verdicts: a valid signature, an expired certificate and a
// revoked one each get their own reason.
#include "core/verification.h"

#include <gtest/gtest.h>

#include "crypto/sm2_evp.h"
#include "pki/ca.h"
#include "pki/issuer.h"

namespace duet::core {
namespace {

using namespace std::chrono;

struct Fixture {
  explicit Fixture(pki::CaHierarchy h) : ca(std::move(h)) {}
  crypto::Scalar key = crypto::Scalar::random_nonzero(crypto::SystemRandom::instance());
  crypto::Point pub = *crypto::Point::mul_base(key);
  pki::CaHierarchy ca;
  pki::Certificate issue(pki::Time issued_at, seconds validity) {
    pki::HolderProfile hp;
    hp.subject = pki::DistinguishedName{"CN", "Duet", "", "Test Holder", "0123456789abcdef"};
    hp.validity = validity;
    hp.crl_url = "https://duet.example/pki/crl/ca.crl";
    hp.ocsp_url = "https://duet.example/pki/ocsp";
    hp.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
    pki::IssuancePolicy pol;
    pol.policy_oid = hp.policy_oid;
    auto c = pki::issue_holder_certificate(ca.issuing_ca(), pub, hp, pol, crypto::SystemRandom::instance(), issued_at);
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return *c;
  }
};

TEST(Verification, ExpiredAndRevokedCertificatesHaveTheirOwnReasons) {
  pki::Time long_ago = pki::now_seconds() - hours(24 * 400);
  Fixture f(*pki::create_ca_hierarchy(pki::CaProfile{}, crypto::SystemRandom::instance(), long_ago));
  pki::Certificate expired = f.issue(long_ago, hours(24 * 30));
  pki::Certificate current = f.issue(pki::now_seconds() - hours(1), hours(24 * 30));
  Bytes msg = {1, 2, 3};
  VerifyRequest req;
  req.data = msg;
  req.signature = *crypto::evp_sm2_sign(f.key, msg);
  req.format = "der";
  VerifyTrust trust;
  trust.roots = {f.ca.root_certificate};
  trust.intermediates = {f.ca.issuing_certificate};

  req.certificate = current;
  auto ok = verify_signature(req, trust);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_TRUE(ok->valid) << (ok->reasons.empty() ? "" : ok->reasons[0]);

  req.certificate = expired;
  auto exp = verify_signature(req, trust);
  ASSERT_TRUE(exp.ok());
  EXPECT_FALSE(exp->valid);
  ASSERT_FALSE(exp->reasons.empty());
  EXPECT_NE(exp->reasons[0].find("expired"), std::string::npos) << exp->reasons[0];

  // Revoked (revocation lookup says so): its own reason, distinct from expiry.
  trust.revocation = [](const std::string&) -> std::optional<std::optional<int64_t>> {
    return std::optional<int64_t>(1);
  };
  req.certificate = current;
  auto rev = verify_signature(req, trust);
  ASSERT_TRUE(rev.ok());
  EXPECT_FALSE(rev->valid);
  bool revoked_reason = false;
  for (const auto& r : rev->reasons) revoked_reason |= r.find("revoked") != std::string::npos;
  EXPECT_TRUE(revoked_reason);
  for (const auto& r : rev->reasons) EXPECT_EQ(r.find("expired"), std::string::npos) << r;

  // A tampered message: the signature reason, nothing about the certificate.
  trust.revocation = nullptr;
  req.data = Bytes{1, 2, 4};
  auto bad = verify_signature(req, trust);
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->valid);
  EXPECT_NE(bad->reasons[0].find("does not verify"), std::string::npos);
}

}  // namespace
}  // namespace duet::core
