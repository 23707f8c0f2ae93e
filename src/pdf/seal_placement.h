// Where a seal goes: a page and a rectangle, or a keyword anchor found in the
// page text (poppler-cpp's text boxes, so CJK text in embedded fonts works as
// long as the font maps its glyphs to Unicode, as any extractable PDF does).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "pdf/pdf_document.h"

namespace duet::pdf {

// A rectangle in PDF points: (x, y) is its lower-left corner.
struct Rect {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
};

// A fixed place: `page` counts from 1; `rect` is relative to the lower-left
// corner of the page's visible area (its CropBox, else MediaBox), unrotated
// (PDF user space, y up). It must lie inside the page.
struct PagePlacement {
  int page = 1;
  Rect rect;
};

// A place relative to a text on the page: the seal (width × height) is
// centred on the keyword's bounding box, then moved by (offset_x, offset_y)
// points (y up). Whitespace in the keyword and in the page text is ignored,
// so a keyword split over several text boxes is still found. A seal that
// would cross the page edge is moved inside it.
struct KeywordPlacement {
  std::string keyword;  // UTF-8, e.g. "甲方（签字）"
  bool every_occurrence = false;  // false: the first one (page order, then reading order)
  double offset_x = 0;
  double offset_y = 0;
  double width = 0;
  double height = 0;
};

using SealPlacement = std::variant<PagePlacement, KeywordPlacement>;

// A placement made concrete: the page (from 1) and the widget's /Rect in the
// page's default user space (absolute coordinates, as written into the PDF).
struct ResolvedPlacement {
  int page = 1;
  Rect rect;
};

// Upper bound on widgets per signature (every_occurrence on a keyword that
// occurs on every line must not make a document of thousands of widgets).
inline constexpr size_t kMaxSealWidgets = 100;

// Resolves every placement, in order. Errors: the document errors of
// pdf_document.h; kInvalidArgument for a page out of range, an empty or
// too large rectangle, one outside the page, an empty keyword, no placement
// or more than kMaxSealWidgets results; kNotFound when a keyword occurs on no page.
Result<std::vector<ResolvedPlacement>> resolve_placements(ByteView pdf, const std::vector<SealPlacement>& placements,
                                                          size_t max_bytes = kDefaultMaxPdfBytes);

}  // namespace duet::pdf
