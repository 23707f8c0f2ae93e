#include "base/result_testing.h"
#include "pki/issuer.h"

#include <gtest/gtest.h>

#include <set>

#include "pki/csr.h"
#include "pki/identify_code.h"
#include "pki/lint.h"
#include "pki/test_support.h"

namespace duet::pki {
namespace {

using namespace testing;  // LocalSigner, ScratchDir, run, ok_value

constexpr const char* kPolicy = "1.3.6.1.4.1.99999.1.2.1";

HolderProfile holder_profile() {
  HolderProfile p;
  p.subject = {"CN", "Example Co", "", "Zhang San", "3f9a0c5b7d2e4f61"};
  p.crl_url = "http://ca.duet.test/crl/issuing.crl";
  p.ocsp_url = "http://ca.duet.test/ocsp";
  p.ca_issuers_url = "http://ca.duet.test/issuing.cer";
  p.policy_oid = kPolicy;
  return p;
}

class IssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance(), now_);
    ASSERT_TRUE(h.ok());
    hierarchy_ = std::make_unique<CaHierarchy>(ok_value(std::move(h)));
    policy_.policy_oid = kPolicy;
    policy_.serial_is_unused = [this](ByteView s) -> Result<bool> {
      return used_.count(Bytes(s.begin(), s.end())) == 0;
    };
  }
  Result<Certificate> issue(const HolderProfile& p, const crypto::Point& key) {
    auto c = issue_holder_certificate(hierarchy_->issuing_ca(), key, p, policy_, crypto::SystemRandom::instance(), now_);
    if (c.ok()) used_.insert(c->serial_bytes());
    return c;
  }
  // One instant for the CA and every leaf: a wall-clock read per certificate
  // could put a leaf before its issuer if the clock steps back in between.
  const Time now_ = now_seconds();
  std::unique_ptr<CaHierarchy> hierarchy_;
  IssuancePolicy policy_;
  std::set<Bytes> used_;
};

TEST_F(IssuerTest, IssuesFromExternallySignedCsr) {
  LocalSigner holder;
  Bytes csr = ok_value(build_csr(holder.pub, {"", "", "", "ignored", ""}, holder.signer()));
  auto cert = issue_holder_certificate_from_csr(hierarchy_->issuing_ca(), csr, holder_profile(), policy_,
                                                crypto::SystemRandom::instance(), now_);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  EXPECT_EQ(ok_value(cert->public_key()), holder.pub);
  EXPECT_EQ(cert->subject(), "serialNumber=3f9a0c5b7d2e4f61,CN=Zhang San,O=Example Co,C=CN");
  EXPECT_EQ(cert->serial_bytes().size(), 16u);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::days>(cert->not_after() - cert->not_before()).count(), 365);
  EXPECT_TRUE(verify_chain(*cert, {hierarchy_->issuing_certificate}, {hierarchy_->root_certificate}).ok());
  // Lint of the finished certificate passes too (serial uniqueness aside).
  IssuancePolicy relaxed = policy_;
  relaxed.serial_is_unused = nullptr;
  EXPECT_TRUE(lint_certificate(cert->raw(), hierarchy_->issuing_certificate.raw(), relaxed).ok());

  // A tampered request is refused before anything is issued.
  Bytes bad = csr;
  bad[bad.size() - 5] ^= 1;
  auto refused = issue_holder_certificate_from_csr(hierarchy_->issuing_ca(), bad, holder_profile(), policy_,
                                                   crypto::SystemRandom::instance());
  EXPECT_FALSE(refused.ok());
}

