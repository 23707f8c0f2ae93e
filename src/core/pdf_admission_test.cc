#include "core/pdf_admission.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace duet::core {
namespace {

TEST(PdfSlots, AtMostTheCapInFlightAndGivenBackOnScopeExit) {
  CoreMetrics m;
  {
    std::vector<PdfSlots> held;
    for (int i = 0; i < 3; ++i) {
      auto s = PdfSlots::take(m, 3);
      ASSERT_TRUE(s.ok());
      held.push_back(std::move(s).value());
    }
    EXPECT_EQ(m.pdf_in_flight.load(), 3u);
    auto refused = PdfSlots::take(m, 3);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.code(), ErrorCode::kUnavailable);
    EXPECT_TRUE(is_pdf_busy(refused.error()));
    EXPECT_EQ(m.pdf_refused_busy.load(), 1u);
  }
  EXPECT_EQ(m.pdf_in_flight.load(), 0u) << "every slot given back";
  {
    // A batch takes one slot per document; a batch over the cap takes them all.
    auto batch = PdfSlots::take(m, 3, 10);
    ASSERT_TRUE(batch.ok());
    EXPECT_EQ(m.pdf_in_flight.load(), 3u);
    EXPECT_FALSE(PdfSlots::take(m, 3).ok());
  }
  EXPECT_EQ(m.pdf_in_flight.load(), 0u);
  // 0: no cap, but still counted.
  auto a = PdfSlots::take(m, 0, 50);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(m.pdf_in_flight.load(), 50u);
  EXPECT_FALSE(is_pdf_busy(Error{ErrorCode::kUnavailable, "the KEK is unavailable"}));
}

}  // namespace
}  // namespace duet::core
