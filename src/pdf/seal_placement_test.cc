#include "pdf/seal_placement.h"

#include <gtest/gtest.h>

#include "base/result_testing.h"
#include "pdf/pdf_test_support.h"

namespace duet::pdf {
namespace {

using namespace testing;
using testing_support::ok_value;

TEST(SealPlacement, PageAndRectangle) {
  Bytes pdf = make_contract();
  auto r = ok_value(resolve_placements(pdf, {PagePlacement{2, {400, 100, 120, 80}}}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].page, 2);
  EXPECT_DOUBLE_EQ(r[0].rect.x, 400);
  EXPECT_DOUBLE_EQ(r[0].rect.y, 100);
  EXPECT_DOUBLE_EQ(r[0].rect.width, 120);
  EXPECT_DOUBLE_EQ(r[0].rect.height, 80);
  EXPECT_EQ(resolve_placements(pdf, {PagePlacement{3, {0, 0, 10, 10}}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve_placements(pdf, {PagePlacement{0, {0, 0, 10, 10}}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve_placements(pdf, {PagePlacement{1, {500, 0, 200, 10}}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve_placements(pdf, {PagePlacement{1, {0, 0, 0, 10}}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve_placements(pdf, {PagePlacement{1, {-5, 0, 10, 10}}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve_placements(pdf, {}).code(), ErrorCode::kInvalidArgument);
}

// The Chinese keyword in the CJK font is found where it was drawn (baseline
// at (100, 300), 14 pt, 6 full-width glyphs ≈ 84 pt wide).
TEST(SealPlacement, ChineseKeywordFirstOccurrence) {
  Bytes pdf = make_contract();
  KeywordPlacement k{kKeyword, false, 0, 0, 80, 80};
  auto r = ok_value(resolve_placements(pdf, {k}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].page, 1);
  double cx = r[0].rect.x + 40, cy = r[0].rect.y + 40;
  EXPECT_NEAR(cx, 100 + 42, 8) << r[0].rect.x;
  EXPECT_NEAR(cy, 300 + 5, 8) << r[0].rect.y;
  // The offset moves it.
  k.offset_x = 150;
  k.offset_y = -20;
  auto moved = ok_value(resolve_placements(pdf, {k}));
  EXPECT_NEAR(moved[0].rect.x, r[0].rect.x + 150, 1e-6);
  EXPECT_NEAR(moved[0].rect.y, r[0].rect.y - 20, 1e-6);
}

TEST(SealPlacement, EveryOccurrenceAndNotFound) {
  Bytes pdf = make_contract();
  auto r = ok_value(resolve_placements(pdf, {KeywordPlacement{kKeyword, true, 0, 0, 60, 60}}));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].page, 1);
  EXPECT_EQ(r[1].page, 2);
  // On page 2 the keyword follows "乙方 " (3 glyphs after x = 320).
  EXPECT_GT(r[1].rect.x + 30, 320 + 28);
  EXPECT_NEAR(r[1].rect.y + 30, 500 + 5, 8);
  // A Latin keyword, with spaces ignored.
  auto latin = ok_value(resolve_placements(pdf, {KeywordPlacement{"Party B(signature)", false, 0, 0, 40, 40}}));
  EXPECT_EQ(latin[0].page, 1);
  EXPECT_NEAR(latin[0].rect.y + 20, 505, 8);
  EXPECT_EQ(resolve_placements(pdf, {KeywordPlacement{"丙方", false, 0, 0, 60, 60}}).code(), ErrorCode::kNotFound);
  EXPECT_EQ(resolve_placements(pdf, {KeywordPlacement{"  ", false, 0, 0, 60, 60}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve_placements(pdf, {KeywordPlacement{kKeyword, false, 0, 0, 0, 60}}).code(), ErrorCode::kInvalidArgument);
}

// On rotated pages poppler's boxes are in display space; the placement is
// mapped back to the page's user space, where the keyword was drawn.
TEST(SealPlacement, RotatedPages) {
  for (int rotation : {90, 180, 270}) {
    Bytes pdf = make_pdf(1, {{1, 100, 300, kKeyword, true}}, rotation);
    auto r = ok_value(resolve_placements(pdf, {KeywordPlacement{kKeyword, false, 0, 0, 80, 80}}));
    EXPECT_NEAR(r[0].rect.x + 40, 142, 8) << rotation;
    EXPECT_NEAR(r[0].rect.y + 40, 305, 8) << rotation;
  }
}

// Near the edge the seal is moved inside the page.
TEST(SealPlacement, KeptInsideThePage) {
  Bytes pdf = make_pdf(1, {{1, 500, 20, kKeyword, true}});
  auto r = ok_value(resolve_placements(pdf, {KeywordPlacement{kKeyword, false, 0, 0, 150, 100}}));
  EXPECT_NEAR(r[0].rect.x + r[0].rect.width, 595, 1);
  EXPECT_NEAR(r[0].rect.y, 0, 1e-6);
}

}  // namespace
}  // namespace duet::pdf