TEST_F(IssuerTest, OpensslSeesProfileAndVerifiesChain) {
  LocalSigner holder;
  auto cert = issue(holder_profile(), holder.pub);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  ScratchDir dir;
  std::string root = dir.write("root.pem", hierarchy_->root_certificate.pem());
  std::string issuing = dir.write("issuing.pem", hierarchy_->issuing_certificate.pem());
  std::string leaf = dir.write("holder.pem", cert->pem());
  auto text = run("openssl x509 -in " + leaf + " -noout -text");
  ASSERT_EQ(text.status, 0) << text.output;
  for (const char* want : {"Version: 3 (0x2)", "Signature Algorithm: SM2-with-SM3",
                           "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation",
                           "X509v3 Basic Constraints: \n                CA:FALSE", "X509v3 Subject Key Identifier",
                           "X509v3 Authority Key Identifier", "URI:http://ca.duet.test/crl/issuing.crl",
                           "OCSP - URI:http://ca.duet.test/ocsp", "CA Issuers - URI:http://ca.duet.test/issuing.cer",
                           "Policy: 1.3.6.1.4.1.99999.1.2.1"}) {
    EXPECT_NE(text.output.find(want), std::string::npos) << want << "\n" << text.output;
  }
  // The leaf's signature with the ID.
  auto leaf_ok = run("openssl verify -partial_chain -CAfile " + issuing + " -vfyopt distid:1234567812345678 " + leaf);
  EXPECT_EQ(leaf_ok.status, 0) << leaf_ok.output;
  // The issuing CA's signature with the ID.
  auto ica_ok = run("openssl verify -CAfile " + root + " -vfyopt distid:1234567812345678 " + issuing);
  EXPECT_EQ(ica_ok.status, 0) << ica_ok.output;
  // The whole chain in one command: OpenSSL 3.0 applies -vfyopt's distid to the
  // target certificate only; the -untrusted issuing CA certificate is checked
  // with an empty ID, so its (standard-ID) signature fails at depth 1.
  // Either outcome is pinned: a later OpenSSL that applies the ID to the
  // whole chain must say OK for the leaf; 3.0 must fail at depth 1 only (the
  // leaf's own signature, depth 0, is right).
  auto chain = run("openssl verify -CAfile " + root + " -untrusted " + issuing +
                   " -vfyopt distid:1234567812345678 " + leaf);
  if (chain.status == 0) {
    EXPECT_NE(chain.output.find(leaf + ": OK"), std::string::npos) << chain.output;
  } else {
    EXPECT_NE(chain.output.find("error 7 at 1 depth lookup: certificate signature failure"), std::string::npos)
        << chain.output;
    EXPECT_EQ(chain.output.find("at 0 depth"), std::string::npos) << chain.output;
  }
  // The openssl checks above can fail: the holder certificate is not issued
  // by the root itself, and the root is not issued by the issuing CA.
  auto wrong_issuer =
      run("openssl verify -partial_chain -CAfile " + root + " -vfyopt distid:1234567812345678 " + leaf);
  EXPECT_NE(wrong_issuer.status, 0) << wrong_issuer.output;
  auto upside_down =
      run("openssl verify -partial_chain -CAfile " + issuing + " -vfyopt distid:1234567812345678 " + root);
  EXPECT_NE(upside_down.status, 0) << upside_down.output;
  // In process, with the ID on every certificate, the whole chain verifies.
  EXPECT_TRUE(verify_chain(*cert, {hierarchy_->issuing_certificate}, {hierarchy_->root_certificate}).ok());
}

TEST_F(IssuerTest, SerialsAreFreshAndCheckedForUniqueness) {
  LocalSigner holder;
  std::set<std::string> serials;
  for (int i = 0; i < 5; ++i) serials.insert(ok_value(issue(holder_profile(), holder.pub)).serial_hex());
  EXPECT_EQ(serials.size(), 5u);
  for (const std::string& s : serials) EXPECT_GE(std::stoi(s.substr(0, 1), nullptr, 16), 4);  // 01xxxxxx first byte
  // A store that says every serial is taken: issuance fails, nothing is signed.
  IssuancePolicy all_taken = policy_;
  all_taken.serial_is_unused = [](ByteView) -> Result<bool> { return false; };
  auto c = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, holder_profile(), all_taken,
                                    crypto::SystemRandom::instance());
  EXPECT_EQ(c.code(), ErrorCode::kInternal);
  // A store error propagates.
  all_taken.serial_is_unused = [](ByteView) -> Result<bool> { return make_error(ErrorCode::kUnavailable, "db"); };
  EXPECT_EQ(issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, holder_profile(), all_taken,
                                     crypto::SystemRandom::instance())
                .code(),
            ErrorCode::kUnavailable);
}

