// The signer's name on a gateway seal: the CN of a real certificate issued by
// the project's CA (a CJK name survives as UTF-8), the current certificate
// chosen from duetd's certificate list (newest good one valid now), and the
// holder ids the gateway puts in upstream paths.
#include "gateway/signer_name.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/result_testing.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "crypto/scalar.h"
#include "pki/ca.h"
#include "pki/issuer.h"

namespace duet::gateway {
namespace {

using testing_support::ok_value;

class SignerNameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const pki::Time now = pki::now_seconds();
    auto& rng = crypto::SystemRandom::instance();
    hierarchy_ = std::make_unique<pki::CaHierarchy>(ok_value(pki::create_ca_hierarchy(pki::CaProfile{}, rng, now)));
    zhang_ = issue("张三", now);
    li_ = issue("李四", now);
  }
  std::string issue(const std::string& cn, pki::Time now) {
    auto key = crypto::Point::mul_base(crypto::Scalar::random_nonzero(crypto::SystemRandom::instance())).value();
    pki::HolderProfile p;
    p.subject = {"CN", "Example Co", "", cn, "9c1e77ab20d4f3e5"};
    p.crl_url = "http://ca.duet.test/crl";
    p.ocsp_url = "http://ca.duet.test/ocsp";
    p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
    pki::IssuancePolicy policy;
    policy.policy_oid = p.policy_oid;
    return ok_value(pki::issue_holder_certificate(hierarchy_->issuing_ca(), key, p, policy,
                                                  crypto::SystemRandom::instance(), now))
        .pem();
  }
  static nlohmann::json entry(const std::string& pem, const char* status, int64_t nb, int64_t na) {
    return {{"status", status}, {"not_before", nb}, {"not_after", na}, {"certificate_pem", pem}};
  }

  std::unique_ptr<pki::CaHierarchy> hierarchy_;
  std::string zhang_, li_;
};

TEST_F(SignerNameTest, TheCommonNameOfACertificateInPemAndDer) {
  EXPECT_EQ(ok_value(certificate_common_name(as_bytes(zhang_))), "张三");
  auto der = pki::Certificate::parse(zhang_)->der();
  EXPECT_EQ(ok_value(certificate_common_name(der)), "张三");
  EXPECT_EQ(certificate_common_name(as_bytes(std::string_view("not a certificate"))).code(), ErrorCode::kBadEncoding);
}

TEST_F(SignerNameTest, TheCurrentCertificateIsTheNewestGoodOneValidNow) {
  const int64_t now = 1'800'000'000;
  nlohmann::json list = {{"certificates",
                          {entry(li_, "revoked", now - 10, now + 1000), entry(li_, "good", now - 1000, now - 1),
                           entry(zhang_, "good", now - 100, now + 1000), entry(li_, "good", now - 500, now + 1000)}}};
  // Revoked and expired ones are passed over; the first good one valid now wins.
  EXPECT_EQ(ok_value(current_certificate_name(list.dump(), now)), "张三");
  // Issued a moment ago by a clock ahead of ours: still current.
  list = {{"certificates", {entry(li_, "good", now + 60, now + 1000)}}};
  EXPECT_EQ(ok_value(current_certificate_name(list.dump(), now)), "李四");
  list = {{"certificates", {entry(li_, "good", now + 3600, now + 7200), entry(zhang_, "revoked", now - 5, now + 5)}}};
  EXPECT_EQ(current_certificate_name(list.dump(), now).code(), ErrorCode::kNotFound);
  EXPECT_EQ(current_certificate_name(R"({"certificates": []})", now).code(), ErrorCode::kNotFound);
  EXPECT_EQ(current_certificate_name("<html>", now).code(), ErrorCode::kUnavailable);
}

TEST(SignerName, HolderIdsArePathSafe) {
  EXPECT_TRUE(valid_holder_id("hld_0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(valid_holder_id("a-B_9"));
  for (const char* bad : {"", "../orders", "hld/1", "hld?x=1", "hld 1", "hld%2f", "张三"})
    EXPECT_FALSE(valid_holder_id(bad)) << bad;
  EXPECT_FALSE(valid_holder_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace duet::gateway
