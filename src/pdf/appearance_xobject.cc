#include "pdf/appearance_xobject.h"

#include <algorithm>
#include <cmath>

#include "pdf/podofo_load.h"

namespace duet::pdf::internal {
namespace {

// The seal red of Chinese name stamps (朱红), as DeviceRGB.
constexpr double kSealRed[3] = {0.80, 0.05, 0.05};

std::string utf8_of(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xe0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

PoDoFo::PdfString pdf_text(const std::u32string& s) {
  std::string u8 = utf8_of(s);
  return PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(u8.c_str()));
}

// Runs of one font: ASCII goes to Helvetica (the CJK font has no Latin
// glyphs), everything else to the CJK font.
std::vector<std::pair<bool, std::u32string>> font_runs(const std::u32string& text) {
  std::vector<std::pair<bool, std::u32string>> runs;
  for (char32_t c : text) {
    bool ascii = c < 0x80;
    if (runs.empty() || runs.back().first != ascii) runs.push_back({ascii, {}});
    runs.back().second.push_back(c);
  }
  return runs;
}

}  // namespace

AppearanceDrawer::AppearanceDrawer(PoDoFo::PdfMemDocument& doc, const SealAppearance& appearance,
                                   pki::Time signing_time)
    : doc_(doc), appearance_(appearance), signing_time_(signing_time) {}

Result<std::unique_ptr<AppearanceDrawer>> AppearanceDrawer::create(PoDoFo::PdfMemDocument& doc,
                                                                   const SealAppearance& appearance,
                                                                   pki::Time signing_time) {
  DUET_TRY_STATUS(validate_appearance(appearance));
  std::unique_ptr<AppearanceDrawer> d(new AppearanceDrawer(doc, appearance, signing_time));
  try {
    // Identity-H with a subset of the TrueType font: only the glyphs drawn are
    // embedded, with a ToUnicode map so the text stays extractable.
    d->cjk_ = doc.CreateFontSubset("DuetSealCJK", false, false, false, new PoDoFo::PdfIdentityEncoding(0, 0xffff, true),
                                   appearance.font_path.c_str());
    d->latin_ = doc.CreateFont("Helvetica", false, false, false,
                               PoDoFo::PdfEncodingFactory::GlobalWinAnsiEncodingInstance(),
                               PoDoFo::PdfFontCache::eFontCreationFlags_AutoSelectBase14, false);
    if (d->cjk_ == nullptr || d->latin_ == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "the seal font cannot be loaded: " + appearance.font_path);
    }
    if (const auto* hw = std::get_if<HandwrittenSignature>(&appearance.mark)) {
      DUET_ASSIGN_OR_RETURN(RgbaImage rgba, decode_png(hw->png));
      // Colour and alpha as two images: /SMask keeps the transparency (a PNG
      // drawn without it would cover the text under the signature in white).
      std::string rgb, alpha;
      rgb.reserve(static_cast<size_t>(rgba.width) * rgba.height * 3);
      alpha.reserve(static_cast<size_t>(rgba.width) * rgba.height);
      for (size_t i = 0; i + 3 < rgba.pixels.size(); i += 4) {
        rgb.append(reinterpret_cast<const char*>(&rgba.pixels[i]), 3);
        alpha.push_back(static_cast<char>(rgba.pixels[i + 3]));
      }
      d->soft_mask_ = std::make_unique<PoDoFo::PdfImage>(&doc, "SMask");
      d->soft_mask_->SetImageColorSpace(PoDoFo::ePdfColorSpace_DeviceGray);
      PoDoFo::PdfMemoryInputStream alpha_in(alpha.data(), static_cast<PoDoFo::pdf_long>(alpha.size()));
      d->soft_mask_->SetImageData(rgba.width, rgba.height, 8, &alpha_in);
      d->image_ = std::make_unique<PoDoFo::PdfImage>(&doc, "Sig");
      d->image_->SetImageColorSpace(PoDoFo::ePdfColorSpace_DeviceRGB);
      PoDoFo::PdfMemoryInputStream rgb_in(rgb.data(), static_cast<PoDoFo::pdf_long>(rgb.size()));
      d->image_->SetImageData(rgba.width, rgba.height, 8, &rgb_in);
      d->image_->SetImageSoftmask(d->soft_mask_.get());
      d->image_aspect_ = static_cast<double>(rgba.width) / rgba.height;
    }
  } catch (const PoDoFo::PdfError& e) {
    return podofo_error(e, ErrorCode::kInvalidArgument, "the seal's font or image cannot be embedded");
  }
  return d;
}

double AppearanceDrawer::line_width(const std::u32string& text, double size) {
  double w = 0;
  for (const auto& [ascii, run] : font_runs(text)) {
    PoDoFo::PdfFont* f = ascii ? latin_ : cjk_;
    f->SetFontSize(static_cast<float>(size));
    w += f->GetFontMetrics()->StringWidth(pdf_text(run));
  }
  return w;
}