TEST_F(IssuerTest, LintRefusesProfileViolations) {
  LocalSigner holder;
  auto expect_refused = [&](const HolderProfile& p, const std::string& reason) {
    auto c = issue(p, holder.pub);
    ASSERT_FALSE(c.ok()) << reason;
    EXPECT_EQ(c.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message.find(reason), std::string::npos) << c.error().message;
  };
  HolderProfile p = holder_profile();
  p.validity = std::chrono::days(3650);
  expect_refused(p, "validity ends after the issuer's");
  p = holder_profile();
  p.not_before = hierarchy_->issuing_certificate.not_before() - std::chrono::days(1);
  expect_refused(p, "validity starts before the issuer's");
  p = holder_profile();
  p.crl_url.clear();
  expect_refused(p, "CRL distribution point");
  p = holder_profile();
  p.ocsp_url.clear();
  expect_refused(p, "OCSP URI missing");
  p = holder_profile();
  p.policy_oid = "1.2.3.4";
  expect_refused(p, "certificatePolicies is not");
  p = holder_profile();
  p.subject.serial_number.clear();
  expect_refused(p, "no serialNumber");
  p = holder_profile();
  p.subject.serial_number = "11010519491231002X";  // the GB 11643 example ID number
  expect_refused(p, "raw ID number");
  p = holder_profile();
  p.subject.common_name = "Zhang San 110105194912310";
  expect_refused(p, "raw ID number");
  IssuancePolicy short_policy = policy_;
  short_policy.max_validity = std::chrono::days(90);
  auto c = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, holder_profile(), short_policy,
                                    crypto::SystemRandom::instance(), now_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("longer than the policy allows"), std::string::npos) << c.error().message;
  p = holder_profile();
  p.crl_url = "http://x/a,b";
  EXPECT_EQ(issue(p, holder.pub).code(), ErrorCode::kInvalidArgument);
}

// Issue 12: CN = the holder's full name (UTF8String), checked against the
// name the service meant; the GM/T 0015 IdentifyCode extension only when the
// policy asks for it, exactly as docs/pki.md describes its DER.
TEST_F(IssuerTest, FullNameCnAndIdentifyCodeExtension) {
  LocalSigner holder;
  constexpr const char* kId = "11010519491231002X";  // the GB 11643 example ID number
  HolderProfile p = holder_profile();
  p.subject.common_name = "张三丰";
  IssuancePolicy strict = policy_;
  strict.expected_common_name = "张三丰";
  auto plain = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                        crypto::SystemRandom::instance(), now_);
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  ScratchDir dir;
  std::string pem = dir.write("plain.pem", plain->pem());
  auto text = run("openssl x509 -in " + pem + " -noout -text -nameopt utf8,sep_comma_plus");
  ASSERT_EQ(text.status, 0) << text.output;
  EXPECT_NE(text.output.find("CN=张三丰"), std::string::npos) << text.output;
  EXPECT_EQ(text.output.find("1.2.156.10260.4.1.1"), std::string::npos) << text.output;
  const Bytes plain_bytes = plain->der();
  std::string plain_der(plain_bytes.begin(), plain_bytes.end());
  EXPECT_EQ(plain_der.find(kId), std::string::npos);
  bool utf8_cn = false;
  for (const auto& item : asn1parse(dir.write("plain.der", std::string(plain_der)))) {
    if (item.what.find("UTF8STRING") != std::string::npos && item.what.find("张三丰") != std::string::npos) utf8_cn = true;
  }
  EXPECT_TRUE(utf8_cn) << "CN is not a UTF8String";

  // A CN other than the one the service meant is refused.
  strict.expected_common_name = "张三";
  auto wrong = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                        crypto::SystemRandom::instance(), now_);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("subject CN is not the name"), std::string::npos) << wrong.error().message;
  strict.expected_common_name = "张三丰";

  // gmt0015: the extension is there, non-critical, A0 14 13 12 + the number.
  p.identify_code = kId;
  // ... but not while the policy says none.
  auto unasked = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                          crypto::SystemRandom::instance(), now_);
  ASSERT_FALSE(unasked.ok());
  EXPECT_NE(unasked.error().message.find("policy is none"), std::string::npos) << unasked.error().message;
  strict.expected_identify_code = kId;
  auto with_id = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                          crypto::SystemRandom::instance(), now_);
  ASSERT_TRUE(with_id.ok()) << with_id.error().to_string();
  std::string der_path = dir.write("id.der", with_id->der());
  auto items = asn1parse(der_path);
  size_t at = 0;
  while (at < items.size() && items[at].what.find("1.2.156.10260.4.1.1") == std::string::npos) ++at;
  ASSERT_LT(at + 1, items.size()) << "no IdentifyCode extension";
  // No BOOLEAN between the OID and the value: critical is FALSE (DEFAULT, omitted).
  EXPECT_NE(items[at + 1].what.find("OCTET STRING"), std::string::npos) << items[at + 1].what;
  std::string hex = "A0141312";
  for (const char* c = kId; *c; ++c) {
    char b[3];
    std::snprintf(b, sizeof b, "%02X", static_cast<unsigned char>(*c));
    hex += b;
  }
  EXPECT_NE(items[at + 1].what.find(hex), std::string::npos) << items[at + 1].what;
  // The value parses on its own as [0] constructed (EXPLICIT) around an
  // 18-character PrintableString.
  auto inner = run("openssl asn1parse -inform DER -in " + der_path + " -strparse " +
                   std::to_string(items[at + 1].offset));
  EXPECT_NE(inner.output.find("l=  20 cons: cont [ 0 ]"), std::string::npos) << inner.output;
  EXPECT_NE(inner.output.find("l=  18 prim: PRINTABLESTRING   :11010519491231002X"), std::string::npos) << inner.output;
  auto id_text = run("openssl x509 -inform DER -in " + der_path + " -noout -text");
  EXPECT_NE(id_text.output.find("1.2.156.10260.4.1.1: \n"), std::string::npos) << id_text.output;

  // The policy expects the extension: without it (or with another number) refused.
  p.identify_code.clear();
  auto missing = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                          crypto::SystemRandom::instance(), now_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("identity-code extension missing"), std::string::npos);
  p.identify_code = "110105491231002";
  auto other = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                        crypto::SystemRandom::instance(), now_);
  ASSERT_FALSE(other.ok());
  // Even under gmt0015 the number anywhere else is refused.
  p.identify_code = kId;
  p.subject.organizational_unit = std::string("id ") + kId;
  auto elsewhere = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                            crypto::SystemRandom::instance(), now_);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.error().message.find("raw ID number"), std::string::npos) << elsewhere.error().message;
  p.subject.organizational_unit.clear();
  p.crl_url = std::string("http://ca.duet.test/crl/") + kId + ".crl";
  auto in_url = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                         crypto::SystemRandom::instance(), now_);
  ASSERT_FALSE(in_url.ok());
  EXPECT_NE(in_url.error().message.find("raw ID number"), std::string::npos) << in_url.error().message;
}

