// Compensation claims and versioned SLA terms (core/compensation_claims.h)
// on a synthetic June 2026: the tenant files, the operator verifies and
// approves (credits granted once, with their packages) or refuses with a
// reason; the pinned terms decide the amount.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/compensation_claims.h"
#include "core/sla_test_fixture.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

std::string v1_text() {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/docs/sla-terms/v1.json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ClaimTest : public SlaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SlaTest::SetUp());
    claims = std::make_unique<CompensationClaimService>(*deps, *sla);
  }
  void TearDown() override {
    claims.reset();
    SlaTest::TearDown();
  }
  AppContext app(const std::string& tenant_id, store::AppEnvironment env = store::AppEnvironment::kProduction) {
    return AppContext{tenant_id, "app_test", env, {}};
  }
  std::unique_ptr<CompensationClaimService> claims;
  OperatorContext op{"ops", "operator"};
};

TEST_F(ClaimTest, PinnedTermsClaimApprovedGrantsTheCreditOnce) {
  std::string t = tenant("pinned");
  package(t, store::PackageKind::kPerSignature, 100'000);  // tier 100k: 4 % in band B
  usage(t, 10'000);
  month_with_outages({{5000, 45}});  // band B by the 45-minute outage
  auto v = claims->record_terms(op, v1_text(), month_from);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->version, "v1");
  EXPECT_EQ(v->digest_hex, sla_terms_digest(v1_text()));
  ASSERT_OK(claims->pin_terms(op, t, "v1", month_from));

  // Not before the month has ended; not from the sandbox.
  EXPECT_EQ(claims->file(app(t), "2026-06", "", month_to - 60).code(), ErrorCode::kConflict);
  EXPECT_EQ(claims->file(app(t, store::AppEnvironment::kSandbox), "2026-06", "", month_to + 60).code(),
            ErrorCode::kForbidden);
  EXPECT_EQ(claims->file(app(t), "2026-6", "", month_to + 60).code(), ErrorCode::kInvalidArgument);
  auto c = claims->file(app(t), "2026-06", "45 minutes down on the 4th", month_to + 3600);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->terms_version, "v1");
  EXPECT_EQ(claims->file(app(t), "2026-06", "again", month_to + 3700).code(), ErrorCode::kConflict);

  // Verification: the month's report by v1 (4 % of the 10,000 metered signatures).
  auto rv = claims->review(op, c->claim_id, month_to + 7200);
  ASSERT_TRUE(rv.ok()) << rv.error().to_string();
  ASSERT_TRUE(rv->report);
  EXPECT_EQ(rv->report->terms.version, "v1");
  ASSERT_EQ(rv->credits.size(), 1u);
  EXPECT_EQ(rv->credits[0].band, "B");
  EXPECT_EQ(rv->credits[0].amount, 400);
  EXPECT_EQ(rv->credits[0].state, store::SlaCreditState::kProposed);

  UnixSeconds now = month_to + 86400;
  auto approved = claims->approve(op, c->claim_id, "verified against the June report", now);
  ASSERT_TRUE(approved.ok()) << approved.error().to_string();
  EXPECT_EQ(approved->claim.state, store::SlaClaimState::kApproved);
  EXPECT_EQ(approved->claim.decided_by, "ops");
  ASSERT_EQ(approved->credits.size(), 1u);
  EXPECT_EQ(approved->credits[0].state, store::SlaCreditState::kApproved);
  int bonus = 0;
  for (const auto& p : ok_value(store_->list_packages(t))) {
    if (p.source != "sla_credit") continue;
    ++bonus;
    EXPECT_EQ(p.quantity, 400);
    EXPECT_EQ(p.starts_at, now);
    EXPECT_EQ(p.expires_at, one_year_after(now, kOffset));  // valid one year from delivery
  }
  EXPECT_EQ(bonus, 1);
  EXPECT_EQ(claims->approve(op, c->claim_id, "", now + 5).code(), ErrorCode::kConflict);
  EXPECT_EQ(claims->refuse(op, c->claim_id, "late", now + 5).code(), ErrorCode::kConflict);
  EXPECT_EQ(ok_value(store_->list_packages(t)).size(), 2u);

  // The tenant sees its claim and the granted credit; another tenant does not.
  auto mine = claims->tenant_claim(app(t), c->claim_id);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->credits.at(0).package_id, approved->credits[0].package_id);
  std::string other = tenant("other");
  EXPECT_EQ(claims->tenant_claim(app(other), c->claim_id).code(), ErrorCode::kNotFound);
}

TEST_F(ClaimTest, NothingDueIsRefusedWithAReason) {
  std::string t = tenant("fine");
  package(t, store::PackageKind::kPerSignature, 10'000);
  usage(t, 100);
  month_with_outages({});
  auto c = claims->file(app(t), "2026-06", "", month_to + 60);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->terms_version, "");  // nothing pinned: the [sla] table
  EXPECT_EQ(claims->approve(op, c->claim_id, "", month_to + 120).code(), ErrorCode::kConflict);
  EXPECT_EQ(claims->refuse(op, c->claim_id, "", month_to + 120).code(), ErrorCode::kInvalidArgument);
  auto refused = claims->refuse(op, c->claim_id, "availability 100 % in June", month_to + 120);
  ASSERT_TRUE(refused.ok()) << refused.error().to_string();
  EXPECT_EQ(refused->claim.state, store::SlaClaimState::kRefused);
  EXPECT_EQ(refused->claim.decision_reason, "availability 100 % in June");
  EXPECT_EQ(ok_value(store_->list_packages(t)).size(), 1u);
}

TEST_F(ClaimTest, UnpinnedTenantKeepsTheConfiguredTable) {
  std::string t = tenant("unpinned");
  package(t, store::PackageKind::kPerSignature, 100'000);
  usage(t, 10'000);
  month_with_outages({{5000, 45}});
  SlaMonthlyReport r = report(t);
  ASSERT_EQ(r.tenants.at(0).credits.size(), 1u);
  EXPECT_EQ(r.tenants[0].terms.version, "");
  EXPECT_EQ(r.tenants[0].credits[0].amount, 4'000);  // 4 % of the purchased 100,000
  // A recorded version must parse; its bytes never change.
  EXPECT_EQ(claims->record_terms(op, "{}", month_from).code(), ErrorCode::kInvalidArgument);
  ASSERT_OK(claims->record_terms(op, v1_text(), month_from));
  ASSERT_OK(claims->record_terms(op, v1_text(), month_from + 1));
  EXPECT_EQ(claims->record_terms(op, v1_text() + "\n", month_from + 2).code(), ErrorCode::kConflict);
  EXPECT_EQ(claims->pin_terms(op, t, "v2", month_from).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace duet::core
