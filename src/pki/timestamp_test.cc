#include "pki/timestamp.h"

#include <gtest/gtest.h>

#include "crypto/sm2_evp.h"
#include "pki/issuer.h"
#include "pki/test_support.h"

namespace duet::pki {
namespace {

using namespace testing;  // LocalSigner, ScratchDir, run, openssl_check_signed_attributes, ok_value

constexpr const char* kPolicy = "1.3.6.1.4.1.99999.1.3.1";

class TimestampTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hierarchy_ = std::make_unique<CaHierarchy>(
        ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance(), now_)));
    tsa_cert_ = std::make_unique<Certificate>(ok_value(
        issue_tsa_certificate(hierarchy_->issuing_ca(), tsa_key_.pub, {"CN", "Duet", "", "Duet Time Stamping Unit", ""},
                              std::chrono::days(365), crypto::SystemRandom::instance(), now_)));
    trust_.intermediates = {hierarchy_->issuing_certificate};
    trust_.roots = {hierarchy_->root_certificate};
  }
  TimestampAuthority tsa() { return {*tsa_cert_, tsa_key_.signer(), kPolicy}; }
  TimestampRequest request_for(std::string_view data) {
    TimestampRequest r;
    crypto::Digest d = crypto::sm3(as_bytes(data));
    r.imprint.assign(d.begin(), d.end());
    r.nonce = Bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    r.cert_req = true;
    return r;
  }
  Bytes token_for(const TimestampRequest& r) {
    Bytes resp = ok_value(issue_timestamp(r, tsa(), Bytes{0x2a}, now_));
    return ok_value(timestamp_token_of_response(resp));
  }

  const Time now_ = now_seconds();
  LocalSigner tsa_key_;
  std::unique_ptr<CaHierarchy> hierarchy_;
  std::unique_ptr<Certificate> tsa_cert_;
  CmsTrust trust_;
};

TEST_F(TimestampTest, RequestRoundTripsAndOpensslRequestsParse) {
  TimestampRequest r = request_for("contract");
  r.policy_oid = kPolicy;
  TimestampRequest back = ok_value(parse_timestamp_request(ok_value(encode_timestamp_request(r))));
  EXPECT_EQ(back.hash, ImprintHash::kSm3);
  EXPECT_EQ(back.imprint, r.imprint);
  EXPECT_EQ(back.nonce, r.nonce);
  EXPECT_TRUE(back.cert_req);
  EXPECT_EQ(back.policy_oid, std::optional<std::string>(kPolicy));

  // A request made by another implementation: the openssl CLI, SHA-256 and SM3.
  ScratchDir dir;
  for (const char* alg : {"sha256", "sm3"}) {
    std::string out = dir.file(std::string("req-") + alg + ".tsq");
    auto made = run("openssl ts -query -data " + dir.write("data.txt", std::string("contract")) + " -" + alg +
                    " -cert -out " + out);
    ASSERT_EQ(made.status, 0) << made.output;
    std::string der = dir.read(std::string("req-") + alg + ".tsq");
    TimestampRequest parsed = ok_value(parse_timestamp_request(as_bytes(der)));
    EXPECT_EQ(parsed.hash, std::string(alg) == "sm3" ? ImprintHash::kSm3 : ImprintHash::kSha256);
    EXPECT_EQ(parsed.imprint.size(), 32u);
    EXPECT_TRUE(parsed.cert_req);
    EXPECT_TRUE(parsed.nonce.has_value()) << "openssl ts -query adds a nonce by default";
  }
  EXPECT_EQ(parse_timestamp_request(as_bytes(std::string("garbage"))).code(), ErrorCode::kBadEncoding);
}