// The holder's own number of a type the resident-ID shape check cannot see
// (a passport number) is refused anywhere in the certificate, in any case;
// under gmt0015 the extension is still the one place for a resident number.
TEST_F(IssuerTest, LintRefusesTheHolderNumberOfAnyTypeOutsideTheExtension) {
  LocalSigner holder;
  IssuancePolicy strict = policy_;
  strict.holder_id_number = "E12345678";
  HolderProfile p = holder_profile();
  ASSERT_TRUE(issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                       crypto::SystemRandom::instance(), now_).ok());
  for (int where = 0; where < 3; ++where) {
    p = holder_profile();
    if (where == 0) p.subject.organizational_unit = "passport E12345678";
    if (where == 1) p.subject.common_name = "Zhang San e12345678";
    if (where == 2) p.ocsp_url = "http://ca.duet.test/ocsp/E12345678";
    auto c = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                      crypto::SystemRandom::instance(), now_);
    ASSERT_FALSE(c.ok()) << where;
    EXPECT_NE(c.error().message.find("raw ID number"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find("12345678"), std::string::npos) << "the error names the number";
  }
  // Shorter than kMinLiteralIdNumber: not searched literally (it could match
  // by chance and block the holder for good).
  strict.holder_id_number = "E1234";
  p = holder_profile();
  p.subject.organizational_unit = "E1234";
  EXPECT_TRUE(issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                       crypto::SystemRandom::instance(), now_).ok());
  // gmt0015: the resident number in its extension is fine; the same number
  // in the subject as well is not.
  strict.holder_id_number = strict.expected_identify_code = "11010519491231002X";
  p = holder_profile();
  p.identify_code = "11010519491231002x";
  auto in_ext = issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                         crypto::SystemRandom::instance(), now_);
  ASSERT_TRUE(in_ext.ok()) << in_ext.error().to_string();
  p.subject.organizational_unit = "11010519491231002X";
  EXPECT_FALSE(issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, strict,
                                        crypto::SystemRandom::instance(), now_).ok());
}

