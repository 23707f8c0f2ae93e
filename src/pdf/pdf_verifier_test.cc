#include "pdf/pdf_verifier.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <podofo/podofo.h>

#include "base/result_testing.h"
#include "pdf/pdf_test_support.h"

namespace duet::pdf {
namespace {

using namespace testing;
using testing_support::ok_value;

class PdfVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SignOptions o;
    o.signing_time = pki::now_seconds();
    signed_ = ok_value(sign_pdf(make_contract(), {KeywordPlacement{kKeyword, false, 0, 0, 80, 100}},
                                SealAppearance{NameStamp{"张三"}, "张三"}, o, holder_));
  }
  TestHolder holder_{"张三"};
  Bytes signed_;
};

TEST_F(PdfVerifierTest, ReportsAValidSignature) {
  PdfVerification v = ok_value(verify_pdf(signed_, holder_.trust()));
  ASSERT_TRUE(v.ok()) << verification_text(v);
  const SignatureReport& s = v.signatures[0];
  EXPECT_EQ(s.sub_filter, "ETSI.CAdES.detached");
  EXPECT_TRUE(s.byte_range_ok && s.digest_matches && s.cms_ok && s.covers_whole_file);
  EXPECT_FALSE(s.cms_signing_time.has_value());
  EXPECT_EQ(pki::Certificate::parse(s.signer_certificate_der)->der(), holder_.certificate->der());
  auto j = nlohmann::json::parse(verification_json(v));
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["signatures"][0]["byte_range"][0].get<int>(), 0);
  EXPECT_EQ(j["signatures"][0]["field"], "Signature1");
  std::string text = verification_text(v);
  EXPECT_NE(text.find("VALID"), std::string::npos);
  // Another trust anchor: the chain fails, nothing else.
  TestHolder stranger("王五");
  PdfVerification untrusted = ok_value(verify_pdf(signed_, stranger.trust()));
  EXPECT_FALSE(untrusted.ok());
  EXPECT_TRUE(untrusted.signatures[0].digest_matches);
  EXPECT_FALSE(untrusted.signatures[0].cms_ok);
}

// One byte changed in the signed range (inside the Info title, so that the
// file still parses) is reported as a digest mismatch.
TEST_F(PdfVerifierTest, OneChangedByteIsReported) {
  std::string text = text_of(signed_);
  size_t at = text.find("duet test contract");
  ASSERT_NE(at, std::string::npos);
  Bytes changed = signed_;
  changed[at] = 'D';
  PdfVerification v = ok_value(verify_pdf(changed, holder_.trust()));
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_FALSE(v.ok());
  EXPECT_FALSE(v.signatures[0].digest_matches);
  EXPECT_TRUE(v.signatures[0].byte_range_ok);
  // A byte changed inside /Contents: the CMS no longer verifies (or parses).
  const ByteRange& br = *v.signatures[0].byte_range;
  Bytes in_sig = signed_;
  size_t mid = br.length1 + 200;
  in_sig[mid] = in_sig[mid] == 'A' ? 'B' : 'A';
  PdfVerification v2 = ok_value(verify_pdf(in_sig, holder_.trust()));
  EXPECT_FALSE(v2.ok());
  EXPECT_FALSE(v2.signatures[0].cms_ok);
}

// An update after the signature that changes the page content is a
// modification; bytes appended without a signature are not covered.
TEST_F(PdfVerifierTest, LaterModificationIsReported) {
  PoDoFo::PdfMemDocument doc;
  doc.LoadFromBuffer(reinterpret_cast<const char*>(signed_.data()), static_cast<long>(signed_.size()), true);
  PoDoFo::PdfPainter painter;
  painter.SetPage(doc.GetPage(0));
  PoDoFo::PdfFont* f = doc.CreateFont("Helvetica", false, false, false,
                                      PoDoFo::PdfEncodingFactory::GlobalWinAnsiEncodingInstance(),
                                      PoDoFo::PdfFontCache::eFontCreationFlags_AutoSelectBase14, false);
  f->SetFontSize(20);
  painter.SetFont(f);
  painter.DrawText(100, 600, PoDoFo::PdfString("PAID IN FULL"));
  painter.FinishPage();
  PoDoFo::PdfRefCountedBuffer buffer;
  PoDoFo::PdfOutputDevice device(&buffer);
  doc.WriteUpdate(&device, true);
  Bytes tampered(buffer.GetBuffer(), buffer.GetBuffer() + device.GetLength());
  PdfVerification v = ok_value(verify_pdf(tampered, holder_.trust()));
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_FALSE(v.ok());
  EXPECT_FALSE(v.last_covers_whole_file);
  EXPECT_TRUE(v.signatures[0].digest_matches) << "the signed revision itself is intact";
  EXPECT_TRUE(v.signatures[0].modified_after) << verification_text(v);
  bool page_change = false;
  for (const auto& c : v.signatures[0].later_changes) page_change |= !c.allowed && c.what.find("page") != std::string::npos;
  EXPECT_TRUE(page_change) << verification_text(v);
}

TEST_F(PdfVerifierTest, UnsignedDocumentIsNotValid) {
  PdfVerification v = ok_value(verify_pdf(make_contract(), holder_.trust()));
  EXPECT_TRUE(v.signatures.empty());
  EXPECT_FALSE(v.ok());
}

}  // namespace
}  // namespace duet::pdf
