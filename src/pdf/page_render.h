// One page of a PDF as a PNG: what the holder app shows before the holder
// signs (poppler-cpp's page renderer, anti-aliased, white paper; libpng).
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "pdf/pdf_document.h"

namespace duet::pdf {

struct RenderOptions {
  double dpi = 96;
  // The rendering's pixel budget (width × height): a page of 14400 pt × 14400 pt
  // at 300 dpi would otherwise need gigabytes.
  size_t max_pixels = size_t{40} * 1000 * 1000;
  size_t max_pdf_bytes = kDefaultMaxPdfBytes;
};

// `page` counts from 1. Errors: the document errors of pdf_document.h;
// kInvalidArgument for a page out of range or a dpi outside 18..600;
// kPayloadTooLarge when the image would exceed max_pixels.
Result<Bytes> render_page_png(ByteView pdf, int page, const RenderOptions& options = {});

}  // namespace duet::pdf
