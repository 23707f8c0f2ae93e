#include "pdf/seal_placement.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "pdf/poppler_load.h"

namespace duet::pdf {
namespace {

constexpr double kMaxSealSide = 14400;  // PDF's largest page side (ISO 32000-1 Annex C)

bool is_space(unsigned short c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x3000 || c == 0xa0; }

struct PageGeometry {
  poppler::rectf box;  // visible area in user space
  int rotation = 0;    // the page's /Rotate
};

PageGeometry geometry(const poppler::page& page) {
  PageGeometry g;
  g.box = page.page_rect(poppler::crop_box);
  switch (page.orientation()) {
    case poppler::page::landscape: g.rotation = 90; break;
    case poppler::page::upside_down: g.rotation = 180; break;
    case poppler::page::seascape: g.rotation = 270; break;
    default: g.rotation = 0; break;
  }
  return g;
}

// poppler's text boxes are in display space: points from the top-left corner
// of the page as shown (the /Rotate applied, clockwise). Back to user space.
Rect to_user_space(const PageGeometry& g, const poppler::rectf& r) {
  const double w = g.box.width(), h = g.box.height();
  auto map = [&](double dx, double dy, double& ux, double& uy) {
    switch (g.rotation) {
      case 90: ux = dy; uy = dx; break;
      case 180: ux = w - dx; uy = dy; break;
      case 270: ux = w - dy; uy = h - dx; break;
      default: ux = dx; uy = h - dy; break;
    }
  };
  double x1, y1, x2, y2;
  map(r.left(), r.top(), x1, y1);
  map(r.right(), r.bottom(), x2, y2);
  return Rect{g.box.left() + std::min(x1, x2), g.box.top() + std::min(y1, y2), std::abs(x2 - x1), std::abs(y2 - y1)};
}

Status check_size(double width, double height, const PageGeometry& g) {
  if (!(width > 0) || !(height > 0) || width > kMaxSealSide || height > kMaxSealSide) {
    return make_error(ErrorCode::kInvalidArgument, "the seal's width and height must be positive");
  }
  if (width > g.box.width() + 1e-6 || height > g.box.height() + 1e-6) {
    return make_error(ErrorCode::kInvalidArgument, "the seal is larger than the page");
  }
  return Status::Ok();
}

// One glyph of the page text with its box (display space).
struct Glyph {
  unsigned short code;
  poppler::rectf box;
};

std::vector<Glyph> page_glyphs(const poppler::page& page) {
  std::vector<Glyph> glyphs;
  for (const poppler::text_box& tb : page.text_list()) {
    poppler::ustring text = tb.text();
    for (size_t i = 0; i < text.size(); ++i) {
      if (!is_space(text[i])) glyphs.push_back({text[i], tb.char_bbox(i)});
    }
  }
  return glyphs;
}

poppler::rectf union_of(const std::vector<Glyph>& g, size_t from, size_t n) {
  double l = g[from].box.left(), t = g[from].box.top(), r = g[from].box.right(), b = g[from].box.bottom();
  for (size_t i = from + 1; i < from + n; ++i) {
    l = std::min(l, g[i].box.left());
    t = std::min(t, g[i].box.top());
    r = std::max(r, g[i].box.right());
    b = std::max(b, g[i].box.bottom());
  }
  return poppler::rectf(l, t, r - l, b - t);
}

// The seal centred on `anchor`, offset, then kept inside the page.
Rect seal_at(const Rect& anchor, const KeywordPlacement& k, const PageGeometry& g) {
  Rect r;
  r.width = k.width;
  r.height = k.height;
  r.x = anchor.x + anchor.width / 2 - k.width / 2 + k.offset_x;
  r.y = anchor.y + anchor.height / 2 - k.height / 2 + k.offset_y;
  // box.left()/top() are poppler's x1/y1: the lower-left corner in user space.
  // check_size keeps the seal no larger than the page (to 1e-6): max() keeps
  // clamp's bounds ordered even then.
  r.x = std::clamp(r.x, g.box.left(), std::max(g.box.left(), g.box.left() + g.box.width() - k.width));
  r.y = std::clamp(r.y, g.box.top(), std::max(g.box.top(), g.box.top() + g.box.height() - k.height));
  return r;
}

Status find_keyword(const poppler::document& doc, const KeywordPlacement& k, std::vector<ResolvedPlacement>& out) {
  poppler::ustring needle_raw = poppler::ustring::from_utf8(k.keyword.c_str(), static_cast<int>(k.keyword.size()));
  poppler::ustring needle;
  for (unsigned short c : needle_raw) {
    if (!is_space(c)) needle.push_back(c);
  }
  if (needle.empty()) return make_error(ErrorCode::kInvalidArgument, "the keyword is empty");
  if (!(k.width > 0) || !(k.height > 0) || k.width > kMaxSealSide || k.height > kMaxSealSide) {
    return make_error(ErrorCode::kInvalidArgument, "the seal's width and height must be positive");
  }
  if (!std::isfinite(k.offset_x) || !std::isfinite(k.offset_y)) {
    return make_error(ErrorCode::kInvalidArgument, "the keyword offset is not a number");
  }
  bool found = false;
  for (int p = 0; p < doc.pages(); ++p) {
    DUET_ASSIGN_OR_RETURN(auto page, internal::poppler_page(doc, p));
    PageGeometry g = geometry(*page);
    std::vector<Glyph> glyphs = page_glyphs(*page);
    for (size_t i = 0; i + needle.size() <= glyphs.size(); ++i) {
      bool match = true;
      for (size_t j = 0; j < needle.size() && match; ++j) match = glyphs[i + j].code == needle[j];
      if (!match) continue;
      DUET_TRY_STATUS(check_size(k.width, k.height, g));  // on the page where it is found
      found = true;
      out.push_back({p + 1, seal_at(to_user_space(g, union_of(glyphs, i, needle.size())), k, g)});
      if (out.size() > kMaxSealWidgets) {
        return make_error(ErrorCode::kInvalidArgument, "more than " + std::to_string(kMaxSealWidgets) + " seals");
      }
      if (!k.every_occurrence) return Status::Ok();
      i += needle.size() - 1;  // occurrences do not overlap
    }
  }
  if (!found) return make_error(ErrorCode::kNotFound, "the keyword occurs on no page");
  return Status::Ok();
}

Status place_on_page(const poppler::document& doc, const PagePlacement& p, std::vector<ResolvedPlacement>& out) {
  if (p.page < 1 || p.page > doc.pages()) {
    return make_error(ErrorCode::kInvalidArgument, "page " + std::to_string(p.page) + " is not in the document (1.." +
                                                       std::to_string(doc.pages()) + ")");
  }
  DUET_ASSIGN_OR_RETURN(auto page, internal::poppler_page(doc, p.page - 1));
  PageGeometry g = geometry(*page);
  const Rect& r = p.rect;
  DUET_TRY_STATUS(check_size(r.width, r.height, g));
  constexpr double kSlack = 1e-6;
  if (!(r.x >= -kSlack) || !(r.y >= -kSlack) || r.x + r.width > g.box.width() + kSlack ||
      r.y + r.height > g.box.height() + kSlack) {
    return make_error(ErrorCode::kInvalidArgument, "the seal's rectangle is not inside the page");
  }
  out.push_back({p.page, Rect{g.box.left() + r.x, g.box.top() + r.y, r.width, r.height}});
  return Status::Ok();
}

}  // namespace

Result<std::vector<ResolvedPlacement>> resolve_placements(ByteView pdf, const std::vector<SealPlacement>& placements,
                                                          size_t max_bytes) {
  if (placements.empty()) return make_error(ErrorCode::kInvalidArgument, "no seal placement");
  DUET_ASSIGN_OR_RETURN(auto doc, internal::load_poppler(pdf, max_bytes));
  std::vector<ResolvedPlacement> out;
  for (const SealPlacement& p : placements) {
    if (const auto* fixed = std::get_if<PagePlacement>(&p)) {
      DUET_TRY_STATUS(place_on_page(*doc, *fixed, out));
    } else {
      DUET_TRY_STATUS(find_keyword(*doc, std::get<KeywordPlacement>(p), out));
    }
    if (out.size() > kMaxSealWidgets) {
      return make_error(ErrorCode::kInvalidArgument, "more than " + std::to_string(kMaxSealWidgets) + " seals");
    }
  }
  return out;
}

}  // namespace duet::pdf
