// The time-stamping unit (core/timestamp_service.h): its certificate from the
// built-in CA, kept across restarts, answers to RFC 3161 requests (granted or
// rejected with the right failure), and signature timestamps.
#include "core/timestamp_service.h"

#include <gtest/gtest.h>

#include "core/test_fixture.h"
#include "crypto/sm2_evp.h"
#include "pki/issuer.h"
#include "pki/test_support.h"

namespace duet::core {
namespace {

using pki::testing::run;
using pki::testing::ScratchDir;
using testing_support::ok_value;

pki::CmsTrust trust_of(const CertificateService& certs) {
  pki::CmsTrust t;
  t.intermediates = {ok_value(certs.ca_certificate(certs.issuing_ca_id()))};
  t.roots = {ok_value(certs.ca_certificate(certs.root_ca_id()))};
  return t;
}

TEST_F(CoreTest, TheTimeStampingUnitIsCertifiedOnceAndKeptAcrossRestarts) {
  TimestampService tsa(*deps, *kek, *certs);
  ASSERT_OK(tsa.bootstrap(clock.now()));
  ASSERT_TRUE(tsa.ready());
  const pki::Certificate* cert = tsa.certificate();
  ASSERT_NE(cert, nullptr);
  EXPECT_NE(cert->subject().find("CN=Duet Time Stamping Unit"), std::string::npos) << cert->subject();
  ScratchDir scratch;
  auto text = run("openssl x509 -noout -text -in " + scratch.write("tsa.pem", cert->pem()));
  EXPECT_NE(text.output.find("X509v3 Extended Key Usage: critical\n                Time Stamping"), std::string::npos)
      << text.output;

  // A restart loads the same unit; nothing new is stored.
  const std::string id = tsa.tsa_ca_id();
  const size_t records = ok_value(store_->list_cas()).size();
  TimestampService again(*deps, *kek, *certs);
  ASSERT_OK(again.bootstrap(clock.now()));
  EXPECT_EQ(again.tsa_ca_id(), id);
  EXPECT_EQ(ok_value(store_->list_cas()).size(), records);

  // Close to its end, a new unit is certified.
  clock.advance(cert->not_after().time_since_epoch().count() - clock.now() - 86400);
  TimestampService renewed(*deps, *kek, *certs);
  ASSERT_OK(renewed.bootstrap(clock.now()));
  EXPECT_NE(renewed.tsa_ca_id(), id);
}

TEST_F(CoreTest, TheTimeStampingUnitAnswersRfc3161Requests) {
  TimestampService tsa(*deps, *kek, *certs);
  ASSERT_OK(tsa.bootstrap(clock.now()));
  ScratchDir scratch;
  auto made = run("openssl ts -query -data " + scratch.write("doc.txt", std::string("contract")) + " -sm3 -cert -out " +
                  scratch.file("req.tsq"));
  ASSERT_EQ(made.status, 0) << made.output;
  std::string req = scratch.read("req.tsq");
  Bytes resp = tsa.respond(as_bytes(req), clock.now());
  auto text = run("openssl ts -reply -in " + scratch.write("resp.tsr", resp) + " -text");
  EXPECT_NE(text.output.find("Status: Granted."), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Policy OID: 1.3.6.1.4.1.99999.1.3.1"), std::string::npos) << text.output;

  Bytes token = ok_value(pki::timestamp_token_of_response(resp));
  crypto::Digest imprint = crypto::sm3(as_bytes(std::string("contract")));
  auto v = ok_value(pki::verify_timestamp_token(token, pki::ImprintHash::kSm3,
                                                ByteView(imprint.data(), imprint.size()), trust_of(*certs)));
  EXPECT_TRUE(v.ok()) << (v.problems.empty() ? "" : v.problems[0]);
  EXPECT_EQ(v.gen_time, pki::Time(std::chrono::seconds(clock.now())));
  EXPECT_EQ(v.serial.size(), 16u);
  // Two tokens, two serial numbers.
  Bytes second = ok_value(pki::timestamp_token_of_response(tsa.respond(as_bytes(req), clock.now())));
  EXPECT_NE(ok_value(pki::verify_timestamp_token(second, pki::ImprintHash::kSm3,
                                                 ByteView(imprint.data(), imprint.size()), trust_of(*certs)))
                .serial,
            v.serial);

  // Rejections name the failure; garbage is badDataFormat, MD5 badAlg.
  auto rejected = [&](ByteView request, const std::string& reason) {
    Bytes r = tsa.respond(request, clock.now());
    EXPECT_EQ(pki::timestamp_token_of_response(r).code(), ErrorCode::kUnavailable);
    auto shown = run("openssl ts -reply -in " + scratch.write("rej.tsr", r) + " -text");
    EXPECT_NE(shown.output.find("Status: Rejected."), std::string::npos) << shown.output;
    EXPECT_NE(shown.output.find(reason), std::string::npos) << shown.output;
  };
  rejected(as_bytes(std::string("not a request")), "the data submitted has the wrong format");
  auto md5 = run("openssl ts -query -data " + scratch.file("doc.txt") + " -md5 -out " + scratch.file("md5.tsq"));
  ASSERT_EQ(md5.status, 0) << md5.output;
  rejected(as_bytes(scratch.read("md5.tsq")), "unrecognized or unsupported algorithm identifier");
  auto policy = run("openssl ts -query -data " + scratch.file("doc.txt") + " -sm3 -tspolicy 1.2.3.4 -out " +
                    scratch.file("policy.tsq"));
  ASSERT_EQ(policy.status, 0) << policy.output;
  rejected(as_bytes(scratch.read("policy.tsq")), "the requested TSA policy is not supported");
}

TEST_F(CoreTest, ASignatureTimestampCoversTheSignatureValue) {
  TimestampService tsa(*deps, *kek, *certs);
  ASSERT_OK(tsa.bootstrap(clock.now()));
  // Any one-signer SignedData will do: the TSA's own token is one.
  Bytes signed_data = ok_value(tsa.stamp(crypto::sm3(as_bytes(std::string("x"))), clock.now()));
  Bytes stamped = ok_value(tsa.stamp_signature(signed_data, clock.now()));
  std::vector<Bytes> tokens = ok_value(pki::signature_timestamps(stamped));
  ASSERT_EQ(tokens.size(), 1u);
  crypto::Digest imprint = ok_value(pki::signature_timestamp_imprint(signed_data));
  EXPECT_TRUE(ok_value(pki::verify_timestamp_token(tokens[0], pki::ImprintHash::kSm3,
                                                   ByteView(imprint.data(), imprint.size()), trust_of(*certs)))
                  .ok());
}

}  // namespace
}  // namespace duet::core
