#include "base/result_testing.h"
#include "pki/cms.h"

#include <gtest/gtest.h>

#include "crypto/sm2_evp.h"
#include "pki/issuer.h"
#include "pki/test_support.h"

namespace duet::pki {
namespace {

using namespace testing;  // LocalSigner, ScratchDir, run, asn1parse, ok_value

class CmsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One instant for the CA and the leaf: two wall-clock reads could put the
    // leaf before its issuer if the clock steps back between them.
    const Time now = now_seconds();
    hierarchy_ =
        std::make_unique<CaHierarchy>(ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance(), now)));
    HolderProfile p;
    p.subject = {"CN", "Example Co", "", "Li Si", "9c1e77ab20d4f3e5"};
    p.crl_url = "http://ca.duet.test/crl";
    p.ocsp_url = "http://ca.duet.test/ocsp";
    p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
    IssuancePolicy policy;
    policy.policy_oid = p.policy_oid;
    auto c =
        issue_holder_certificate(hierarchy_->issuing_ca(), holder_.pub, p, policy, crypto::SystemRandom::instance(), now);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    cert_ = std::make_unique<Certificate>(ok_value(std::move(c)));
    trust_.intermediates = {hierarchy_->issuing_certificate};
    trust_.roots = {hierarchy_->root_certificate};
  }
  CmsSignOptions options(bool detached, CmsOids oids = CmsOids::kPkcs7) {
    CmsSignOptions o;
    o.detached = detached;
    o.oids = oids;
    o.signing_time = now_seconds();
    return o;
  }

  LocalSigner holder_;
  std::unique_ptr<CaHierarchy> hierarchy_;
  std::unique_ptr<Certificate> cert_;
  CmsTrust trust_;
  const std::string content_ = "contract #42: pay 100 CNY";
};

TEST_F(CmsTest, DetachedAndAttachedVerify) {
  for (bool detached : {true, false}) {
    for (CmsOids oids : {CmsOids::kPkcs7, CmsOids::kGmT0010}) {
      auto der = cms_sign(as_bytes(content_), *cert_, holder_.signer(), options(detached, oids));
      ASSERT_TRUE(der.ok()) << der.error().to_string();
      auto v = verify_cms(*der, detached ? std::optional<ByteView>(as_bytes(content_)) : std::nullopt, trust_);
      ASSERT_TRUE(v.ok()) << v.error().to_string();
      EXPECT_TRUE(v->ok()) << (v->reasons.empty() ? "" : v->reasons[0]);
      EXPECT_EQ(v->detached, detached);
      EXPECT_EQ(v->oids, oids);
      ASSERT_TRUE(v->signer.has_value());
      EXPECT_EQ(v->signer->der(), cert_->der());
      EXPECT_TRUE(v->signing_time.has_value());
    }
  }
  // Detached from the digest alone.
  auto der = cms_sign_detached_digest(crypto::sm3(as_bytes(content_)), *cert_, holder_.signer(), options(true));
  ASSERT_TRUE(der.ok());
  EXPECT_TRUE(ok_value(verify_cms(*der, as_bytes(content_), trust_)).ok());
  EXPECT_TRUE(ok_value(verify_cms_detached_digest(*der, crypto::sm3(as_bytes(content_)), trust_)).ok());
  // A detached signature without its content is a usage error.
  EXPECT_EQ(verify_cms(*der, std::nullopt, trust_).code(), ErrorCode::kInvalidArgument);
}

TEST_F(CmsTest, OpensslParsesAndVerifiesSignedAttributes) {
  ScratchDir dir;
  for (bool detached : {true, false}) {
    auto der = cms_sign(as_bytes(content_), *cert_, holder_.signer(), options(detached));
    ASSERT_TRUE(der.ok());
    std::string path = dir.write("sig.p7s", *der);
    auto print = run("openssl cms -cmsout -print -inform DER -in " + path);
    ASSERT_EQ(print.status, 0) << print.output;
    for (const char* want : {"contentType: pkcs7-signedData", "eContentType: pkcs7-data", "algorithm: sm3",
                             "algorithm: SM2-with-SM3", "object: contentType", "object: signingTime",
                             "object: messageDigest", "object: id-smime-aa-signingCertificateV2",
                             "subject: C=CN, O=Example Co, CN=Li Si"}) {
      EXPECT_NE(print.output.find(want), std::string::npos) << want << "\n" << print.output;
    }
    EXPECT_EQ(print.output.find("object: S/MIME Capabilities"), std::string::npos);
    EXPECT_EQ(print.output.find("eContent: <ABSENT>") != std::string::npos, detached) << print.output;

    // The signature over the signed attributes, checked by the openssl CLI alone.
    std::string ok = openssl_check_signed_attributes(dir, *der, ok_value(crypto::public_key_spki_pem(holder_.pub)));
    EXPECT_NE(ok.find("Verified OK"), std::string::npos) << ok;
    // A different ID does not verify: the standard ID is in the signature.
    auto bad = run("openssl dgst -sm3 -verify " + dir.file("checked-pub.pem") + " -signature " +
                   dir.file("checked-sig.der") + " " + dir.file("checked-attrs.der"));
    EXPECT_NE(bad.output.find("Verification failure"), std::string::npos) << bad.output;
  }
}

