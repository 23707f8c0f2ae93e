// Inspection of an untrusted PDF: its pages and their sizes, or one typed
// error saying why the document cannot be processed. Every entry point of
// src/pdf applies the same checks, in this order:
//   size > max_bytes            -> kPayloadTooLarge (nothing parsed)
//   no "%PDF-" header           -> kNotPdf
//   encrypted (any password)    -> kPdfEncrypted
//   does not parse, or no pages -> kPdfMalformed
#pragma once

#include <cstddef>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::pdf {

// The default document size limit of the service (issue 12 §3); callers pass
// their configured value.
inline constexpr size_t kDefaultMaxPdfBytes = size_t{20} * 1024 * 1024;

// A page's visible area in PDF points (1/72 inch): the CropBox (the MediaBox
// when there is none), and the page's /Rotate (0, 90, 180 or 270).
struct PageSize {
  double width = 0;
  double height = 0;
  int rotation = 0;
};

struct PdfDocumentInfo {
  size_t file_size = 0;
  std::vector<PageSize> pages;  // pages[0] is page 1
  size_t signature_fields = 0;  // signed signature fields already in the document
};

Result<PdfDocumentInfo> inspect_pdf(ByteView pdf, size_t max_bytes = kDefaultMaxPdfBytes);

}  // namespace duet::pdf
