// The consent rule (core/consent.h, docs/consent.md): the texts are the
// repository's files, an acceptance names a known version with its SM3, and
// neither identity checking, enrollment nor issuance goes ahead without the
// current texts accepted.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/agreements.h"
#include "core/consent.h"
#include "core/test_fixture.h"
#include "crypto/sm3.h"

namespace duet::core {
namespace {

std::string read_repo_file(const std::string& rel) {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Agreements, AreTheRepositoryFilesWithTheirSm3) {
  const AgreementText* sub = current_agreement(kSubscriberAgreement);
  const AgreementText* ids = current_agreement(kIdentityCheck);
  ASSERT_NE(sub, nullptr);
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(sub->version, "v1");
  EXPECT_EQ(sub->language, "zh-CN");
  EXPECT_EQ(sub->text, read_repo_file("docs/agreements/subscriber-agreement-v1.md"));
  EXPECT_EQ(ids->text, read_repo_file("docs/agreements/identity-check-v1.md"));
  EXPECT_NE(sub->text.find("订户协议"), std::string::npos);
  crypto::Digest d = crypto::sm3(as_bytes(sub->text));
  EXPECT_EQ(sub->sm3, Bytes(d.begin(), d.end()));
  EXPECT_EQ(find_agreement(kIdentityCheck, "v9"), nullptr);
  EXPECT_EQ(current_agreement("privacy_policy"), nullptr);
}

TEST(ConsentRecords, CheckVersionDigestChannelAndTime) {
  const UnixSeconds now = 1'800'000'000;
  auto given = accept_current_agreements();
  ASSERT_EQ(given.size(), 2u);
  auto app = consent_records(given, ConsentChannel::kHolderApp, "ten_a", "hld_a", "hld_a", now);
  ASSERT_TRUE(app.ok()) << app.error().to_string();
  EXPECT_EQ((*app)[0].channel, "holder_app");
  EXPECT_EQ((*app)[0].accepted_at, now);  // the time it reached the service
  EXPECT_EQ((*app)[0].attested_by, "hld_a");
  EXPECT_TRUE(require_current_consents(*app).ok());
  // One text alone is not enough; nothing at all neither.
  EXPECT_EQ(require_current_consents({(*app)[0]}).code(), ErrorCode::kConsentRequired);
  Status none = require_current_consents({});
  EXPECT_EQ(none.code(), ErrorCode::kConsentRequired);
  EXPECT_NE(none.error().message.find("identity_check v1"), std::string::npos);

  // The holder app does not state the time; a business system must.
  EXPECT_EQ(consent_records(accept_current_agreements(now), ConsentChannel::kHolderApp, "ten_a", "hld_a", "hld_a",
                            now).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(consent_records(given, ConsentChannel::kBusinessSystem, "ten_a", "hld_a", "app_a", now).code(),
            ErrorCode::kInvalidArgument);
  auto biz = consent_records(accept_current_agreements(now - 3600), ConsentChannel::kBusinessSystem, "ten_a", "hld_a",
                             "app_a", now);
  ASSERT_TRUE(biz.ok());
  EXPECT_EQ((*biz)[1].accepted_at, now - 3600);
  EXPECT_EQ((*biz)[1].channel, "business_system");
  EXPECT_EQ((*biz)[1].attested_by, "app_a");
  EXPECT_EQ(consent_records(accept_current_agreements(now + 3600), ConsentChannel::kBusinessSystem, "ten_a", "hld_a",
                            "app_a", now).code(),
            ErrorCode::kInvalidArgument);

  auto bad = given;
  bad[0].text_sm3_hex[0] = bad[0].text_sm3_hex[0] == '0' ? '1' : '0';  // another text
  EXPECT_EQ(consent_records(bad, ConsentChannel::kHolderApp, "ten_a", "hld_a", "hld_a", now).code(),
            ErrorCode::kInvalidArgument);
  bad = given;
  bad[0].version = "v0";
  EXPECT_EQ(consent_records(bad, ConsentChannel::kHolderApp, "ten_a", "hld_a", "hld_a", now).code(),
            ErrorCode::kInvalidArgument);
  bad = given;
  bad[1] = bad[0];  // the same document twice
  EXPECT_EQ(consent_records(bad, ConsentChannel::kHolderApp, "ten_a", "hld_a", "hld_a", now).code(),
            ErrorCode::kInvalidArgument);
}

// An identity_source app checks at creation: without the holder's consents
// the source is not asked and nothing is created.
class ConsentCoreTest : public CoreTest {};

struct CountingSource : IdentitySource {
  int calls = 0;
  Result<IdentityVerdict> verify(const IdentityClaim&) override {
    ++calls;
    return IdentityVerdict{true, "ref-1", ""};
  }
};

TEST_F(ConsentCoreTest, TheIdentitySourceIsNotAskedWithoutConsent) {
  CountingSource source;
  deps->identity_source = &source;
  business = std::make_unique<BusinessService>(*deps);
  TenantApp t = new_tenant("T");
  ASSERT_OK(store_->update_app_settings({}, t.tenant_id, t.sandbox.app_id, "identity_source", false, "pkcs7"));
  auto refused = business->create_holder(t.sandbox, NewHolder{"张三", "resident_id", "110101199003071234",
                                                              "13812345678", "identity_source"});
  EXPECT_EQ(refused.code(), ErrorCode::kConsentRequired);
  EXPECT_EQ(source.calls, 0);
  ASSERT_OK_AND_ASSIGN(auto page, business->list_holders(t.sandbox, "", 10));
  EXPECT_TRUE(page.holders.empty());

  ASSERT_OK_AND_ASSIGN(auto h, business->create_holder(t.sandbox, NewHolder{"张三", "resident_id", "110101199003071234",
                                                                          "13812345678", "identity_source",
                                                                          accept_current_agreements(clock.now() - 5)}));
  EXPECT_EQ(source.calls, 1);
  ASSERT_OK_AND_ASSIGN(auto recorded, business->list_consents(t.sandbox, h.holder_id));
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].channel, "business_system");
  EXPECT_EQ(recorded[0].attested_by, t.sandbox.app_id);
  EXPECT_EQ(recorded[0].accepted_at, clock.now() - 5);
}

// Enrollment and issuance: a holder without the current texts accepted gets
// consent_required; an acceptance through the Business API lets it go ahead.
TEST_F(ConsentCoreTest, NoEnrollmentOrCertificateWithoutConsent) {
  TenantApp t = new_tenant("T");
  ASSERT_OK_AND_ASSIGN(auto h, business->create_holder(t.sandbox, NewHolder{"李四", "resident_id",
                                                                          "220101198001011111", "13900001111", "attested"}));
  ASSERT_OK_AND_ASSIGN(auto code, business->create_activation_code(t.sandbox, h.holder_id));
  ASSERT_OK_AND_ASSIGN(auto started, cosign::DeviceKeygen::start(h.holder_id, crypto::SystemRandom::instance()));
  auto& [dk, req] = started;
  EXPECT_EQ(holders->redeem_activation({}, code.code, req).code(), ErrorCode::kConsentRequired);
  // Nothing of the code was spent: the business system's attestation lets the same code work.
  ASSERT_OK_AND_ASSIGN(auto recorded,
                       business->record_consents(t.sandbox, h.holder_id, accept_current_agreements(clock.now())));
  EXPECT_EQ(recorded.size(), 2u);
  ASSERT_OK(holders->redeem_activation({}, code.code, req));
  // Another environment's credential cannot see or attest for the holder.
  AppContext production{t.tenant_id, t.app.production.app_id, store::AppEnvironment::kProduction};
  EXPECT_EQ(business->list_consents(production, h.holder_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->record_consents(production, h.holder_id, accept_current_agreements(clock.now())).code(),
            ErrorCode::kNotFound);

  // A holder enrolled before consents were recorded (schema < v24): no certificate.
  ASSERT_OK_AND_ASSIGN(auto old, business->create_holder(t.sandbox, NewHolder{"王五", "resident_id",
                                                                            "110101199003079999", "13900002222", "attested"}));
  store::HolderKeyShare key;
  key.tenant_id = t.tenant_id;
  key.key_id = "key_before_v18";
  key.holder_id = old.holder_id;
  key.public_key_hex = std::string(130, 'a');
  key.service_share_ciphertext = Bytes{1, 2, 3};
  key.created_at = clock.now();
  ASSERT_OK(store_->add_holder_key({}, key));
  HolderContext ctx{t.tenant_id, old.holder_id};
  EXPECT_EQ(certs->request_certificate(ctx).code(), ErrorCode::kConsentRequired);
}

// Data minimisation (issue 14 item 8): the phone is required only where an
// SMS check uses it; a holder without one is shown with phone "".
struct RecordingSms : SmsSender {
  int sent = 0;
  Status send(std::string_view, std::string_view) override {
    ++sent;
    return Status::Ok();
  }
};

TEST_F(ConsentCoreTest, ThePhoneIsRequiredOnlyWhereAnSmsCheckUsesIt) {
  RecordingSms sms;
  deps->sms = &sms;
  business = std::make_unique<BusinessService>(*deps);
  TenantApp t = new_tenant("T");
  ASSERT_OK_AND_ASSIGN(auto h, business->create_holder(t.sandbox, NewHolder{"赵六", "resident_id",
                                                                          "110101199003070000", "", "attested"}));
  EXPECT_EQ(h.phone_masked, "");
  EXPECT_FALSE(h.identity_purged);
  ASSERT_OK_AND_ASSIGN(store::Holder stored, store_->get_holder(t.tenant_id, h.holder_id));
  EXPECT_TRUE(stored.phone_ciphertext.empty());
  ASSERT_OK(business->create_activation_code(t.sandbox, h.holder_id));  // no SMS check: no phone needed

  ASSERT_OK(store_->update_app_settings({}, t.tenant_id, t.sandbox.app_id, "attested", true, "pkcs7"));
  // The app now sends an SMS one-time code: a new holder needs a phone, an old one without one gets no code.
  EXPECT_EQ(business->create_holder(t.sandbox, NewHolder{"钱七", "resident_id", "110101199003071111", "", "attested"}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(business->create_activation_code(t.sandbox, h.holder_id).code(), ErrorCode::kConflict);
  EXPECT_EQ(sms.sent, 0);
  ASSERT_OK_AND_ASSIGN(auto with_phone, business->create_holder(t.sandbox, NewHolder{"钱七", "resident_id",
                                                                                   "110101199003071111",
                                                                                   "13812345678", "attested"}));
  EXPECT_EQ(with_phone.phone_masked, "138****5678");
  ASSERT_OK(business->create_activation_code(t.sandbox, with_phone.holder_id));
  EXPECT_EQ(sms.sent, 1);
}

}  // namespace
}  // namespace duet::core