TEST_F(CmsTest, GmOidsAreUsed) {
  auto der = cms_sign(as_bytes(content_), *cert_, holder_.signer(), options(false, CmsOids::kGmT0010));
  ASSERT_TRUE(der.ok());
  ScratchDir dir;
  auto r = run("openssl asn1parse -inform DER -in " + dir.write("gm.p7s", *der));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("OBJECT            :1.2.156.10197.6.1.4.2.2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("OBJECT            :1.2.156.10197.6.1.4.2.1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(":pkcs7-signedData"), std::string::npos) << r.output;
}

// PAdES B-B (ETSI.CAdES.detached): no signingTime attribute, and a verifier
// that is told so accepts its absence; by default its absence is a problem.
TEST_F(CmsTest, WithoutSigningTimeAttribute) {
  CmsSignOptions o = options(true);
  o.signing_time_attribute = false;
  Bytes der = ok_value(cms_sign_detached_digest(crypto::sm3(as_bytes(content_)), *cert_, holder_.signer(), o));
  ScratchDir dir;
  auto r = run("openssl asn1parse -inform DER -in " + dir.write("pades.p7s", der));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find(":signingTime"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(":id-smime-aa-signingCertificateV2"), std::string::npos) << r.output;

  auto strict = ok_value(verify_cms(der, as_bytes(content_), trust_));
  EXPECT_EQ(strict.problems, std::vector<CmsProblem>{CmsProblem::kMissingAttribute});
  auto pades = ok_value(verify_cms(der, as_bytes(content_), trust_, crypto::kDefaultSm2Id, {.signing_time_required = false}));
  EXPECT_TRUE(pades.ok()) << (pades.reasons.empty() ? "" : pades.reasons[0]);
  EXPECT_FALSE(pades.signing_time.has_value());
  // A signature that does carry it still verifies under the relaxed policy.
  Bytes with_time = ok_value(cms_sign(as_bytes(content_), *cert_, holder_.signer(), options(true)));
  auto relaxed = ok_value(verify_cms(with_time, as_bytes(content_), trust_, crypto::kDefaultSm2Id,
                                     {.signing_time_required = false}));
  EXPECT_TRUE(relaxed.ok());
  EXPECT_TRUE(relaxed.signing_time.has_value());
}

TEST_F(CmsTest, TamperingIsNamed) {
  Time when = now_seconds();
  CmsSignOptions o = options(true);
  o.signing_time = when;
  Bytes der = ok_value(cms_sign(as_bytes(content_), *cert_, holder_.signer(), o));

  // Other content: messageDigest mismatch, the signature itself still holds.
  auto v = verify_cms(der, as_bytes(std::string("contract #42: pay 900 CNY")), trust_);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok());
  EXPECT_TRUE(v->has(CmsProblem::kMessageDigestMismatch));
  EXPECT_FALSE(v->has(CmsProblem::kSignatureInvalid));

  // A changed signed attribute (the signingTime's seconds digit): the signature breaks.
  char stamp[16];
  std::time_t t = when.time_since_epoch().count();
  std::strftime(stamp, sizeof stamp, "%y%m%d%H%M%SZ", std::gmtime(&t));
  std::string s(der.begin(), der.end());
  size_t at = s.rfind(stamp);  // the last one: the certificate carries the same time as notBefore
  ASSERT_NE(at, std::string::npos);
  Bytes tampered = der;
  tampered[at + 11] = tampered[at + 11] == '0' ? '1' : '0';
  v = verify_cms(tampered, as_bytes(content_), trust_);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_TRUE(v->has(CmsProblem::kSignatureInvalid));
  EXPECT_FALSE(v->has(CmsProblem::kMessageDigestMismatch));

  // Attached content changed inside the structure.
  Bytes attached = ok_value(cms_sign(as_bytes(content_), *cert_, holder_.signer(), options(false)));
  std::string a(attached.begin(), attached.end());
  size_t c = a.find("pay 100");
  ASSERT_NE(c, std::string::npos);
  attached[c + 4] = '9';
  v = verify_cms(attached, std::nullopt, trust_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->has(CmsProblem::kMessageDigestMismatch));

  // Another trust anchor: the chain fails, nothing else.
  auto other = ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance()));
  v = verify_cms(der, as_bytes(content_), CmsTrust{{other.issuing_certificate}, {other.root_certificate}, {}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->problems, std::vector<CmsProblem>{CmsProblem::kChainInvalid});

  // Wrong ID at verification: the signature does not verify.
  v = verify_cms(der, as_bytes(content_), trust_, "");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->has(CmsProblem::kSignatureInvalid));

  // Garbage is an error, not a verdict.
  EXPECT_EQ(verify_cms(as_bytes(std::string("not cms")), std::nullopt, trust_).code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(verify_cms(Bytes(der.begin(), der.end() - 1), as_bytes(content_), trust_).code(), ErrorCode::kBadEncoding);
}

TEST_F(CmsTest, SignerWithTheWrongKeyIsRefused) {
  LocalSigner other;
  auto der = cms_sign(as_bytes(content_), *cert_, other.signer(), options(true));
  EXPECT_EQ(der.code(), ErrorCode::kSignatureInvalid);
}

}  // namespace
}  // namespace duet::pki
