// Contract tests of store/sla_claims.h (SLA terms versions, tenant pins,
// compensation claims), run against every backend.
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

SlaTermsVersion terms_of(const std::string& version, char digest_char) {
  return SlaTermsVersion{version, std::string(64, digest_char), "{\"version\":\"" + version + "\"}",
                         StoreContractTest::kNow, "ops"};
}

SlaClaim claim_of(const std::string& tenant, const std::string& month) {
  SlaClaim c;
  c.tenant_id = tenant;
  c.claim_id = new_id("clm_");
  c.month = month;
  c.statement = "outage on the 3rd";
  c.filed_by = "app_x";
  c.filed_at = StoreContractTest::kNow;
  c.terms_version = "v1";
  return c;
}

SlaCredit proposed(const std::string& tenant, const std::string& month) {
  SlaCredit c;
  c.tenant_id = tenant;
  c.credit_id = new_id("slc_");
  c.month = month;
  c.kind = SlaCreditKind::kSignatures;
  c.band = "B";
  c.amount = 30;
  c.basis = "{}";
  c.created_at = c.updated_at = StoreContractTest::kNow;
  return c;
}

Package bonus(int64_t quantity) {
  Package p;
  p.package_id = new_id("pkg_");
  p.kind = PackageKind::kPerSignature;
  p.quantity = quantity;
  p.starts_at = StoreContractTest::kNow;
  p.expires_at = StoreContractTest::kNow + 365 * 86400;
  p.source = "sla_credit";
  p.created_at = StoreContractTest::kNow;
  return p;
}

}  // namespace

TEST_P(StoreContractTest, SlaTermsVersionsAreImmutable) {
  ASSERT_OK(store_->record_sla_terms({}, terms_of("v1", 'a')));
  ASSERT_OK(store_->record_sla_terms({}, terms_of("v1", 'a')));  // the same bytes again: Ok
  EXPECT_EQ(store_error_kind(store_->record_sla_terms({}, terms_of("v1", 'b'))), StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_sla_terms("v1")).digest_hex, std::string(64, 'a'));
  EXPECT_EQ(ok_value(store_->get_sla_terms("v1")).document, "{\"version\":\"v1\"}");
  EXPECT_EQ(store_error_kind(store_->get_sla_terms("v9")), StoreError::kNotFound);
  EXPECT_EQ(store_->record_sla_terms({}, terms_of("v 2", 'a')).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->record_sla_terms({}, terms_of("v2", 'A')).code(), ErrorCode::kInvalidArgument);
  SlaTermsVersion later = terms_of("v2", 'c');
  later.recorded_at = kNow + 10;
  ASSERT_OK(store_->record_sla_terms({}, later));
  auto all = ok_value(store_->list_sla_terms());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].version, "v1");
  EXPECT_EQ(all[1].version, "v2");
}

TEST_P(StoreContractTest, SlaTermsPinPerTenant) {
  World w = make_world("t");
  EXPECT_EQ(ok_value(store_->get_tenant_sla_terms(w.tenant_id)), std::nullopt);
  EXPECT_EQ(store_error_kind(store_->pin_tenant_sla_terms({}, {w.tenant_id, "v1", kNow, "ops"})),
            StoreError::kNotFound);  // no such version
  ASSERT_OK(store_->record_sla_terms({}, terms_of("v1", 'a')));
  ASSERT_OK(store_->record_sla_terms({}, terms_of("v2", 'b')));
  EXPECT_EQ(store_error_kind(store_->pin_tenant_sla_terms({}, {"ten_nobody", "v1", kNow, "ops"})),
            StoreError::kNotFound);
  ASSERT_OK(store_->pin_tenant_sla_terms({}, {w.tenant_id, "v1", kNow, "ops"}));
  ASSERT_OK(store_->pin_tenant_sla_terms({}, {w.tenant_id, "v2", kNow + 5, "lead"}));
  auto pin = ok_value(store_->get_tenant_sla_terms(w.tenant_id));
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->version, "v2");
  EXPECT_EQ(pin->pinned_at, kNow + 5);
  EXPECT_EQ(pin->pinned_by, "lead");
}

