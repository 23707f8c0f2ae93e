#include "pdf/page_render.h"

#include <poppler-image.h>
#include <poppler-page-renderer.h>

#include <cmath>

#include "pdf/png_codec.h"
#include "pdf/poppler_load.h"

namespace duet::pdf {

Result<Bytes> render_page_png(ByteView pdf, int page_number, const RenderOptions& options) {
  if (!(options.dpi >= 18 && options.dpi <= 600)) return make_error(ErrorCode::kInvalidArgument, "dpi must be 18 to 600");
  DUET_ASSIGN_OR_RETURN(auto doc, internal::load_poppler(pdf, options.max_pdf_bytes));
  if (page_number < 1 || page_number > doc->pages()) {
    return make_error(ErrorCode::kInvalidArgument, "page " + std::to_string(page_number) + " is not in the document (1.." +
                                                       std::to_string(doc->pages()) + ")");
  }
  DUET_ASSIGN_OR_RETURN(auto page, internal::poppler_page(*doc, page_number - 1));
  poppler::rectf box = page->page_rect(poppler::crop_box);
  double w = std::ceil(box.width() * options.dpi / 72), h = std::ceil(box.height() * options.dpi / 72);
  if (!(w >= 1 && h >= 1) || w * h > static_cast<double>(options.max_pixels)) {
    return make_error(ErrorCode::kPayloadTooLarge, "the page is too large to render at this dpi");
  }
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_image_format(poppler::image::format_argb32);
  renderer.set_paper_color(0xffffffff);
  poppler::image img = renderer.render_page(page.get(), options.dpi, options.dpi);
  if (!img.is_valid() || img.format() != poppler::image::format_argb32 || img.width() <= 0 || img.height() <= 0) {
    return make_error(ErrorCode::kPdfMalformed, "the page does not render");
  }
  // argb32 is a native-endian 32-bit ARGB word per pixel: B G R A in memory on
  // little-endian machines. The paper is opaque white, so alpha is 255.
  RgbaImage rgba;
  rgba.width = static_cast<uint32_t>(img.width());
  rgba.height = static_cast<uint32_t>(img.height());
  rgba.pixels.resize(static_cast<size_t>(rgba.width) * rgba.height * 4);
  const char* data = img.const_data();
  for (uint32_t y = 0; y < rgba.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * img.bytes_per_row());
    uint8_t* out = &rgba.pixels[static_cast<size_t>(y) * rgba.width * 4];
    for (uint32_t x = 0; x < rgba.width; ++x) {
      uint32_t argb = row[x];
      out[4 * x + 0] = static_cast<uint8_t>(argb >> 16);
      out[4 * x + 1] = static_cast<uint8_t>(argb >> 8);
      out[4 * x + 2] = static_cast<uint8_t>(argb);
      out[4 * x + 3] = static_cast<uint8_t>(argb >> 24);
    }
  }
  return encode_png(rgba);
}

}  // namespace duet::pdf
