// Bands and credits of the compensation table (core/compensation.h).
#include <gtest/gtest.h>

#include "core/compensation.h"
#include "core/sla_test_fixture.h"

namespace duet::core {
namespace {

TEST(SlaRulesTest, BandsAndOutageMoves) {
  SlaFigures f;
  auto set = [&](int64_t unavailable, int64_t longest) {
    f.unavailable_minutes = unavailable;
    f.available_minutes = kMonthMinutes - unavailable;
    f.longest_outage_minutes = longest;
    return band_for(f);
  };
  EXPECT_EQ(set(0, 0), Band::kNone);
  EXPECT_EQ(set(21, 21), Band::kNone);   // 99.951 %
  EXPECT_EQ(set(22, 10), Band::kA);      // 99.949 %
  EXPECT_EQ(set(215, 30), Band::kA);     // 99.502 %
  EXPECT_EQ(set(216, 30), Band::kB);     // exactly 99.5 %: the more severe band
  EXPECT_EQ(set(216, 31), Band::kB);     // outage longer than band A allows
  EXPECT_EQ(set(43, 45), Band::kB);
  EXPECT_EQ(set(217, 30), Band::kB);     // 99.4977 %
  EXPECT_EQ(set(863, 120), Band::kB);    // 98.002 %
  EXPECT_EQ(set(864, 120), Band::kC);    // exactly 98 %: the more severe band
  EXPECT_EQ(set(863, 121), Band::kC);    // 121..299 min lies between B and C: C
  EXPECT_EQ(set(300, 299), Band::kC);
  EXPECT_EQ(set(50, 300), Band::kC);     // availability says A, the outage C
  EXPECT_EQ(set(100, 150), Band::kC);    // A, then B, then C
  EXPECT_EQ(set(865, 10), Band::kC);
}

TEST(SlaRulesTest, CreditAmountsByTier) {
  CompensationTable table = CompensationTable::defaults();
  ASSERT_TRUE(table.validate().ok());
  SlaFigures f;
  f.available_minutes = kMonthMinutes - 100;
  f.unavailable_minutes = 100;  // band A
  f.longest_outage_minutes = 20;
  PurchaseProfile p;
  p.signatures = 10'000;
  auto c = compute_credits(table, f, p, 1'000'000);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].amount, 100);  // 1 %
  p.signatures = 10'000'000;
  EXPECT_EQ(compute_credits(table, f, p, 1'000'000)[0].amount, 250'000);  // 2.5 %
  EXPECT_EQ(compute_credits(table, f, p, 7'000)[0].amount, 7'000);        // capped at average usage
  EXPECT_TRUE(compute_credits(table, f, p, 0).empty());                   // nothing used: nothing due
  f.unavailable_minutes = 1000;  // band C
  f.available_minutes = kMonthMinutes - 1000;
  p.signatures = 12'345;
  EXPECT_EQ(compute_credits(table, f, p, 1'000'000)[0].amount, 865);  // ceil(7 % of 12,345)
  PurchaseProfile u;
  u.users = 5'000;
  auto d = compute_credits(table, f, u, 0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, store::SlaCreditKind::kDays);
  EXPECT_EQ(d[0].amount, 10);
  PurchaseProfile unl;
  unl.unlimited = true;
  EXPECT_EQ(compute_credits(table, f, unl, 0)[0].amount, 20);  // top tier

  CompensationTable broken = table;
  broken.signature_tiers[1].min_quantity = 0;
  EXPECT_FALSE(broken.validate().ok());
}

TEST(CompensationTest, OneYearAfterInLocalTime) {
  // A free package granted as compensation runs for one local year; 29
  // February runs to 1 March.
  EXPECT_EQ(one_year_after(local(2026, 6, 15, 10), kOffset), local(2027, 6, 15, 10));
  EXPECT_EQ(one_year_after(local(2028, 2, 29, 10), kOffset), local(2029, 3, 1, 10));
  EXPECT_EQ(one_year_after(local(2026, 12, 31, 23, 59), kOffset), local(2027, 12, 31, 23, 59));
}

}  // namespace
}  // namespace duet::core
