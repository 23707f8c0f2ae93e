// The signed output checked by tools that share no code with src/pdf: qpdf,
// pdfsig, pdftoppm and the openssl command line.
#include "pdf/pdf_signer.h"

#include <gtest/gtest.h>

#include <regex>

#include "base/result_testing.h"
#include "crypto/sm2_evp.h"
#include "pdf/pdf_test_support.h"
#include "pdf/pdf_verifier.h"

namespace duet::pdf {
namespace {

using namespace testing;
using testing_support::ok_value;

struct FileByteRange {
  uint64_t a, b, c, d;
};

// Every /ByteRange in the file, read with a regular expression.
std::vector<FileByteRange> byte_ranges_in(const std::string& pdf) {
  std::vector<FileByteRange> out;
  std::regex re(R"(/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\])");
  for (auto it = std::sregex_iterator(pdf.begin(), pdf.end(), re); it != std::sregex_iterator(); ++it) {
    out.push_back({std::stoull((*it)[1]), std::stoull((*it)[2]), std::stoull((*it)[3]), std::stoull((*it)[4])});
  }
  return out;
}

// The independent check of one signature of `pdf_path`, with the openssl CLI
// only: the signed bytes cut out with head/tail and hashed by `openssl dgst
// -sm3`, compared with the messageDigest attribute that `openssl asn1parse`
// reads; the signed attributes re-tagged as SET and verified with `openssl
// pkeyutl` under the signer's key from `openssl pkcs7 -print_certs`.
void openssl_check(const ScratchDir& dir, const std::string& pdf, const FileByteRange& br, const std::string& tag,
                   bool expect_signing_time) {
  std::string hex = pdf.substr(br.b + 1, br.c - br.b - 2);
  Bytes padded = ok_value(from_hex(hex));
  // The DER length from the first bytes; the rest is the zero padding.
  size_t len = padded[1], header = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | padded[2 + i];
    header += n;
  }
  Bytes der(padded.begin(), padded.begin() + static_cast<ptrdiff_t>(header + len));
  std::string cms = dir.write(tag + ".p7s", der);
  std::string path = dir.write(tag + ".pdf", pdf);
  std::string ranges = dir.file(tag + ".ranges");
  auto cut = run("head -c " + std::to_string(br.b) + " " + path + " > " + ranges + " && tail -c +" +
                 std::to_string(br.c + 1) + " " + path + " | head -c " + std::to_string(br.d) + " >> " + ranges +
                 " && openssl dgst -sm3 -r " + ranges);
  ASSERT_EQ(cut.status, 0) << cut.output;
  std::string range_sm3 = cut.output.substr(0, 64);

  auto parse = run("openssl asn1parse -inform DER -in " + cms);
  ASSERT_EQ(parse.status, 0) << parse.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(parse.output, m, std::regex(R"(:messageDigest\s*\n.*SET\s*\n.*\[HEX DUMP\]:([0-9A-F]+))")))
      << parse.output;
  std::string md = m[1];
  std::transform(md.begin(), md.end(), md.begin(), ::tolower);
  EXPECT_EQ(md, range_sm3) << "messageDigest is not SM3 of the ByteRange bytes";
  EXPECT_EQ(parse.output.find(":signingTime") != std::string::npos, expect_signing_time) << parse.output;
  EXPECT_NE(parse.output.find(":id-smime-aa-signingCertificateV2"), std::string::npos);
  EXPECT_NE(parse.output.find(":sm3"), std::string::npos);
  EXPECT_NE(parse.output.find(":SM2-with-SM3"), std::string::npos);

