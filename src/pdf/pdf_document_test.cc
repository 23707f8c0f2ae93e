#include "pdf/pdf_document.h"

#include <gtest/gtest.h>

#include "base/result_testing.h"
#include "pdf/page_render.h"
#include "pdf/pdf_signer.h"
#include "pdf/pdf_test_support.h"
#include "pdf/pdf_verifier.h"
#include "pdf/seal_placement.h"

namespace duet::pdf {
namespace {

using namespace testing;
using testing_support::ok_value;

TEST(PdfDocument, PagesAndSizes) {
  Bytes pdf = make_pdf(3, {});
  PdfDocumentInfo info = ok_value(inspect_pdf(pdf));
  EXPECT_EQ(info.file_size, pdf.size());
  ASSERT_EQ(info.pages.size(), 3u);
  for (const PageSize& p : info.pages) {
    EXPECT_NEAR(p.width, 595, 1);
    EXPECT_NEAR(p.height, 842, 1);
    EXPECT_EQ(p.rotation, 0);
  }
  EXPECT_EQ(info.signature_fields, 0u);
}

// Each kind of unusable input has its own error, from every entry point, and
// nothing is produced.
class BadInput : public ::testing::Test {
 protected:
  static void expect_everywhere(ByteView pdf, ErrorCode code, size_t max_bytes = kDefaultMaxPdfBytes) {
    EXPECT_EQ(inspect_pdf(pdf, max_bytes).code(), code) << error_code_name(code);
    EXPECT_EQ(resolve_placements(pdf, {PagePlacement{1, {10, 10, 50, 50}}}, max_bytes).code(), code);
    SignOptions o;
    o.max_pdf_bytes = max_bytes;
    SealAppearance a{NameStamp{"张三"}, "张三"};
    EXPECT_EQ(prepare_signature(pdf, {PagePlacement{1, {10, 10, 50, 50}}}, a, o).code(), code);
    EXPECT_EQ(verify_pdf(pdf, pki::CmsTrust{}, VerifyOptions{max_bytes}).code(), code);
    EXPECT_EQ(render_page_png(pdf, 1, RenderOptions{72, 40'000'000, max_bytes}).code(), code);
  }
};

TEST_F(BadInput, NotPdf) {
  expect_everywhere(as_bytes(std::string("hello, this is a text file\n")), ErrorCode::kNotPdf);
  expect_everywhere(ByteView(), ErrorCode::kNotPdf);
  Bytes png = make_signature_png();
  expect_everywhere(png, ErrorCode::kNotPdf);
}

TEST_F(BadInput, Malformed) {
  Bytes pdf = make_contract();
  // Truncated in the middle: no xref, no trailer.
  expect_everywhere(ByteView(pdf).first(pdf.size() / 2), ErrorCode::kPdfMalformed);
  expect_everywhere(as_bytes(std::string("%PDF-1.7\n%garbage\n1 0 obj\n<< /Type /Catalog\n")), ErrorCode::kPdfMalformed);
  // A PDF whose only object is a catalog without pages.
  std::string nopages =
      "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n"
      "trailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n45\n%%EOF\n";
  expect_everywhere(as_bytes(nopages), ErrorCode::kPdfMalformed);
}

TEST_F(BadInput, Encrypted) {
  ScratchDir dir;
  std::string in = dir.write("plain.pdf", make_contract());
  for (const char* user : {"", "secret"}) {
    std::string out = dir.file(std::string("enc-") + (*user ? "user" : "empty") + ".pdf");
    auto r = run(std::string("qpdf --encrypt '") + user + "' owner-pw 256 -- " + in + " " + out);
    ASSERT_EQ(r.status, 0) << r.output;
    std::string enc = dir.read(out.substr(dir.path().size() + 1));
    expect_everywhere(as_bytes(enc), ErrorCode::kPdfEncrypted);
  }
}

// An AES-256 encryption dictionary without /OE crashed PoDoFo 0.9.8 (it
// dereferences the missing key): such a file is refused as encrypted before
// any parser reads it, also when the trailer spells the key with # escapes.
TEST_F(BadInput, BrokenEncryptionDictionaryIsRefusedBeforeParsing) {
  ScratchDir dir;
  std::string in = dir.write("plain.pdf", make_contract());
  auto r = run("qpdf --encrypt '' owner-pw 256 -- " + in + " " + dir.file("enc.pdf"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::string enc = dir.read("enc.pdf");
  auto replace_all = [](std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
    return s;
  };
  std::string no_oe = replace_all(enc, "/OE", "/Zz");
  ASSERT_NE(no_oe, enc);
  expect_everywhere(as_bytes(no_oe), ErrorCode::kPdfEncrypted);
  std::string escaped = replace_all(no_oe, "/Encrypt", "/Encr#79pt");
  ASSERT_NE(escaped, no_oe);
  expect_everywhere(as_bytes(escaped), ErrorCode::kPdfEncrypted);
  // A longer name that starts the same is not the key (same length as
  // /Producer, so the cross-reference offsets stay right).
  Bytes contract = make_contract();
  std::string plain(contract.begin(), contract.end());
  std::string other = replace_all(plain, "/Producer", "/Encryptx");
  ASSERT_NE(other, plain);
  EXPECT_TRUE(inspect_pdf(as_bytes(other)).ok());
}

TEST_F(BadInput, Oversized) {
  Bytes pdf = make_contract();
  expect_everywhere(pdf, ErrorCode::kPayloadTooLarge, pdf.size() - 1);
  EXPECT_TRUE(inspect_pdf(pdf, pdf.size()).ok());
}

}  // namespace
}  // namespace duet::pdf
