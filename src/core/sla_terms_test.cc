// The SLA-terms document (core/sla_terms.h): the repository's v1 parses to
// the agreement's table, malformed documents are refused with a reason, and
// the percentage's base and the free-days cap apply as the terms say.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/compensation.h"
#include "core/sla_terms.h"

namespace duet::core {
namespace {

std::string v1_text() {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/docs/sla-terms/v1.json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

SlaFigures figures(int64_t unavailable, int64_t longest) {
  SlaFigures f;
  f.available_minutes = 43200 - unavailable;
  f.unavailable_minutes = unavailable;
  f.longest_outage_minutes = longest;
  f.availability_pct = 100.0 * static_cast<double>(f.available_minutes) / 43200.0;
  return f;
}

TEST(SlaTerms, RepositoryV1IsTheAgreementsTable) {
  std::string doc = v1_text();
  ASSERT_FALSE(doc.empty());
  auto t = parse_sla_terms(doc);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->version, "v1");
  EXPECT_EQ(t->table.percent_base, PercentBase::kMonthMeteredSignatures);
  EXPECT_EQ(t->batch_counting, BatchCounting::kPerItem);
  CompensationTable d = CompensationTable::defaults();
  ASSERT_EQ(t->table.signature_tiers.size(), d.signature_tiers.size());
  for (size_t i = 0; i < d.signature_tiers.size(); ++i) {
    EXPECT_EQ(t->table.signature_tiers[i].min_quantity, d.signature_tiers[i].min_quantity);
    EXPECT_EQ(t->table.signature_tiers[i].basis_points, d.signature_tiers[i].basis_points);
  }
  ASSERT_EQ(t->table.day_tiers.size(), d.day_tiers.size());
  for (size_t i = 0; i < d.day_tiers.size(); ++i) EXPECT_EQ(t->table.day_tiers[i].days, d.day_tiers[i].days);
  EXPECT_EQ(t->digest_hex, sla_terms_digest(doc));
  EXPECT_EQ(t->digest_hex.size(), 64u);
  // One byte more is another document.
  EXPECT_NE(sla_terms_digest(doc + " "), t->digest_hex);
}

TEST(SlaTerms, MalformedDocumentsAreRefused) {
  std::string doc = v1_text();
  for (const auto& bad : {
           replaced(doc, "\"batch_counting\": \"per_item\"", "\"batch_counting\": \"per_page\""),
           replaced(doc, "\"version\": \"v1\"", "\"version\": \"v 1\""),
           replaced(doc, "\"A\": 1.5", "\"A\": 1.505"),
           replaced(doc, "\"C\": 20", "\"C\": 32"),
           replaced(doc, "{\"min_quantity\": 100000, \"percent\"", "{\"min_quantity\": 0, \"percent\""),
           replaced(doc, "\"free_days_cap\": \"one_month\"", "\"free_days_cap\": \"two_months\""),
           replaced(doc, "\"credit_validity\"", "\"extra\": 1, \"credit_validity\""),
           replaced(doc, "\"signature_percent_base\": \"month_metered_signatures\",", ""),
           std::string("[]"),
           std::string("{not json"),
       }) {
    auto t = parse_sla_terms(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  }
  // The other documented values parse.
  auto other = parse_sla_terms(replaced(
      replaced(doc, "\"per_item\"", "\"per_order\""), "\"month_metered_signatures\"", "\"purchased_annual_quantity\""));
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  EXPECT_EQ(other->batch_counting, BatchCounting::kPerOrder);
  EXPECT_EQ(other->table.percent_base, PercentBase::kPurchasedAnnualQuantity);
}

TEST(SlaTerms, PercentOfTheMonthsMeteredSignatures) {
  auto t = parse_sla_terms(v1_text());
  ASSERT_TRUE(t.ok());
  PurchaseProfile p;
  p.signatures = 100'000;  // tier 100k: 1.5 / 4 / 7.5 %
  // Band B (45-minute outage): 4 % of the 5,001 signatures metered this month, rounded up.
  auto credits = compute_credits(t->table, figures(45, 45), p, 9'000, 5'001, 30);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0].band, Band::kB);
  EXPECT_EQ(credits[0].amount, 201);  // ceil(0.04 × 5,001)
  // Never more than the monthly average use.
  credits = compute_credits(t->table, figures(45, 45), p, 150, 5'001, 30);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0].amount, 150);
  // Nothing metered this month: nothing due.
  EXPECT_TRUE(compute_credits(t->table, figures(45, 45), p, 9'000, 0, 30).empty());
  // The [sla] table keeps the purchased annual quantity as the base.
  credits = compute_credits(CompensationTable::defaults(), figures(45, 45), p, 9'000, 5'001, 30);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0].amount, 4'000);
}

TEST(SlaTerms, FreeTimeIsAtMostOneMonth) {
  CompensationTable table = CompensationTable::defaults();
  table.day_tiers = {{0, {31, 31, 31}}};
  PurchaseProfile p;
  p.users = 1'000;
  auto credits = compute_credits(table, figures(400, 400), p, 0, 0, 28);  // a February
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0].kind, store::SlaCreditKind::kDays);
  EXPECT_EQ(credits[0].amount, 28);
}

}  // namespace
}  // namespace duet::core
