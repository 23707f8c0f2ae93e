// Contract tests of the holders' consent records (store/holders.h,
// docs/consent.md; schema v24): written with the holder or on their own, the
// first acceptance of a version stands, bad records and unknown holders write
// nothing — on every backend.
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kNow = StoreContractTest::kNow;

HolderConsent consent_of(const std::string& tenant_id, const std::string& holder_id, const std::string& document,
                         const std::string& version, uint8_t fill, const std::string& channel = "holder_app") {
  HolderConsent k;
  k.tenant_id = tenant_id;
  k.holder_id = holder_id;
  k.document = document;
  k.version = version;
  k.text_sm3 = Bytes(32, fill);
  k.accepted_at = kNow - 60;
  k.channel = channel;
  k.attested_by = channel == "holder_app" ? holder_id : "app_x";
  k.recorded_at = kNow;
  return k;
}

Holder new_holder(const std::string& tenant_id) {
  Holder h;
  h.tenant_id = tenant_id;
  h.holder_id = new_id("hld_");
  h.name_ciphertext = Bytes{0xb1};
  h.id_number_ciphertext = Bytes{0xb2};
  h.phone_ciphertext = Bytes{0xb3};
  h.lookup_hash = Bytes{0xc0, 0x11, 0x5e};
  h.created_at = kNow;
  return h;
}

}  // namespace

TEST_P(StoreContractTest, ConsentsAreRecordedWithTheHolderAndTheFirstAcceptanceStands) {
  World w = make_world("consent");
  Holder h = new_holder(w.tenant_id);
  std::vector<HolderConsent> given{
      consent_of(w.tenant_id, h.holder_id, "subscriber_agreement", "v1", 0x11, "business_system"),
      consent_of(w.tenant_id, h.holder_id, "identity_check", "v1", 0x22, "business_system")};
  ASSERT_OK(store_->create_holder_with_consents({}, h, given));
  std::vector<HolderConsent> got = ok_value(store_->list_consents(w.tenant_id, h.holder_id));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].document, "identity_check");  // (recorded_at, document, version)
  EXPECT_EQ(got[1].document, "subscriber_agreement");
  EXPECT_EQ(got[1].text_sm3, Bytes(32, 0x11));
  EXPECT_EQ(got[1].accepted_at, kNow - 60);
  EXPECT_EQ(got[1].channel, "business_system");
  EXPECT_EQ(got[1].attested_by, "app_x");
  EXPECT_EQ(got[1].recorded_at, kNow);

  // The same version again (another channel, another digest): kept as first recorded.
  HolderConsent again = consent_of(w.tenant_id, h.holder_id, "subscriber_agreement", "v1", 0x33);
  again.recorded_at = kNow + 10;
  ASSERT_OK(store_->record_consents({}, w.tenant_id, h.holder_id, {again}));
  // A new version is a new record.
  HolderConsent v2 = consent_of(w.tenant_id, h.holder_id, "subscriber_agreement", "v2", 0x44);
  v2.recorded_at = kNow + 20;
  ASSERT_OK(store_->record_consents({}, w.tenant_id, h.holder_id, {v2}));
  got = ok_value(store_->list_consents(w.tenant_id, h.holder_id));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].text_sm3, Bytes(32, 0x11));
  EXPECT_EQ(got[1].channel, "business_system");
  EXPECT_EQ(got[2].version, "v2");
  EXPECT_EQ(got[2].channel, "holder_app");
  EXPECT_EQ(got[2].attested_by, h.holder_id);
  // Another tenant sees nothing.
  EXPECT_TRUE(ok_value(store_->list_consents("ten_other", h.holder_id)).empty());
}

TEST_P(StoreContractTest, BadConsentsAndUnknownHoldersWriteNothing) {
  World w = make_world("consent-bad");
  // Unknown holder: kNotFound.
  EXPECT_EQ(store_error_kind(store_->record_consents(
                {}, w.tenant_id, "hld_nope", {consent_of(w.tenant_id, "hld_nope", "identity_check", "v1", 1)})),
            StoreError::kNotFound);
  // A bad record refuses the holder with it: neither is written.
  Holder h = new_holder(w.tenant_id);
  HolderConsent bad = consent_of(w.tenant_id, h.holder_id, "identity_check", "v1", 1);
  bad.text_sm3 = Bytes(31, 1);
  EXPECT_EQ(store_->create_holder_with_consents({}, h, {bad}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_error_kind(store_->get_holder(w.tenant_id, h.holder_id)), StoreError::kNotFound);
  // A record of another holder, an unknown document or channel: refused, nothing written.
  std::vector<HolderConsent> wrong;
  wrong.push_back(consent_of(w.tenant_id, "hld_other", "identity_check", "v1", 1));
  HolderConsent doc = consent_of(w.tenant_id, w.holder_id, "privacy_policy", "v1", 1);
  HolderConsent chan = consent_of(w.tenant_id, w.holder_id, "identity_check", "v1", 1, "email");
  for (const HolderConsent& k : {wrong[0], doc, chan}) {
    std::vector<HolderConsent> batch{consent_of(w.tenant_id, w.holder_id, "subscriber_agreement", "v1", 1), k};
    EXPECT_EQ(store_->record_consents({}, w.tenant_id, w.holder_id, batch).code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(ok_value(store_->list_consents(w.tenant_id, w.holder_id)).empty());
}

}  // namespace duet::store::testing
