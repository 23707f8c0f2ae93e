// The PDF order plan (issue 12 item 3): a document prepared at creation gives
// the same signed attributes and e at every read; the co-signature over e
// completes a CMS that, embedded, makes a PDF the project's verifier and the
// openssl CLI accept; each document error keeps its code.
#include "core/pdf_orders.h"

#include <gtest/gtest.h>

#include "base/result_testing.h"
#include "pdf/minimal_test_pdf.h"
#include "pdf/png_codec.h"
#include "pdf/pdf_verifier.h"
#include "pki/ca.h"
#include "pki/issuer.h"
#include "crypto/random.h"
#include "crypto/sm2.h"
#include "pki/test_support.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

struct Holder {
  pki::testing::LocalSigner key;
  std::unique_ptr<pki::CaHierarchy> ca;
  std::unique_ptr<pki::Certificate> cert;
  Holder() {
    const pki::Time now = pki::now_seconds();
    ca = std::make_unique<pki::CaHierarchy>(
        ok_value(pki::create_ca_hierarchy(pki::CaProfile{}, crypto::SystemRandom::instance(), now)));
    pki::HolderProfile p;
    p.subject = {"CN", "Example Co", "", "张三", "9c1e77ab20d4f3e5"};
    p.crl_url = "http://ca.duet.test/crl";
    p.ocsp_url = "http://ca.duet.test/ocsp";
    p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
    pki::IssuancePolicy policy;
    policy.policy_oid = p.policy_oid;
    cert = std::make_unique<pki::Certificate>(ok_value(
        pki::issue_holder_certificate(ca->issuing_ca(), key.pub, p, policy, crypto::SystemRandom::instance(), now)));
  }
};

NewPdfDocument page_document(Bytes pdf) {
  NewPdfDocument d;
  d.pdf = std::move(pdf);
  d.placements.push_back(pdf::PagePlacement{2, pdf::Rect{400, 80, 120, 80}});
  return d;
}

TEST(PdfOrders, PreparedOnceSignedByTheCoSignatureAndVerified) {
  Holder h;
  CoreConfig cfg;
  const store::UnixSeconds created = 1'790'000'000;
  Bytes original = pdf::testing::minimal_test_pdf(3, {"Contract", "Signature: here", "Annex"});
  PreparedOrderDocument p = ok_value(prepare_order_document(cfg, page_document(original), "张三", created, 0));
  EXPECT_EQ(p.document.page_count, 3);
  EXPECT_EQ(p.document.stamped_pages, std::vector<int>{2});
  EXPECT_EQ(p.document.sub_filter, "ETSI.CAdES.detached");
  ASSERT_GT(p.document.prepared_pdf.size(), original.size());
  EXPECT_TRUE(std::equal(original.begin(), original.end(), p.document.prepared_pdf.begin()))
      << "an incremental update keeps the original as a prefix";
  store::SignItem item{Bytes(p.digest.begin(), p.digest.end()), true, {}};

  CmsItemPlan a = ok_value(pdf_item_plan(*h.cert, p.document, item));
  CmsItemPlan b = ok_value(pdf_item_plan(*h.cert, p.document, item));
  EXPECT_EQ(a.e, b.e) << "the same e at every read";
  EXPECT_EQ(a.signed_attributes, b.signed_attributes);
  EXPECT_EQ(a.e, ok_value(crypto::sm2_digest(h.key.pub, a.signed_attributes)));

  crypto::Sm2Signature sig = pki::testing::sign_digest(h.key.key, a.e);
  // A signature over another e is refused when the CMS is assembled.
  crypto::Digest other = a.e;
  other[0] ^= 1;
  EXPECT_FALSE(pdf_item_assemble(*h.cert, p.document, item, other, sig).ok());
  Bytes cms = ok_value(pdf_item_assemble(*h.cert, p.document, item, a.e, sig));
  Bytes signed_pdf = ok_value(pdf_embed(p.document, item, cms));
  EXPECT_EQ(signed_pdf.size(), p.document.prepared_pdf.size());

  pki::CmsTrust trust;
  trust.intermediates = {h.ca->issuing_certificate};
  trust.roots = {h.ca->root_certificate};
  auto report = ok_value(pdf::verify_pdf(signed_pdf, trust));
  EXPECT_TRUE(report.ok()) << pdf::verification_text(report);

  // Independently: openssl over the signed attributes with the holder's key.
  pki::testing::ScratchDir dir;
  std::string p7 = dir.write("order.p7s", cms);
  std::string pub_pem =
      pki::testing::run("openssl pkcs7 -inform DER -in " + p7 + " -print_certs | openssl x509 -pubkey -noout").output;
  EXPECT_NE(pki::testing::openssl_check_signed_attributes(dir, cms, pub_pem).find("Verified OK"), std::string::npos);

  // One byte of the signed revision changed: the verifier says so.
  Bytes tampered = signed_pdf;
  tampered[original.size() / 2] ^= 0x01;
  auto bad = pdf::verify_pdf(tampered, trust);
  EXPECT_TRUE(!bad.ok() || !bad->ok());
}

