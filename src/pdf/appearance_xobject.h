// Internal to src/pdf (includes PoDoFo): draws a SealAppearance as form
// XObjects in a document being updated. The fonts and the image are created
// once per document and shared by every widget of the signature.
#pragma once

#include <podofo/podofo.h>

#include <memory>

#include "base/result.h"
#include "pdf/png_codec.h"
#include "pdf/seal_appearance.h"
#include "pki/pki_time.h"

namespace duet::pdf::internal {

class AppearanceDrawer {
 public:
  // Checks the appearance (validate_appearance) and loads its font and image
  // into `doc`. `doc` must outlive the drawer.
  static Result<std::unique_ptr<AppearanceDrawer>> create(PoDoFo::PdfMemDocument& doc, const SealAppearance& appearance,
                                                          pki::Time signing_time);

  // A new form XObject of width × height points showing the appearance.
  Result<std::unique_ptr<PoDoFo::PdfXObject>> draw(double width, double height);

 private:
  AppearanceDrawer(PoDoFo::PdfMemDocument& doc, const SealAppearance& appearance, pki::Time signing_time);
  void draw_stamp(PoDoFo::PdfPainter& p, double x, double y, double w, double h);
  void draw_image(PoDoFo::PdfPainter& p, double x, double y, double w, double h);
  // Text mixing CJK (the CJK font) and ASCII (Helvetica), centred on cx.
  void draw_line(PoDoFo::PdfPainter& p, double cx, double baseline, double size, const std::u32string& text);
  double line_width(const std::u32string& text, double size);

  PoDoFo::PdfMemDocument& doc_;
  SealAppearance appearance_;
  pki::Time signing_time_;
  PoDoFo::PdfFont* cjk_ = nullptr;
  PoDoFo::PdfFont* latin_ = nullptr;
  std::unique_ptr<PoDoFo::PdfImage> image_;
  std::unique_ptr<PoDoFo::PdfImage> soft_mask_;
  double image_aspect_ = 1;  // width / height of the image
};

}  // namespace duet::pdf::internal
