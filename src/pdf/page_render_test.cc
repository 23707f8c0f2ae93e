#include "pdf/page_render.h"

#include <gtest/gtest.h>

#include "base/result_testing.h"
#include "pdf/pdf_test_support.h"

namespace duet::pdf {
namespace {

using namespace testing;
using testing_support::ok_value;

TEST(PageRender, RendersAPageAsPng) {
  Bytes pdf = make_contract();
  Bytes png = ok_value(render_page_png(pdf, 1, RenderOptions{72}));
  RgbaImage img = ok_value(decode_png(png));
  EXPECT_EQ(img.width, 595u);
  EXPECT_EQ(img.height, 842u);
  // The keyword's glyphs are drawn (baseline at y = 300, 14 pt) and the
  // paper elsewhere is white.
  EXPECT_GT(ink_ratio(img, Rect{100, 298, 84, 14}, 842), 0.05);
  EXPECT_EQ(ink_ratio(img, Rect{300, 100, 200, 100}, 842), 0);
  Bytes hi = ok_value(render_page_png(pdf, 2, RenderOptions{144}));
  EXPECT_EQ(ok_value(decode_png(hi)).width, 1190u);
  EXPECT_EQ(render_page_png(pdf, 3).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(render_page_png(pdf, 1, RenderOptions{1000}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(render_page_png(pdf, 1, RenderOptions{600, 1000}).code(), ErrorCode::kPayloadTooLarge);
}

}  // namespace
}  // namespace duet::pdf
