// CMS outputs of sign orders (core/cms_orders.h): the plan's e is what the
// holder's key signs, the same at every read of the order; the assembled
// SignedData verifies (pki::verify_cms: OpenSSL 3.0's `cms -verify` cannot
// take the SM2 ID) with the order's signing time and OID style; a signature
// for another e, or a digest item in an attached CMS, is refused.
#include "core/cms_orders.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "base/result_testing.h"
#include "core/pdf_orders.h"
#include "crypto/sm3.h"
#include "pki/cms.h"
#include "pki/issuer.h"
#include "pki/test_support.h"

namespace duet::core {
namespace {

using store::OutputFormat;
using testing_support::ok_value;

TEST(IsCmsOutputTest, OnlyTheTwoCmsFormats) {
  EXPECT_FALSE(is_cms_output(OutputFormat::kRaw));
  EXPECT_FALSE(is_cms_output(OutputFormat::kDer));
  EXPECT_TRUE(is_cms_output(OutputFormat::kCmsDetached));
  EXPECT_TRUE(is_cms_output(OutputFormat::kCmsAttached));
}

class CmsOrdersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const pki::Time now = pki::now_seconds();
    created_at_ = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    hierarchy_ = std::make_unique<pki::CaHierarchy>(
        ok_value(pki::create_ca_hierarchy(pki::CaProfile{}, crypto::SystemRandom::instance(), now)));
    pki::HolderProfile p;
    p.subject = {"CN", "Example Co", "", "Wang Wu", "0a1b2c3d4e5f6071"};
    p.crl_url = "http://ca.duet.test/crl";
    p.ocsp_url = "http://ca.duet.test/ocsp";
    p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
    pki::IssuancePolicy policy;
    policy.policy_oid = p.policy_oid;
    auto c = pki::issue_holder_certificate(hierarchy_->issuing_ca(), holder_.pub, p, policy,
                                           crypto::SystemRandom::instance(), now);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    cert_ = std::make_unique<pki::Certificate>(ok_value(std::move(c)));
    trust_.intermediates = {hierarchy_->issuing_certificate};
    trust_.roots = {hierarchy_->root_certificate};
  }

  store::SignOrder order(OutputFormat format, std::string oid_style = "pkcs7") const {
    store::SignOrder o;
    o.tenant_id = "tnt_1";
    o.order_id = "ord_cms";
    o.output_format = format;
    o.cms_oid_style = std::move(oid_style);
    o.created_at = created_at_;
    return o;
  }
  store::SignItem data_item() const {
    store::SignItem item;
    item.input = Bytes(content_.begin(), content_.end());
    return item;
  }
  store::SignItem digest_item() const {
    crypto::Digest d = crypto::sm3(as_bytes(content_));
    store::SignItem item;
    item.input = Bytes(d.begin(), d.end());
    item.input_is_digest = true;
    return item;
  }
  // What the two-party protocol produces: a signature of e under the holder's key.
  crypto::Sm2Signature sign(const crypto::Digest& e) { return pki::testing::sign_digest(holder_.key, e); }

  pki::testing::LocalSigner holder_;
  std::unique_ptr<pki::CaHierarchy> hierarchy_;
  std::unique_ptr<pki::Certificate> cert_;
  pki::CmsTrust trust_;
  int64_t created_at_ = 0;
  const std::string content_ = "tenancy agreement, flat 3B";
};

TEST_F(CmsOrdersTest, PlanIsTheSameAtEveryRead) {
  for (OutputFormat f : {OutputFormat::kCmsDetached, OutputFormat::kCmsAttached}) {
    ASSERT_OK_AND_ASSIGN(CmsItemPlan a, cms_item_plan(*cert_, order(f), data_item()));
    ASSERT_OK_AND_ASSIGN(CmsItemPlan b, cms_item_plan(*cert_, order(f), data_item()));
    EXPECT_EQ(a.e, b.e);
    EXPECT_EQ(a.signed_attributes, b.signed_attributes);
    EXPECT_FALSE(a.signed_attributes.empty());
  }
  EXPECT_EQ(holder_.calls, 0) << "planning signs nothing";
}

TEST_F(CmsOrdersTest, PlanDependsOnWhatTheOrderFixes) {
  ASSERT_OK_AND_ASSIGN(CmsItemPlan base, cms_item_plan(*cert_, order(OutputFormat::kCmsDetached), data_item()));
  store::SignOrder later = order(OutputFormat::kCmsDetached);
  later.created_at += 1;
  ASSERT_OK_AND_ASSIGN(CmsItemPlan other_time, cms_item_plan(*cert_, later, data_item()));
  EXPECT_NE(base.e, other_time.e) << "signingTime is the order's created_at";
  store::SignItem other_content = data_item();
  other_content.input.push_back('!');
  ASSERT_OK_AND_ASSIGN(CmsItemPlan other_data, cms_item_plan(*cert_, order(OutputFormat::kCmsDetached), other_content));
  EXPECT_NE(base.e, other_data.e);
}

