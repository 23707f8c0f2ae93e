// Helpers for the pdf tests: input PDFs built with PoDoFo (Latin text and CJK
// keywords in the CJK font, several pages), a test CA with a holder whose key
// is an ordinary SM2 key (the ExternalSigner), a transparent signature PNG,
// the whole sign flow, and reading back regions of rendered pages.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "pdf/pdf_signer.h"
#include "pdf/png_codec.h"
#include "pki/ca.h"
#include "pki/certificate.h"
#include "pki/test_support.h"

namespace duet::pdf::testing {

using pki::testing::LocalSigner;
using pki::testing::run;
using pki::testing::ScratchDir;

inline constexpr const char* kCjkFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";
inline constexpr const char* kKeyword = "甲方（签字）";

struct PlacedText {
  int page = 1;  // from 1
  double x = 0;  // baseline start, PDF points
  double y = 0;
  std::string text;  // UTF-8
  bool cjk = false;  // CJK font (else Helvetica)
};

// An A4 document of `pages` pages; each page carries "Contract page N" in
// Helvetica at the top, plus `texts`.
// `rotation` is every page's /Rotate (the text is placed in user space).
Bytes make_pdf(int pages, const std::vector<PlacedText>& texts, int rotation = 0);
// The standard test contract: 2 pages, the keyword on page 1 at (100, 300)
// and on page 2 at (320, 500), and the title "duet test contract".
Bytes make_contract();

// A 240 × 100 RGBA PNG: a blue pen stroke on a transparent background.
Bytes make_signature_png();

// A CA hierarchy and one holder certificate (CN = name) over a LocalSigner.
struct TestHolder {
  explicit TestHolder(const std::string& name);
  pki::CmsTrust trust() const;

  LocalSigner key;
  std::unique_ptr<pki::CaHierarchy> ca;
  std::unique_ptr<pki::Certificate> certificate;
};

// prepare_signature + pki::cms_sign_detached_digest + embed_signature.
Result<Bytes> sign_pdf(ByteView pdf, const std::vector<SealPlacement>& placements, const SealAppearance& appearance,
                       const SignOptions& options, TestHolder& holder);

// The page rendered by `pdftoppm` (poppler-utils) at 72 dpi, so one pixel is
// one point.
RgbaImage render_with_pdftoppm(const ScratchDir& dir, ByteView pdf, int page);
// Fraction of pixels in `rect` (PDF points, y up, on a page of height
// page_height) that are not near-white.
double ink_ratio(const RgbaImage& img, const Rect& rect, double page_height);

std::string text_of(ByteView b);

}  // namespace duet::pdf::testing