TEST_P(StoreContractTest, SlaClaimsOnePerMonthAndTenantScoped) {
  World a = make_world("a"), b = make_world("b");
  SlaClaim c = claim_of(a.tenant_id, "2023-10");
  ASSERT_OK(store_->file_sla_claim({}, c));
  EXPECT_EQ(store_error_kind(store_->file_sla_claim({}, claim_of(a.tenant_id, "2023-10"))), StoreError::kDuplicate);
  ASSERT_OK(store_->file_sla_claim({}, claim_of(b.tenant_id, "2023-10")));
  EXPECT_EQ(store_->file_sla_claim({}, claim_of(a.tenant_id, "2023-13")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_error_kind(store_->file_sla_claim({}, claim_of("ten_nobody", "2023-10"))), StoreError::kNotFound);
  auto got = ok_value(store_->get_sla_claim(a.tenant_id, c.claim_id));
  EXPECT_EQ(got.month, "2023-10");
  EXPECT_EQ(got.statement, "outage on the 3rd");
  EXPECT_EQ(got.state, SlaClaimState::kFiled);
  EXPECT_EQ(got.decided_at, std::nullopt);
  EXPECT_EQ(store_error_kind(store_->get_sla_claim(b.tenant_id, c.claim_id)), StoreError::kNotFound);
  EXPECT_EQ(ok_value(store_->find_sla_claim(c.claim_id)).tenant_id, a.tenant_id);
  EXPECT_EQ(ok_value(store_->list_sla_claims(a.tenant_id)).size(), 1u);
  EXPECT_EQ(ok_value(store_->list_sla_claims("")).size(), 2u);
}

TEST_P(StoreContractTest, SlaClaimApprovalGrantsCreditsOnceInOneTransaction) {
  World w = make_world("t");
  SlaClaim c = claim_of(w.tenant_id, "2023-10");
  ASSERT_OK(store_->file_sla_claim({}, c));
  SlaCredit credit = ok_value(store_->propose_sla_credit({}, proposed(w.tenant_id, "2023-10")));
  SlaCredit other_month = ok_value(store_->propose_sla_credit({}, proposed(w.tenant_id, "2023-09")));
  // Malformed decisions change nothing.
  EXPECT_EQ(store_->decide_sla_claim({}, c.claim_id, SlaClaimState::kApproved, "ops", "", kNow, {}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->decide_sla_claim({}, c.claim_id, SlaClaimState::kRefused, "ops", "", kNow, {}).code(),
            ErrorCode::kInvalidArgument);
  // A credit of another month: kNotFound, and the claim stays filed.
  EXPECT_EQ(store_error_kind(store_->decide_sla_claim({}, c.claim_id, SlaClaimState::kApproved, "ops", "", kNow,
                                                     {{other_month.credit_id, bonus(30)}})),
            StoreError::kNotFound);
  EXPECT_EQ(ok_value(store_->get_sla_claim(w.tenant_id, c.claim_id)).state, SlaClaimState::kFiled);
  EXPECT_TRUE(ok_value(store_->list_packages(w.tenant_id)).empty());

  Package p = bonus(30);
  ASSERT_OK(store_->decide_sla_claim({}, c.claim_id, SlaClaimState::kApproved, "ops", "verified", kNow + 1,
                                     {{credit.credit_id, p}}));
  auto got = ok_value(store_->get_sla_claim(w.tenant_id, c.claim_id));
  EXPECT_EQ(got.state, SlaClaimState::kApproved);
  EXPECT_EQ(got.decided_at, std::optional<UnixSeconds>(kNow + 1));
  EXPECT_EQ(got.decided_by, "ops");
  EXPECT_EQ(got.decision_reason, "verified");
  auto approved = ok_value(store_->find_sla_credit(credit.credit_id));
  EXPECT_EQ(approved.state, SlaCreditState::kApproved);
  EXPECT_EQ(approved.package_id, p.package_id);
  auto packages = ok_value(store_->list_packages(w.tenant_id));
  ASSERT_EQ(packages.size(), 1u);
  EXPECT_EQ(packages[0].source, "sla_credit");
  // A second decision is a conflict and grants nothing more.
  EXPECT_EQ(store_error_kind(store_->decide_sla_claim({}, c.claim_id, SlaClaimState::kRefused, "ops", "no", kNow,
                                                     {})),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->list_packages(w.tenant_id)).size(), 1u);
}

TEST_P(StoreContractTest, SlaClaimApprovalOfAnApprovedCreditRollsBack) {
  World w = make_world("t");
  SlaClaim c = claim_of(w.tenant_id, "2023-10");
  ASSERT_OK(store_->file_sla_claim({}, c));
  SlaCredit credit = ok_value(store_->propose_sla_credit({}, proposed(w.tenant_id, "2023-10")));
  ASSERT_OK(store_->approve_sla_credit({}, credit.credit_id, "ops", kNow, bonus(30)));
  EXPECT_EQ(store_error_kind(store_->decide_sla_claim({}, c.claim_id, SlaClaimState::kApproved, "ops", "", kNow,
                                                     {{credit.credit_id, bonus(30)}})),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_sla_claim(w.tenant_id, c.claim_id)).state, SlaClaimState::kFiled);
  EXPECT_EQ(ok_value(store_->list_packages(w.tenant_id)).size(), 1u);
  // Refusing it, with a reason, works.
  ASSERT_OK(store_->decide_sla_claim({}, c.claim_id, SlaClaimState::kRefused, "ops", "already compensated", kNow,
                                     {}));
  auto got = ok_value(store_->get_sla_claim(w.tenant_id, c.claim_id));
  EXPECT_EQ(got.state, SlaClaimState::kRefused);
  EXPECT_EQ(got.decision_reason, "already compensated");
}

}  // namespace duet::store::testing