// A prepared document signed through the order plan, as the holder service does.
Bytes sign_prepared(Holder& h, const PreparedOrderDocument& p) {
  store::SignItem item{Bytes(p.digest.begin(), p.digest.end()), true, {}};
  CmsItemPlan plan = ok_value(pdf_item_plan(*h.cert, p.document, item));
  Bytes cms = ok_value(pdf_item_assemble(*h.cert, p.document, item, plan.e, pki::testing::sign_digest(h.key.key, plan.e)));
  return ok_value(pdf_embed(p.document, item, cms));
}

TEST(PdfOrders, HandwritingCertificationAndASecondSigner) {
  Holder first, second;
  CoreConfig cfg;
  pki::CmsTrust trust;
  trust.intermediates = {first.ca->issuing_certificate, second.ca->issuing_certificate};
  trust.roots = {first.ca->root_certificate, second.ca->root_certificate};
  pdf::RgbaImage ink;
  ink.width = 64;
  ink.height = 32;
  ink.pixels.assign(64 * 32 * 4, 0);
  for (size_t x = 0; x < 64; ++x) {
    uint8_t* px = &ink.pixels[(16 * 64 + x) * 4];
    px[2] = 200;
    px[3] = 255;
  }
  const Bytes png = ok_value(pdf::encode_png(ink));
  Bytes original = pdf::testing::minimal_test_pdf(2, {"Contract", "Signatures"});
  NewPdfDocument doc = page_document(original);
  doc.certify_permission = 2;
  PreparedOrderDocument p = ok_value(prepare_order_document(cfg, doc, "张三", 1'790'000'000, 0, &png));
  const std::string text(p.document.prepared_pdf.begin(), p.document.prepared_pdf.end());
  EXPECT_NE(text.find("/SMask"), std::string::npos) << "the handwriting is an image with its transparency";
  EXPECT_NE(text.find("/DocMDP"), std::string::npos);
  Bytes signed1 = sign_prepared(first, p);
  auto r1 = ok_value(pdf::verify_pdf(signed1, trust));
  ASSERT_EQ(r1.signatures.size(), 1u);
  EXPECT_EQ(r1.signatures[0].docmdp_permission, 2);
  EXPECT_TRUE(r1.ok()) << pdf::verification_text(r1);

  // A signed document cannot be certified again; a second plain signer can sign it.
  NewPdfDocument again = page_document(signed1);
  again.certify_permission = 2;
  EXPECT_EQ(prepare_order_document(cfg, again, "李四", 1'790'000'100, 0).code(), ErrorCode::kInvalidArgument);
  PreparedOrderDocument p2 = ok_value(prepare_order_document(cfg, page_document(signed1), "李四", 1'790'000'100, 0));
  Bytes signed2 = sign_prepared(second, p2);
  EXPECT_TRUE(std::equal(signed1.begin(), signed1.end(), signed2.begin())) << "the first revision is untouched";
  auto r2 = ok_value(pdf::verify_pdf(signed2, trust));
  ASSERT_EQ(r2.signatures.size(), 2u);
  EXPECT_TRUE(r2.ok()) << pdf::verification_text(r2);

  // P=1: no further signer; a permission outside 1..3 is refused.
  NewPdfDocument locked = page_document(original);
  locked.certify_permission = 1;
  Bytes final_pdf = sign_prepared(first, ok_value(prepare_order_document(cfg, locked, "张三", 1'790'000'000, 0)));
  EXPECT_EQ(prepare_order_document(cfg, page_document(final_pdf), "李四", 1'790'000'100, 0).code(),
            ErrorCode::kConflict);
  NewPdfDocument odd = page_document(original);
  odd.certify_permission = 4;
  EXPECT_EQ(prepare_order_document(cfg, odd, "张三", 1'790'000'000, 0).code(), ErrorCode::kInvalidArgument);
}

TEST(PdfOrders, DocumentErrorsKeepTheirCodes) {
  CoreConfig cfg;
  cfg.pdf_max_bytes = 4096;
  Bytes good = pdf::testing::minimal_test_pdf(1);
  auto code = [&](Bytes pdf, std::vector<pdf::SealPlacement> where, const std::string& name = "张三") {
    NewPdfDocument d;
    d.pdf = std::move(pdf);
    d.placements = std::move(where);
    return prepare_order_document(cfg, d, name, 1'790'000'000, 0).code();
  };
  const std::vector<pdf::SealPlacement> rect{pdf::PagePlacement{1, pdf::Rect{72, 72, 100, 60}}};
  EXPECT_EQ(code(Bytes(5000, '%'), rect), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(code(Bytes{'h', 'e', 'l', 'l', 'o'}, rect), ErrorCode::kNotPdf);
  Bytes truncated(good.begin(), good.begin() + 40);
  EXPECT_EQ(code(truncated, rect), ErrorCode::kPdfMalformed);
  EXPECT_EQ(code(good, {pdf::PagePlacement{2, pdf::Rect{72, 72, 100, 60}}}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(good, {pdf::KeywordPlacement{"no such words", false, 0, 0, 100, 60}}), ErrorCode::kNotFound);
  EXPECT_EQ(code(good, {}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(good, rect, "一二三四五六七八九"), ErrorCode::kInvalidArgument) << "no stamp holds 9 characters";
  EXPECT_EQ(code(good, {pdf::KeywordPlacement{"Page 1", false, 0, -40, 100, 60}}), ErrorCode::kOk);
}

}  // namespace
}  // namespace duet::core