  // Signed attributes: the [0] at depth 5; the signature: the last OCTET STRING at depth 5.
  std::regex line(R"(^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:cons|prim):\s*(.*)$)");
  std::istringstream in(parse.output);
  std::string l;
  size_t attrs_off = 0, attrs_len = 0, sig_off = 0, sig_len = 0;
  while (std::getline(in, l)) {
    if (!std::regex_match(l, m, line) || std::stoul(m[2]) != 5) continue;
    std::string what = m[5];
    if (what.find("cont [ 0 ]") != std::string::npos) {
      attrs_off = std::stoul(m[1]);
      attrs_len = std::stoul(m[3]) + std::stoul(m[4]);
    }
    if (what.find("OCTET STRING") != std::string::npos) {
      sig_off = std::stoul(m[1]) + std::stoul(m[3]);
      sig_len = std::stoul(m[4]);
    }
  }
  ASSERT_GT(attrs_len, 0u);
  ASSERT_GT(sig_len, 0u);
  Bytes attrs(der.begin() + static_cast<ptrdiff_t>(attrs_off), der.begin() + static_cast<ptrdiff_t>(attrs_off + attrs_len));
  attrs[0] = 0x31;  // [0] IMPLICIT → SET OF (RFC 5652 §5.4)
  Bytes sig(der.begin() + static_cast<ptrdiff_t>(sig_off), der.begin() + static_cast<ptrdiff_t>(sig_off + sig_len));
  std::string attrs_path = dir.write(tag + ".attrs", attrs), sig_path = dir.write(tag + ".sig", sig);
  std::string pub = dir.file(tag + ".pub.pem");
  auto key = run("openssl pkcs7 -inform DER -in " + cms + " -print_certs | openssl x509 -pubkey -noout > " + pub);
  ASSERT_EQ(key.status, 0) << key.output;
  auto verify = run("openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin -inkey " + pub +
                    " -in " + attrs_path + " -sigfile " + sig_path);
  EXPECT_EQ(verify.status, 0) << verify.output;
  EXPECT_NE(verify.output.find("Signature Verified Successfully"), std::string::npos) << verify.output;
}

class PdfSignerTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  TestHolder alice_{"张三"};
  TestHolder bob_{"李四"};
};

TEST_F(PdfSignerTest, NameStampAtKeywordPassesIndependentChecks) {
  Bytes contract = make_contract();
  SignOptions o;
  o.signing_time = pki::now_seconds();
  SealAppearance a{NameStamp{"张三"}, "张三"};
  std::vector<SealPlacement> where = {KeywordPlacement{kKeyword, false, 0, 0, 90, 110},
                                      PagePlacement{2, {420, 60, 120, 120}}};
  PreparedPdf prepared = ok_value(prepare_signature(contract, where, a, o));
  ASSERT_EQ(prepared.placements.size(), 2u);
  EXPECT_EQ(prepared.field_name, "Signature1");
  Bytes cms = ok_value(pki::cms_sign_detached_digest(prepared.digest, *alice_.certificate, alice_.key.signer(),
                                                     cms_sign_options(prepared)));
  Bytes signed_pdf = ok_value(embed_signature(prepared, cms));
  // Nothing but /Contents changed between prepared and signed.
  ASSERT_EQ(signed_pdf.size(), prepared.pdf.size());
  for (size_t i = 0; i < signed_pdf.size(); ++i) {
    if (i < prepared.byte_range.length1 || i >= prepared.byte_range.offset2) {
      ASSERT_EQ(signed_pdf[i], prepared.pdf[i]) << i;
    }
  }
  std::string text = text_of(signed_pdf);
  EXPECT_EQ(text.compare(0, contract.size(), text_of(contract)), 0) << "the original is not a prefix";
  std::string path = dir_.write("signed.pdf", signed_pdf);

  auto qpdf = run("qpdf --check " + path);
  EXPECT_EQ(qpdf.status, 0) << qpdf.output;
  EXPECT_NE(qpdf.output.find("No syntax or stream encoding errors"), std::string::npos) << qpdf.output;
  auto pdfsig = run("pdfsig " + path);
  EXPECT_NE(pdfsig.output.find("Signature #1"), std::string::npos) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("Signature Field Name: Signature1"), std::string::npos) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("Signature Type: ETSI.CAdES.detached"), std::string::npos) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("Total document signed"), std::string::npos) << pdfsig.output;

  auto ranges = byte_ranges_in(text);
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].a, 0u);
  EXPECT_EQ(ranges[0].c + ranges[0].d, signed_pdf.size());
  openssl_check(dir_, text, ranges[0], "one", /*expect_signing_time=*/false);

  // The seal is where it was asked: at the keyword on page 1, and on page 2.
  RgbaImage page1 = render_with_pdftoppm(dir_, signed_pdf, 1);
  RgbaImage before = render_with_pdftoppm(dir_, contract, 2);
  RgbaImage page2 = render_with_pdftoppm(dir_, signed_pdf, 2);
  const Rect at_keyword = prepared.placements[0].rect;
  EXPECT_NEAR(at_keyword.x + 45, 142, 10);
  EXPECT_NEAR(at_keyword.y + 55, 305, 10);
  EXPECT_GT(ink_ratio(page1, at_keyword, 842), 0.05);
  EXPECT_EQ(ink_ratio(before, Rect{420, 60, 120, 120}, 842), 0);
  EXPECT_GT(ink_ratio(page2, Rect{420, 60, 120, 120}, 842), 0.05);
  EXPECT_EQ(ink_ratio(page2, Rect{100, 60, 120, 120}, 842), 0) << "ink outside the seal";

  PdfVerification v = ok_value(verify_pdf(signed_pdf, alice_.trust()));
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_TRUE(v.ok()) << verification_text(v);
  EXPECT_EQ(v.signatures[0].signer_subject.find("CN=张三") != std::string::npos ||
                v.signatures[0].signer_subject.find("CN=\\E5") != std::string::npos,
            true)
      << v.signatures[0].signer_subject;
  EXPECT_EQ(v.signatures[0].signing_time, o.signing_time);
}

