#include "pdf/pdf_test_support.h"

#include <podofo/podofo.h>

#include <cmath>

#include "base/result_testing.h"
#include "crypto/random.h"
#include "pki/issuer.h"

namespace duet::pdf::testing {

std::string text_of(ByteView b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

Bytes make_pdf(int pages, const std::vector<PlacedText>& texts, int rotation) {
  PoDoFo::PdfMemDocument doc;
  PoDoFo::PdfFont* latin = doc.CreateFont("Helvetica", false, false, false,
                                          PoDoFo::PdfEncodingFactory::GlobalWinAnsiEncodingInstance(),
                                          PoDoFo::PdfFontCache::eFontCreationFlags_AutoSelectBase14, false);
  PoDoFo::PdfFont* cjk = doc.CreateFontSubset("TestCJK", false, false, false,
                                              new PoDoFo::PdfIdentityEncoding(0, 0xffff, true), kCjkFont);
  for (int p = 1; p <= pages; ++p) {
    PoDoFo::PdfPage* page = doc.CreatePage(PoDoFo::PdfPage::CreateStandardPageSize(PoDoFo::ePdfPageSize_A4));
    if (rotation != 0) page->SetRotation(rotation);
    PoDoFo::PdfPainter painter;
    painter.SetPage(page);
    latin->SetFontSize(14);
    painter.SetFont(latin);
    painter.DrawText(72, 780, PoDoFo::PdfString(("Contract page " + std::to_string(p)).c_str()));
    for (const PlacedText& t : texts) {
      if (t.page != p) continue;
      PoDoFo::PdfFont* f = t.cjk ? cjk : latin;
      f->SetFontSize(14);
      painter.SetFont(f);
      painter.DrawText(t.x, t.y, PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(t.text.c_str())));
    }
    painter.FinishPage();
  }
  doc.GetInfo()->SetTitle(PoDoFo::PdfString("duet test contract"));
  PoDoFo::PdfRefCountedBuffer buffer;
  PoDoFo::PdfOutputDevice device(&buffer);
  doc.Write(&device);
  return Bytes(buffer.GetBuffer(), buffer.GetBuffer() + device.GetLength());
}

Bytes make_contract() {
  return make_pdf(2, {{1, 100, 300, std::string(kKeyword) + "：", true},
                      {1, 100, 500, "Party B (signature):", false},
                      {2, 320, 500, std::string("乙方 ") + kKeyword, true}});
}

Bytes make_signature_png() {
  RgbaImage img;
  img.width = 240;
  img.height = 100;
  img.pixels.assign(static_cast<size_t>(img.width) * img.height * 4, 0);  // transparent
  for (uint32_t x = 10; x < 230; ++x) {
    double y = 50 + 30 * std::sin(x / 18.0);
    for (int dy = -3; dy <= 3; ++dy) {
      uint32_t py = static_cast<uint32_t>(y + dy);
      uint8_t* px = &img.pixels[(static_cast<size_t>(py) * img.width + x) * 4];
      px[0] = 10;
      px[1] = 30;
      px[2] = 160;
      px[3] = 255;
    }
  }
  return testing_support::ok_value(encode_png(img));
}

TestHolder::TestHolder(const std::string& name) {
  const pki::Time now = pki::now_seconds();
  ca = std::make_unique<pki::CaHierarchy>(
      testing_support::ok_value(pki::create_ca_hierarchy(pki::CaProfile{}, crypto::SystemRandom::instance(), now)));
  pki::HolderProfile p;
  p.subject = {"CN", "Example Co", "", name, "9c1e77ab20d4f3e5"};
  p.crl_url = "http://ca.duet.test/crl";
  p.ocsp_url = "http://ca.duet.test/ocsp";
  p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
  pki::IssuancePolicy policy;
  policy.policy_oid = p.policy_oid;
  certificate = std::make_unique<pki::Certificate>(testing_support::ok_value(
      pki::issue_holder_certificate(ca->issuing_ca(), key.pub, p, policy, crypto::SystemRandom::instance(), now)));
}

pki::CmsTrust TestHolder::trust() const {
  pki::CmsTrust t;
  t.intermediates = {ca->issuing_certificate};
  t.roots = {ca->root_certificate};
  return t;
}

Result<Bytes> sign_pdf(ByteView pdf, const std::vector<SealPlacement>& placements, const SealAppearance& appearance,
                       const SignOptions& options, TestHolder& holder) {
  DUET_ASSIGN_OR_RETURN(PreparedPdf prepared, prepare_signature(pdf, placements, appearance, options));
  DUET_ASSIGN_OR_RETURN(Bytes cms, pki::cms_sign_detached_digest(prepared.digest, *holder.certificate,
                                                                 holder.key.signer(), cms_sign_options(prepared)));
  return embed_signature(prepared, cms);
}

RgbaImage render_with_pdftoppm(const ScratchDir& dir, ByteView pdf, int page) {
  std::string in = dir.write("render-in.pdf", pdf);
  std::string out = dir.file("render-out");
  auto r = run("pdftoppm -r 72 -png -singlefile -f " + std::to_string(page) + " -l " + std::to_string(page) + " " + in +
               " " + out);
  EXPECT_EQ(r.status, 0) << r.output;
  std::string png = dir.read("render-out.png");
  auto img = decode_png(as_bytes(png));
  EXPECT_TRUE(img.ok()) << "pdftoppm output does not decode";
  return img.ok() ? *img : RgbaImage{};
}

double ink_ratio(const RgbaImage& img, const Rect& rect, double page_height) {
  if (img.width == 0) return 0;
  int x0 = static_cast<int>(std::floor(rect.x)), x1 = static_cast<int>(std::ceil(rect.x + rect.width));
  int y0 = static_cast<int>(std::floor(page_height - rect.y - rect.height));
  int y1 = static_cast<int>(std::ceil(page_height - rect.y));
  size_t inked = 0, total = 0;
  for (int y = std::max(0, y0); y < std::min<int>(y1, static_cast<int>(img.height)); ++y) {
    for (int x = std::max(0, x0); x < std::min<int>(x1, static_cast<int>(img.width)); ++x) {
      const uint8_t* px = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 4];
      ++total;
      if (px[0] < 200 || px[1] < 200 || px[2] < 200) ++inked;
    }
  }
  return total == 0 ? 0 : static_cast<double>(inked) / static_cast<double>(total);
}

}  // namespace duet::pdf::testing
