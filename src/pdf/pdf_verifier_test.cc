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

// The signer certificate's revocation state comes from the caller's source:
// asked with the signer's certificate; revoked makes the signature invalid
// (with the time in the report); not asked is said so.
TEST_F(PdfVerifierTest, RevocationStateIsReported) {
  PdfVerification unchecked = ok_value(verify_pdf(signed_, holder_.trust(), {}, {{}, "offline"}));
  EXPECT_TRUE(unchecked.ok());
  EXPECT_EQ(unchecked.signatures[0].revocation.state, RevocationStatus::State::kNotChecked);
  EXPECT_NE(verification_text(unchecked).find("revocation:      not checked: offline"), std::string::npos)
      << verification_text(unchecked);

  std::string asked_serial;
  RevocationSource good;
  good.check = [&](const pki::Certificate& c) {
    asked_serial = c.serial_hex();
    return RevocationStatus{RevocationStatus::State::kGood, std::nullopt, "", "the test CA"};
  };
  PdfVerification g = ok_value(verify_pdf(signed_, holder_.trust(), {}, good));
  EXPECT_TRUE(g.ok());
  EXPECT_EQ(asked_serial, holder_.certificate->serial_hex());
  EXPECT_EQ(nlohmann::json::parse(verification_json(g))["signatures"][0]["revocation"]["status"], "good");

  RevocationSource revoked;
  const pki::Time at = pki::Time(std::chrono::seconds(1790000000));
  revoked.check = [&](const pki::Certificate&) {
    return RevocationStatus{RevocationStatus::State::kRevoked, at, "keyCompromise", "the test CA"};
  };
  PdfVerification r = ok_value(verify_pdf(signed_, holder_.trust(), {}, revoked));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.signatures[0].ok());
  EXPECT_TRUE(r.signatures[0].cms_ok && r.signatures[0].digest_matches);
  auto j = nlohmann::json::parse(verification_json(r));
  EXPECT_EQ(j["signatures"][0]["revocation"]["status"], "revoked");
  EXPECT_EQ(j["signatures"][0]["revocation"]["revoked_at"], "2026-09-21T14:13:20Z");
  EXPECT_EQ(j["signatures"][0]["revocation"]["reason"], "keyCompromise");
  EXPECT_NE(verification_text(r).find("REVOKED at 2026-09-21T14:13:20Z (keyCompromise)"), std::string::npos)
      << verification_text(r);
}

TEST_F(PdfVerifierTest, UnsignedDocumentIsNotValid) {
  PdfVerification v = ok_value(verify_pdf(make_contract(), holder_.trust()));
  EXPECT_TRUE(v.signatures.empty());
  EXPECT_FALSE(v.ok());
}

}  // namespace
}  // namespace duet::pdf