TEST_F(PdfSignerTest, TwoSignersInSequenceBothVerify) {
  Bytes contract = make_contract();
  SignOptions first;
  first.certify = true;
  first.signing_time = pki::now_seconds();
  Bytes once = ok_value(sign_pdf(contract, {KeywordPlacement{kKeyword, true, 0, 0, 80, 100}},
                                 SealAppearance{HandwrittenSignature{make_signature_png()}, "张三"}, first, alice_));
  SignOptions second;
  second.sub_filter = SubFilter::kAdbePkcs7Detached;
  second.signing_time = first.signing_time + std::chrono::seconds(5);
  second.field_name = "Bob";
  Bytes twice = ok_value(sign_pdf(once, {PagePlacement{2, {60, 60, 150, 90}}},
                                  SealAppearance{HandwrittenSignature{make_signature_png()}, "李四"}, second, bob_));
  std::string text = text_of(twice);
  EXPECT_NE(text.find("/SMask"), std::string::npos) << "the PNG's alpha channel is a soft mask";
  std::string path = dir_.write("twice.pdf", twice);
  auto qpdf = run("qpdf --check " + path);
  EXPECT_EQ(qpdf.status, 0) << qpdf.output;
  auto pdfsig = run("pdfsig " + path);
  EXPECT_NE(pdfsig.output.find("Signature #2"), std::string::npos) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("Signature Field Name: Bob"), std::string::npos) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("adbe.pkcs7.detached"), std::string::npos) << pdfsig.output;

  auto ranges = byte_ranges_in(text);
  ASSERT_EQ(ranges.size(), 2u);
  for (const auto& r : ranges) EXPECT_EQ(r.a, 0u);
  EXPECT_EQ(ranges[0].c + ranges[0].d, once.size());
  EXPECT_EQ(ranges[1].c + ranges[1].d, twice.size());
  openssl_check(dir_, text, ranges[0], "first", false);
  openssl_check(dir_, text, ranges[1], "second", true);

  // Trust both CAs: each signer has their own test hierarchy.
  pki::CmsTrust trust = alice_.trust();
  for (const auto& c : bob_.trust().roots) trust.roots.push_back(c);
  for (const auto& c : bob_.trust().intermediates) trust.intermediates.push_back(c);
  PdfVerification v = ok_value(verify_pdf(twice, trust));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_TRUE(v.ok()) << verification_text(v);
  EXPECT_EQ(v.signatures[0].docmdp_permission, 2);
  EXPECT_FALSE(v.signatures[0].covers_whole_file);
  EXPECT_FALSE(v.signatures[0].later_changes.empty());
  EXPECT_FALSE(v.signatures[0].modified_after) << verification_text(v);
  EXPECT_EQ(v.signatures[1].field_name, "Bob");
  EXPECT_EQ(v.signatures[1].cms_signing_time, second.signing_time);
  EXPECT_TRUE(v.signatures[1].covers_whole_file);
  // Only the first signature may certify.
  SignOptions third;
  third.certify = true;
  EXPECT_EQ(prepare_signature(twice, {PagePlacement{1, {10, 10, 50, 50}}}, SealAppearance{NameStamp{"王五"}, ""}, third)
                .code(),
            ErrorCode::kInvalidArgument);
  // A field name in use.
  EXPECT_EQ(prepare_signature(twice, {PagePlacement{1, {10, 10, 50, 50}}}, SealAppearance{NameStamp{"王五"}, ""}, second)
                .code(),
            ErrorCode::kConflict);
}