TEST_F(TimestampTest, OpensslReadsTheReplyAndChecksItsSignature) {
  ScratchDir dir;
  auto made = run("openssl ts -query -data " + dir.write("data.txt", std::string("contract")) + " -sm3 -cert -out " +
                  dir.file("req.tsq"));
  ASSERT_EQ(made.status, 0) << made.output;
  TimestampRequest r = ok_value(parse_timestamp_request(as_bytes(dir.read("req.tsq"))));
  Bytes resp = ok_value(issue_timestamp(r, tsa(), Bytes{0x01, 0x00}, now_));
  std::string resp_path = dir.write("resp.tsr", resp);
  auto text = run("openssl ts -reply -in " + resp_path + " -text");
  ASSERT_EQ(text.status, 0) << text.output;
  for (const char* want : {"Status: Granted.", "Policy OID: 1.3.6.1.4.1.99999.1.3.1", "Hash Algorithm: sm3",
                           "Serial number: 0x0100", "Accuracy: 0x01 seconds", "Ordering: no",
                           "TSA: DirName:/C=CN/O=Duet/CN=Duet Time Stamping Unit"}) {
    EXPECT_NE(text.output.find(want), std::string::npos) << want << "\n" << text.output;
  }
  // The nonce and the imprint are the request's (openssl prints both).
  auto query = run("openssl ts -query -in " + dir.file("req.tsq") + " -text");
  auto line_of = [](const std::string& s, const std::string& key) {
    size_t at = s.find(key);
    return at == std::string::npos ? std::string() : s.substr(at, s.find('\n', at) - at);
  };
  EXPECT_EQ(line_of(text.output, "Nonce:"), line_of(query.output, "Nonce:"));
  EXPECT_FALSE(line_of(query.output, "Nonce:").empty());

  // The token's signature, checked with the openssl CLI alone under the TSA's key.
  auto token_out = run("openssl ts -reply -in " + resp_path + " -token_out -out " + dir.file("token.der"));
  ASSERT_EQ(token_out.status, 0) << token_out.output;
  std::string token = dir.read("token.der");
  Bytes ours = ok_value(timestamp_token_of_response(resp));
  EXPECT_EQ(token, std::string(ours.begin(), ours.end()));
  std::string ok = openssl_check_signed_attributes(dir, as_bytes(token), ok_value(crypto::public_key_spki_pem(tsa_key_.pub)));
  EXPECT_NE(ok.find("Verified OK"), std::string::npos) << ok;
}

TEST_F(TimestampTest, TokenVerifiesAndEachFaultIsNamed) {
  TimestampRequest r = request_for("contract");
  Bytes token = token_for(r);
  TimestampVerification v = ok_value(verify_timestamp_token(token, ImprintHash::kSm3, r.imprint, trust_));
  EXPECT_TRUE(v.ok()) << (v.problems.empty() ? "" : v.problems[0]);
  EXPECT_EQ(v.gen_time, now_);
  EXPECT_EQ(v.serial, Bytes{0x2a});
  EXPECT_EQ(v.policy_oid, kPolicy);
  ASSERT_TRUE(v.tsa.has_value());
  EXPECT_EQ(v.tsa->der(), tsa_cert_->der());

  // Another imprint.
  crypto::Digest other = crypto::sm3(as_bytes(std::string("another contract")));
  v = ok_value(verify_timestamp_token(token, ImprintHash::kSm3, ByteView(other.data(), other.size()), trust_));
  EXPECT_FALSE(v.imprint_matches);
  EXPECT_FALSE(v.ok());
  // The same bytes under another hash algorithm.
  EXPECT_FALSE(ok_value(verify_timestamp_token(token, ImprintHash::kSha256, r.imprint, trust_)).ok());

  // Another trust anchor.
  auto foreign = ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance(), now_));
  v = ok_value(verify_timestamp_token(token, ImprintHash::kSm3, r.imprint,
                                      CmsTrust{{foreign.issuing_certificate}, {foreign.root_certificate}, {}}));
  EXPECT_TRUE(v.cms.has(CmsProblem::kChainInvalid));
  EXPECT_FALSE(v.ok());

  // A changed genTime (inside the signed TSTInfo): the messageDigest breaks.
  std::string s(token.begin(), token.end());
  char stamp[16];
  std::time_t t = now_.time_since_epoch().count();
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", std::gmtime(&t));
  size_t at = s.find(std::string(stamp) + "Z");
  ASSERT_NE(at, std::string::npos);
  Bytes tampered = token;
  tampered[at + 13] = tampered[at + 13] == '0' ? '1' : '0';
  v = ok_value(verify_timestamp_token(tampered, ImprintHash::kSm3, r.imprint, trust_));
  EXPECT_TRUE(v.cms.has(CmsProblem::kMessageDigestMismatch)) << (v.problems.empty() ? "" : v.problems[0]);

  // A certificate without the time-stamping usage (an ordinary leaf) is not a TSA.
  LocalSigner leaf_key;
  Certificate ocsp = ok_value(issue_ocsp_signer_certificate(hierarchy_->issuing_ca(), leaf_key.pub,
                                                            {"CN", "Duet", "", "Not a TSA", ""}, std::chrono::days(30),
                                                            crypto::SystemRandom::instance(), now_));
  Bytes wrong = ok_value(timestamp_token_of_response(
      ok_value(issue_timestamp(r, TimestampAuthority{ocsp, leaf_key.signer(), kPolicy}, Bytes{0x01}, now_))));
  v = ok_value(verify_timestamp_token(wrong, ImprintHash::kSm3, r.imprint, trust_));
  EXPECT_FALSE(v.ok());
  EXPECT_NE(std::find(v.problems.begin(), v.problems.end(),
                      "the signer's certificate is not a time-stamping certificate"),
            v.problems.end());

  // Garbage is an error, not a verdict.
  EXPECT_EQ(verify_timestamp_token(as_bytes(std::string("x")), ImprintHash::kSm3, r.imprint, trust_).code(),
            ErrorCode::kBadEncoding);
}