void AppearanceDrawer::draw_line(PoDoFo::PdfPainter& p, double cx, double baseline, double size,
                                 const std::u32string& text) {
  double x = cx - line_width(text, size) / 2;
  for (const auto& [ascii, run] : font_runs(text)) {
    PoDoFo::PdfFont* f = ascii ? latin_ : cjk_;
    f->SetFontSize(static_cast<float>(size));
    p.SetFont(f);
    PoDoFo::PdfString s = pdf_text(run);
    p.DrawText(x, baseline, s);
    x += f->GetFontMetrics()->StringWidth(s);
  }
}

void AppearanceDrawer::draw_stamp(PoDoFo::PdfPainter& p, double x, double y, double w, double h) {
  std::u32string chars = name_stamp_characters(std::get<NameStamp>(appearance_.mark).name);
  const double side = std::min(w, h);
  const double left = x + (w - side) / 2, bottom = y + (h - side) / 2;
  const double stroke = side * 0.06;
  p.SetStrokingColor(kSealRed[0], kSealRed[1], kSealRed[2]);
  p.SetColor(kSealRed[0], kSealRed[1], kSealRed[2]);
  p.SetStrokeWidth(stroke);
  p.Rectangle(left + stroke / 2, bottom + stroke / 2, side - stroke, side - stroke);
  p.Stroke();
  // Characters in columns read top to bottom, the right column first.
  const size_t n = chars.size();
  const size_t rows = n == 1 ? 1 : 2;
  const size_t cols = (n + rows - 1) / rows;
  const double inner = side - 2 * stroke - side * 0.04;
  const double cell_w = inner / static_cast<double>(cols), cell_h = inner / static_cast<double>(rows);
  const double size = std::min(cell_w, cell_h) * 0.88;
  const double origin_x = left + (side - inner) / 2, origin_y = bottom + (side - inner) / 2;
  for (size_t k = 0; k < n; ++k) {
    size_t col = cols - 1 - k / rows, row = k % rows;
    double cx = origin_x + (static_cast<double>(col) + 0.5) * cell_w;
    double cy = origin_y + inner - (static_cast<double>(row) + 0.5) * cell_h;
    // CJK glyphs sit on an em box from about -0.12 em to 0.88 em.
    draw_line(p, cx, cy - size * 0.38, size, std::u32string(1, chars[k]));
  }
}

void AppearanceDrawer::draw_image(PoDoFo::PdfPainter& p, double x, double y, double w, double h) {
  double iw = w, ih = w / image_aspect_;
  if (ih > h) {
    ih = h;
    iw = h * image_aspect_;
  }
  p.DrawImage(x + (w - iw) / 2, y + (h - ih) / 2, image_.get(), iw / image_->GetWidth(), ih / image_->GetHeight());
}

Result<std::unique_ptr<PoDoFo::PdfXObject>> AppearanceDrawer::draw(double width, double height) {
  try {
    auto xobject = std::make_unique<PoDoFo::PdfXObject>(PoDoFo::PdfRect(0, 0, width, height), &doc_, "Seal");
    PoDoFo::PdfPainter p;
    p.SetPage(xobject.get());
    std::vector<std::u32string> lines;
    if (!appearance_.signer_name.empty()) {
      auto name = utf8_code_points(appearance_.signer_name);
      if (name.ok()) lines.push_back(*name);
    }
    if (appearance_.show_signing_time) {
      std::string t = format_signing_time(signing_time_, appearance_.utc_offset_minutes);
      lines.push_back(std::u32string(t.begin(), t.end()));
    }
    // Text lines take at most 40 % of the height; their size also shrinks
    // until the longest fits the width.
    double size = lines.empty() ? 0 : std::min(12.0, height * 0.4 / (static_cast<double>(lines.size()) * 1.2));
    for (const auto& l : lines) {
      double w = line_width(l, size);
      if (w > width * 0.98) size *= width * 0.98 / w;
    }
    const double text_height = size * 1.2 * static_cast<double>(lines.size());
    p.SetColor(0, 0, 0);
    for (size_t i = 0; i < lines.size(); ++i) {
      double baseline = text_height - size * 1.2 * static_cast<double>(i + 1) + size * 0.25;
      draw_line(p, width / 2, baseline, size, lines[i]);
    }
    const double mark_y = text_height, mark_h = height - text_height;
    if (mark_h > 1) {
      if (image_) {
        draw_image(p, 0, mark_y, width, mark_h);
      } else {
        draw_stamp(p, 0, mark_y, width, mark_h);
      }
    }
    p.FinishPage();
    return xobject;
  } catch (const PoDoFo::PdfError& e) {
    return podofo_error(e, ErrorCode::kInternal, "drawing the seal failed");
  }
}

}  // namespace duet::pdf::internal