// The environment marker (issue 14 item 1): the OU the service meant to write,
// exactly; a marked certificate only from a CA marked the same.
TEST_F(IssuerTest, LintChecksTheEnvironmentMarkerOu) {
  const std::string marker = "Sandbox (not for production use)";
  LocalSigner holder;
  HolderProfile p = holder_profile();
  // Production: no OU expected, none written.
  policy_.expected_organizational_unit = "";
  EXPECT_TRUE(issue(p, holder.pub).ok());
  // An OU where none is meant: refused.
  p.subject.organizational_unit = marker;
  auto refused = issue(p, holder.pub);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("subject OU"), std::string::npos) << refused.error().message;
  // The sandbox marker, but from an unmarked (production) CA: refused.
  policy_.expected_organizational_unit = marker;
  refused = issue(p, holder.pub);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("issuing CA does not belong"), std::string::npos) << refused.error().message;
  // The marker missing from a certificate meant to carry it: refused.
  HolderProfile unmarked = holder_profile();
  EXPECT_FALSE(issue(unmarked, holder.pub).ok());
  // From a CA marked the same: issued, and openssl shows the OU.
  CaProfile sandbox;
  sandbox.root_subject.organizational_unit = marker;
  sandbox.issuing_subject.organizational_unit = marker;
  sandbox.issuing_subject.common_name = "Duet Sandbox Issuing CA";
  CaHierarchy h = ok_value(create_ca_hierarchy(sandbox, crypto::SystemRandom::instance(), now_));
  auto cert = issue_holder_certificate(h.issuing_ca(), holder.pub, p, policy_, crypto::SystemRandom::instance(), now_);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  ScratchDir dir;
  auto out = run("openssl x509 -in " + dir.write("h.pem", cert->pem()) + " -noout -subject -issuer");
  ASSERT_EQ(out.status, 0) << out.output;
  EXPECT_NE(out.output.find("subject=C = CN, O = Example Co, OU = " + marker), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("CN = Duet Sandbox Issuing CA"), std::string::npos) << out.output;
}

TEST(IdentifyCode, EncodesOnlyResidentIdNumbers) {
  Bytes der = ok_value(encode_identify_code("11010519491231002x"));
  ASSERT_EQ(der.size(), 22u);
  EXPECT_EQ(der[0], 0xa0);  // [0] EXPLICIT: context-specific, constructed
  EXPECT_EQ(der[1], 20);
  EXPECT_EQ(der[2], 0x13);  // PrintableString
  EXPECT_EQ(der[3], 18);
  EXPECT_EQ(std::string(der.begin() + 4, der.end()), "11010519491231002X");
  EXPECT_EQ(ok_value(encode_identify_code("110105491231002")).size(), 19u);
  for (const char* bad : {"", "110105194912310021", "E12345678", "11010519491231002X1", "1101051949123100 2X"}) {
    EXPECT_EQ(encode_identify_code(bad).code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(Lint, ResidentIdPatterns) {
  EXPECT_TRUE(looks_like_resident_id("11010519491231002X"));
  EXPECT_TRUE(looks_like_resident_id("id:11010519491231002x!"));
  EXPECT_TRUE(looks_like_resident_id("110105491231002"));
  EXPECT_FALSE(looks_like_resident_id("110105194912310021"));  // bad check character
  EXPECT_FALSE(looks_like_resident_id("3f9a0c5b7d2e4f61a0b1c2d3e4f5a6b7"));
  EXPECT_FALSE(looks_like_resident_id("a110105491231002"));   // 15 digits inside a token
  EXPECT_FALSE(looks_like_resident_id("Zhang San"));
}

TEST_F(IssuerTest, OcspSignerCertificate) {
  LocalSigner responder;
  auto c = issue_ocsp_signer_certificate(hierarchy_->issuing_ca(), responder.pub, {"CN", "Duet", "", "Duet OCSP", ""},
                                         std::chrono::days(30), crypto::SystemRandom::instance());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ScratchDir dir;
  auto text = run("openssl x509 -in " + dir.write("o.pem", c->pem()) + " -noout -text");
  EXPECT_NE(text.output.find("X509v3 Extended Key Usage: critical\n                OCSP Signing"), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("OCSP No Check"), std::string::npos) << text.output;
}

}  // namespace
}  // namespace duet::pki