TEST_F(TimestampTest, RefusalsAndRejections) {
  TimestampRequest r = request_for("contract");
  r.policy_oid = "1.2.3.4";
  EXPECT_EQ(issue_timestamp(r, tsa(), Bytes{0x01}, now_).code(), ErrorCode::kInvalidArgument);
  r.policy_oid.reset();
  r.imprint.pop_back();
  EXPECT_EQ(issue_timestamp(r, tsa(), Bytes{0x01}, now_).code(), ErrorCode::kInvalidArgument);

  // A rejection reads as one, by us and by openssl.
  Bytes rejection = timestamp_rejection(TimestampFailure::kBadAlg, "the imprint's hash must be SM3 or SHA-256");
  EXPECT_EQ(timestamp_token_of_response(rejection).code(), ErrorCode::kUnavailable);
  ScratchDir dir;
  auto text = run("openssl ts -reply -in " + dir.write("rej.tsr", rejection) + " -text");
  EXPECT_NE(text.output.find("Status: Rejected."), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("unrecognized or unsupported algorithm identifier"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("the imprint's hash must be SM3 or SHA-256"), std::string::npos) << text.output;

  // A token without the certificate when the request does not ask for it.
  TimestampRequest no_cert = request_for("contract");
  no_cert.cert_req = false;
  Bytes bare = token_for(no_cert);
  auto print = run("openssl cms -cmsout -print -inform DER -in " + dir.write("bare.der", bare));
  EXPECT_NE(print.output.find("certificates:\n      <ABSENT>"), std::string::npos) << print.output;
}

TEST_F(TimestampTest, SignatureTimestampLeavesTheSignatureValid) {
  // A holder's CMS signature, then a timestamp over its signature value (PAdES B-T).
  LocalSigner holder;
  HolderProfile p;
  p.subject = {"CN", "Example Co", "", "Li Si", "9c1e77ab-20d4f3e5"};
  p.crl_url = "http://ca.duet.test/crl";
  p.ocsp_url = "http://ca.duet.test/ocsp";
  p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
  IssuancePolicy policy;
  policy.policy_oid = p.policy_oid;
  Certificate holder_cert = ok_value(issue_holder_certificate(hierarchy_->issuing_ca(), holder.pub, p, policy,
                                                              crypto::SystemRandom::instance(), now_));
  const std::string content = "contract #42";
  CmsSignOptions o;
  o.signing_time = now_;
  Bytes sig = ok_value(cms_sign(as_bytes(content), holder_cert, holder.signer(), o));
  EXPECT_TRUE(ok_value(signature_timestamps(sig)).empty());

  crypto::Digest imprint = ok_value(signature_timestamp_imprint(sig));
  TimestampRequest r;
  r.imprint.assign(imprint.begin(), imprint.end());
  r.cert_req = true;
  Bytes token = token_for(r);
  Bytes stamped = ok_value(add_signature_timestamp(sig, token));
  EXPECT_TRUE(ok_value(verify_cms(stamped, as_bytes(content), trust_)).ok()) << "the signature still holds";
  std::vector<Bytes> tokens = ok_value(signature_timestamps(stamped));
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0], token);
  EXPECT_TRUE(ok_value(verify_timestamp_token(tokens[0], ImprintHash::kSm3,
                                              ByteView(imprint.data(), imprint.size()), trust_))
                  .ok());
  // The openssl CLI sees the unsigned attribute.
  ScratchDir dir;
  auto print = run("openssl cms -cmsout -print -inform DER -in " + dir.write("stamped.der", stamped));
  EXPECT_NE(print.output.find("unsignedAttrs:"), std::string::npos) << print.output;
  EXPECT_NE(print.output.find("id-smime-aa-timeStampToken"), std::string::npos) << print.output;

  // A token over something else is refused.
  Bytes unrelated = token_for(request_for("something else"));
  EXPECT_EQ(add_signature_timestamp(sig, unrelated).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace duet::pki