TEST_F(CmsOrdersTest, AssembledSignedDataVerifiesWithTheOrdersTimeAndOids) {
  struct Case {
    OutputFormat format;
    std::string oid_style;
    pki::CmsOids oids;
  };
  for (const Case& c : {Case{OutputFormat::kCmsDetached, "pkcs7", pki::CmsOids::kPkcs7},
                        Case{OutputFormat::kCmsAttached, "pkcs7", pki::CmsOids::kPkcs7},
                        Case{OutputFormat::kCmsDetached, "gmt", pki::CmsOids::kGmT0010},
                        Case{OutputFormat::kCmsAttached, "gmt", pki::CmsOids::kGmT0010}}) {
    SCOPED_TRACE(std::string(c.format == OutputFormat::kCmsDetached ? "detached " : "attached ") + c.oid_style);
    store::SignOrder o = order(c.format, c.oid_style);
    ASSERT_OK_AND_ASSIGN(CmsItemPlan plan, cms_item_plan(*cert_, o, data_item()));
    ASSERT_OK_AND_ASSIGN(Bytes der, cms_item_assemble(*cert_, o, data_item(), plan.e, sign(plan.e)));
    const bool detached = c.format == OutputFormat::kCmsDetached;
    ASSERT_OK_AND_ASSIGN(pki::CmsVerification v,
                         pki::verify_cms(der, detached ? std::optional<ByteView>(as_bytes(content_)) : std::nullopt,
                                         trust_));
    EXPECT_TRUE(v.ok()) << (v.reasons.empty() ? "" : v.reasons[0]);
    EXPECT_EQ(v.detached, detached);
    EXPECT_EQ(v.oids, c.oids);
    ASSERT_TRUE(v.signer.has_value());
    EXPECT_EQ(v.signer->der(), cert_->der());
    ASSERT_TRUE(v.signing_time.has_value());
    EXPECT_EQ(*v.signing_time, pki::Time(std::chrono::seconds(created_at_)));
  }
}

TEST_F(CmsOrdersTest, DetachedDigestItemVerifiesAgainstTheContent) {
  store::SignOrder o = order(OutputFormat::kCmsDetached);
  ASSERT_OK_AND_ASSIGN(CmsItemPlan plan, cms_item_plan(*cert_, o, digest_item()));
  ASSERT_OK_AND_ASSIGN(CmsItemPlan from_data, cms_item_plan(*cert_, o, data_item()));
  EXPECT_EQ(plan.e, from_data.e) << "a digest item signs what its data item would";
  ASSERT_OK_AND_ASSIGN(Bytes der, cms_item_assemble(*cert_, o, digest_item(), plan.e, sign(plan.e)));
  ASSERT_OK_AND_ASSIGN(pki::CmsVerification v, pki::verify_cms(der, as_bytes(content_), trust_));
  EXPECT_TRUE(v.ok()) << (v.reasons.empty() ? "" : v.reasons[0]);
}

// cms_profile "pades" (duet-gateway's ETSI.CAdES.detached): no signingTime,
// and exactly the signed attributes of a public-cloud PDF order over the same
// digest — so the gateway's PDF carries what duetd's own PDF orders carry.
TEST_F(CmsOrdersTest, PadesProfileSignsAPdfOrdersAttributesWithoutSigningTime) {
  store::SignOrder o = order(OutputFormat::kCmsDetached);
  o.cms_profile = "pades";
  ASSERT_OK_AND_ASSIGN(CmsItemPlan plan, cms_item_plan(*cert_, o, digest_item()));
  ASSERT_OK_AND_ASSIGN(CmsItemPlan with_time, cms_item_plan(*cert_, order(OutputFormat::kCmsDetached), digest_item()));
  EXPECT_NE(plan.signed_attributes, with_time.signed_attributes);
  store::OrderDocument doc;
  doc.sub_filter = "ETSI.CAdES.detached";
  doc.signing_time = created_at_;
  ASSERT_OK_AND_ASSIGN(CmsItemPlan pdf_plan, pdf_item_plan(*cert_, doc, digest_item()));
  EXPECT_EQ(plan.signed_attributes, pdf_plan.signed_attributes);
  EXPECT_EQ(plan.e, pdf_plan.e);
  ASSERT_OK_AND_ASSIGN(Bytes der, cms_item_assemble(*cert_, o, digest_item(), plan.e, sign(plan.e)));
  pki::CmsVerifyPolicy pades;  // as the PDF verifier reads ETSI.CAdES.detached
  pades.signing_time_required = false;
  ASSERT_OK_AND_ASSIGN(pki::CmsVerification v, pki::verify_cms(der, as_bytes(content_), trust_,
                                                               crypto::kDefaultSm2Id, pades));
  EXPECT_TRUE(v.ok()) << (v.reasons.empty() ? "" : v.reasons[0]);
  EXPECT_FALSE(v.signing_time.has_value()) << "PAdES baseline forbids signingTime";
}

TEST_F(CmsOrdersTest, AttachedCmsOfADigestItemIsRefused) {
  auto plan = cms_item_plan(*cert_, order(OutputFormat::kCmsAttached), digest_item());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.code(), ErrorCode::kInvalidArgument);
}

TEST_F(CmsOrdersTest, AssembleRefusesWhenTheSignedAttributesChanged) {
  store::SignOrder o = order(OutputFormat::kCmsDetached);
  ASSERT_OK_AND_ASSIGN(CmsItemPlan plan, cms_item_plan(*cert_, o, data_item()));
  crypto::Digest other_e = plan.e;
  other_e[0] ^= 1;
  auto der = cms_item_assemble(*cert_, o, data_item(), other_e, sign(other_e));
  EXPECT_FALSE(der.ok());
}

TEST_F(CmsOrdersTest, AssembleRefusesASignatureThatDoesNotVerify) {
  store::SignOrder o = order(OutputFormat::kCmsAttached);
  ASSERT_OK_AND_ASSIGN(CmsItemPlan plan, cms_item_plan(*cert_, o, data_item()));
  crypto::Digest other_e = plan.e;
  other_e[31] ^= 0x80;
  // The right e, but a signature of another one: no SignedData is built.
  EXPECT_FALSE(cms_item_assemble(*cert_, o, data_item(), plan.e, sign(other_e)).ok());
}

}  // namespace
}  // namespace duet::core
