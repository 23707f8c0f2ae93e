#include "core/pdf_admission.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace duet::core {
namespace {

CoreConfig caps(size_t max_in_flight, size_t per_tenant = 0) {
  CoreConfig c;
  c.pdf_max_in_flight = max_in_flight;
  c.pdf_max_in_flight_per_tenant = per_tenant;
  return c;
}

TEST(PdfSlots, AtMostTheCapInFlightAndGivenBackOnScopeExit) {
  CoreMetrics m;
  const CoreConfig three = caps(3, 3);
  {
    std::vector<PdfSlots> held;
    for (int i = 0; i < 3; ++i) {
      auto s = PdfSlots::take(m, three, "t" + std::to_string(i));
      ASSERT_TRUE(s.ok());
      held.push_back(std::move(s).value());
    }
    EXPECT_EQ(m.pdf_in_flight.load(), 3u);
    auto refused = PdfSlots::take(m, three, "t9");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.code(), ErrorCode::kUnavailable);
    EXPECT_TRUE(is_pdf_busy(refused.error()));
    EXPECT_EQ(m.pdf_refused_busy.load(), 1u);
  }
  EXPECT_EQ(m.pdf_in_flight.load(), 0u) << "every slot given back";
  EXPECT_TRUE(m.pdf_in_flight_by_tenant.empty());
  {
    // A batch takes one slot per document; a batch over the cap takes them all.
    auto batch = PdfSlots::take(m, three, "t1", 10);
    ASSERT_TRUE(batch.ok());
    EXPECT_EQ(m.pdf_in_flight.load(), 3u);
    EXPECT_FALSE(PdfSlots::take(m, three, "t2").ok());
  }
  EXPECT_EQ(m.pdf_in_flight.load(), 0u);
  // 0: no cap, but still counted.
  auto a = PdfSlots::take(m, caps(0), "t1", 50);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(m.pdf_in_flight.load(), 50u);
  EXPECT_FALSE(is_pdf_busy(Error{ErrorCode::kUnavailable, "the KEK is unavailable"}));
}

TEST(PdfSlots, OneTenantCannotTakeTheOthersSlots) {
  CoreMetrics m;
  const CoreConfig eight = caps(8);  // per tenant: half, 4
  EXPECT_EQ(pdf_tenant_share(8, 0), 4u);
  EXPECT_EQ(pdf_tenant_share(1, 0), 1u);
  EXPECT_EQ(pdf_tenant_share(8, 20), 8u);
  std::vector<PdfSlots> greedy;
  for (int i = 0; i < 4; ++i) {
    auto s = PdfSlots::take(m, eight, "greedy");
    ASSERT_TRUE(s.ok());
    greedy.push_back(std::move(s).value());
  }
  // Its fifth document is its own 429, not a 503 …
  auto fifth = PdfSlots::take(m, eight, "greedy");
  ASSERT_FALSE(fifth.ok());
  EXPECT_EQ(fifth.code(), ErrorCode::kRateLimited);
  EXPECT_TRUE(is_pdf_busy(fifth.error()));
  EXPECT_EQ(m.pdf_refused_tenant_share.load(), 1u);
  EXPECT_EQ(m.pdf_refused_busy.load(), 0u);
  // … and another tenant still gets its slots.
  auto other = PdfSlots::take(m, eight, "other", 3);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(m.pdf_in_flight.load(), 7u);
  // A batch larger than the share runs while its tenant holds nothing else.
  greedy.clear();
  auto batch = PdfSlots::take(m, eight, "greedy", 5);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(m.pdf_in_flight.load(), 8u);
  EXPECT_FALSE(PdfSlots::take(m, eight, "third").ok());
}

}  // namespace
}  // namespace duet::core