// PDF 1.5 files (object streams and a cross-reference stream, as most office
// exports are) get a classic xref section appended; qpdf and the verifier
// accept the mix.
TEST_F(PdfSignerTest, SignsAPdfWithObjectStreams) {
  std::string in = dir_.write("plain.pdf", make_contract());
  std::string packed = dir_.file("packed.pdf");
  auto r = run("qpdf --object-streams=generate " + in + " " + packed);
  ASSERT_EQ(r.status, 0) << r.output;
  std::string bytes = dir_.read("packed.pdf");
  ASSERT_NE(bytes.find("/ObjStm"), std::string::npos);
  SignOptions o;
  Bytes signed_pdf = ok_value(sign_pdf(as_bytes(bytes), {KeywordPlacement{kKeyword, false, 0, 0, 80, 100}},
                                       SealAppearance{NameStamp{"张三"}, "张三"}, o, alice_));
  std::string path = dir_.write("packed-signed.pdf", signed_pdf);
  auto qpdf = run("qpdf --check " + path);
  EXPECT_EQ(qpdf.status, 0) << qpdf.output;
  PdfVerification v = ok_value(verify_pdf(signed_pdf, alice_.trust()));
  EXPECT_TRUE(v.ok()) << verification_text(v);
  auto pdfsig = run("pdfsig " + path);
  EXPECT_NE(pdfsig.output.find("Total document signed"), std::string::npos) << pdfsig.output;
}

// On a page with /Rotate 90 the appearance is turned by its /Matrix, so that
// it stands upright as the page is shown; the widget covers the keyword.
TEST_F(PdfSignerTest, RotatedPage) {
  Bytes pdf = make_pdf(1, {{1, 100, 300, kKeyword, true}}, 90);
  Bytes signed_pdf = ok_value(sign_pdf(pdf, {KeywordPlacement{kKeyword, false, 0, 0, 60, 120}},
                                       SealAppearance{NameStamp{"张三"}, "张三"}, SignOptions{}, alice_));
  std::string text = text_of(signed_pdf);
  EXPECT_NE(text.find("/Matrix[ 0 1 -1 0 0 0]"), std::string::npos);
  std::string path = dir_.write("rotated.pdf", signed_pdf);
  EXPECT_EQ(run("qpdf --check " + path).status, 0);
  EXPECT_TRUE(ok_value(verify_pdf(signed_pdf, alice_.trust())).ok());
  // Shown rotated: the page is 842 wide and 595 high; user-space (x, y) is
  // displayed at (y, x). The seal's 60 × 120 user-space box shows as 120 × 60.
  RgbaImage img = render_with_pdftoppm(dir_, signed_pdf, 1);
  ASSERT_EQ(img.width, 842u);
  Rect shown{305 - 60, 595 - (142 + 30), 120, 60};  // centre (305, 142) in display coordinates, y up
  EXPECT_GT(ink_ratio(img, shown, 595), 0.05);
}

TEST_F(PdfSignerTest, EmbedRefusesWhatDoesNotFit) {
  Bytes contract = make_contract();
  SignOptions o;
  o.contents_reserve = 1024;
  PreparedPdf prepared = ok_value(prepare_signature(contract, {PagePlacement{1, {10, 10, 80, 80}}},
                                                    SealAppearance{NameStamp{"张三"}, "张三"}, o));
  Bytes big(2000, 0);
  big[0] = 0x30;
  big[1] = 0x82;
  big[2] = 0x07;
  big[3] = 0xcc;  // 4 + 1996 bytes
  EXPECT_EQ(embed_signature(prepared, big).code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(embed_signature(prepared, as_bytes(std::string("not der"))).code(), ErrorCode::kInvalidArgument);
  PreparedPdf broken = prepared;
  broken.byte_range.offset2 += 1;
  EXPECT_EQ(embed_signature(broken, Bytes{0x30, 0x00}).code(), ErrorCode::kInvalidArgument);
  // An embedded one cannot be embedded again.
  PreparedPdf done = prepared;
  done.pdf = ok_value(embed_signature(prepared, Bytes{0x30, 0x00}));
  EXPECT_EQ(embed_signature(done, Bytes{0x30, 0x00}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(prepare_signature(contract, {PagePlacement{1, {10, 10, 80, 80}}}, SealAppearance{NameStamp{""}, ""}, {}).code(),
            ErrorCode::kInvalidArgument);
  SealAppearance bad_png{HandwrittenSignature{Bytes{1, 2, 3}}, "x"};
  EXPECT_EQ(prepare_signature(contract, {PagePlacement{1, {10, 10, 80, 80}}}, bad_png, {}).code(), ErrorCode::kBadEncoding);
}

}  // namespace
}  // namespace duet::pdf
