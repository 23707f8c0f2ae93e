// Contract tests of the PDF documents of sign orders with output "pdf"
// (store/orders.h create_document_order, get_order_document,
// finish_document_order; schema v17). Written against StoreContractTest only,
// so every backend runs them.
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

template <typename R>
std::optional<StoreError> kind(const R& r) {
  return store_error_kind(r);
}

// A PDF-shaped stand-in: the store keeps bytes, it does not parse them.
Bytes fake_pdf(size_t size, uint8_t fill) {
  Bytes b(size, fill);
  const std::string head = "%PDF-1.7\n";
  std::copy(head.begin(), head.end(), b.begin());
  return b;
}

OrderDocument document_for(const SignOrder& o, int index, size_t size = 4096) {
  OrderDocument d;
  d.tenant_id = o.tenant_id;
  d.order_id = o.order_id;
  d.item_index = index;
  d.prepared_pdf = fake_pdf(size, static_cast<uint8_t>(0x41 + index));
  d.byte_range[0] = 0;
  d.byte_range[1] = 1000;
  d.byte_range[2] = 1200;
  d.byte_range[3] = size - 1200;
  d.sub_filter = "ETSI.CAdES.detached";
  d.signing_time = 1'700'000'000;
  d.field_name = "Signature1";
  d.stamped_pages = {1, 3};
  d.page_count = 3;
  return d;
}

}  // namespace


TEST_P(StoreContractTest, DocumentOrderIsWrittenWithItsDocumentsAndReadBack) {
  World w = make_world("pdf-create");
  SignOrder o = order_for(w, 2);
  o.output_format = OutputFormat::kPdf;
  o.signer_cert_id = "crt_test";
  o.cms_oid_style = "pkcs7";
  std::vector<OrderDocument> docs{document_for(o, 0), document_for(o, 1, 8192)};
  auto made = store_->create_document_order({}, o, docs);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  EXPECT_EQ(made->output_format, OutputFormat::kPdf);
  SignOrder got = ok_value(store_->get_order(w.tenant_id, o.order_id));
  EXPECT_EQ(got.output_format, OutputFormat::kPdf) << "read back as pdf, not as cms-detached";
  EXPECT_EQ(got.signer_cert_id, "crt_test");
  for (int i = 0; i < 2; ++i) {
    OrderDocument d = ok_value(store_->get_order_document(w.tenant_id, o.order_id, i));
    EXPECT_EQ(d.prepared_pdf, docs[i].prepared_pdf);
    EXPECT_EQ(d.byte_range[1], docs[i].byte_range[1]);
    EXPECT_EQ(d.byte_range[2], docs[i].byte_range[2]);
    EXPECT_EQ(d.byte_range[3], docs[i].byte_range[3]);
    EXPECT_EQ(d.sub_filter, "ETSI.CAdES.detached");
    EXPECT_EQ(d.signing_time, 1'700'000'000);
    EXPECT_EQ(d.field_name, "Signature1");
    EXPECT_EQ(d.stamped_pages, (std::vector<int>{1, 3}));
    EXPECT_EQ(d.page_count, 3);
    EXPECT_TRUE(d.signed_pdf.empty());
    // The info read: the same fields, no bytes.
    OrderDocument info = ok_value(store_->get_order_document_info(w.tenant_id, o.order_id, i));
    EXPECT_TRUE(info.prepared_pdf.empty());
    EXPECT_TRUE(info.signed_pdf.empty());
    EXPECT_EQ(info.item_index, i);
    EXPECT_EQ(info.byte_range[1], docs[i].byte_range[1]);
    EXPECT_EQ(info.byte_range[2], docs[i].byte_range[2]);
    EXPECT_EQ(info.byte_range[3], docs[i].byte_range[3]);
    EXPECT_EQ(info.sub_filter, "ETSI.CAdES.detached");
    EXPECT_EQ(info.signing_time, 1'700'000'000);
    EXPECT_EQ(info.field_name, "Signature1");
    EXPECT_EQ(info.stamped_pages, (std::vector<int>{1, 3}));
    EXPECT_EQ(info.page_count, 3);
  }
  EXPECT_EQ(kind(store_->get_order_document(w.tenant_id, o.order_id, 2)), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->get_order_document_info(w.tenant_id, o.order_id, 2)), StoreError::kNotFound);
  // Another tenant sees no document.
  World other = make_world("pdf-other");
  EXPECT_EQ(kind(store_->get_order_document(other.tenant_id, o.order_id, 0)), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->get_order_document_info(other.tenant_id, o.order_id, 0)), StoreError::kNotFound);
  // An ordinary order has none.
  SignOrder plain = create(order_for(w));
  EXPECT_EQ(kind(store_->get_order_document(w.tenant_id, plain.order_id, 0)), StoreError::kNotFound);
}

// A digest-only cms-detached order keeps its signed attributes' profile
// (schema v23, SignOrder::cms_profile): duet-gateway's "pades" orders must
// read back as pades, or the e the device signed changes.
TEST_P(StoreContractTest, CmsProfileIsKeptWithTheOrderAndOnlyOnCmsDetached) {
  World w = make_world("cms-profile");
  SignOrder o = order_for(w);
  o.output_format = OutputFormat::kCmsDetached;
  o.items.front().input = Bytes(32, 0x5a);
  o.items.front().input_is_digest = true;
  o.signer_cert_id = "crt_test";
  o.cms_oid_style = "pkcs7";
  o.cms_profile = "pades";
  o.idempotency_key = "gateway-gwo_1";
  SignOrder made = create(o);
  EXPECT_EQ(made.cms_profile, "pades");
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).cms_profile, "pades");
  // The idempotent replay returns the stored order, profile included.
  SignOrder again = o;
  again.order_id = new_id("ord_");
  SignOrder replayed = ok_value(store_->create_order({}, again));
  EXPECT_EQ(replayed.order_id, o.order_id);
  EXPECT_EQ(replayed.cms_profile, "pades");
  // The default profile reads back as "".
  SignOrder plain = o;
  plain.order_id = new_id("ord_");
  plain.idempotency_key.clear();
  plain.cms_profile.clear();
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, create(plain).order_id)).cms_profile, "");
  // Refused, nothing written: an unknown profile, pades on cms-attached and on raw.
  SignOrder unknown = plain;
  unknown.order_id = new_id("ord_");
  unknown.cms_profile = "cades";
  EXPECT_EQ(store_->create_order({}, unknown).code(), ErrorCode::kInvalidArgument);
  SignOrder attached = plain;
  attached.order_id = new_id("ord_");
  attached.output_format = OutputFormat::kCmsAttached;
  attached.items.front().input_is_digest = false;
  attached.cms_profile = "pades";
  EXPECT_EQ(store_->create_order({}, attached).code(), ErrorCode::kInvalidArgument);
  SignOrder raw = order_for(w);
  raw.cms_profile = "pades";
  EXPECT_EQ(store_->create_order({}, raw).code(), ErrorCode::kInvalidArgument);
  for (const SignOrder* refused : {&unknown, &attached, &raw})
    EXPECT_EQ(kind(store_->get_order(w.tenant_id, refused->order_id)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, DocumentOrderRefusesMismatchedDocumentsAndWritesNothing) {
  World w = make_world("pdf-refuse");
  SignOrder o = order_for(w, 2);
  o.output_format = OutputFormat::kPdf;
  o.signer_cert_id = "crt_test";
  o.cms_oid_style = "pkcs7";
  // A PDF order through create_order (no documents), with too few, with a bad
  // ByteRange, with pages out of range: refused, nothing written.
  EXPECT_EQ((store_->create_order({}, o)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((store_->create_document_order({}, o, {document_for(o, 0)})).code(), ErrorCode::kInvalidArgument);
  OrderDocument bad_range = document_for(o, 1);
  bad_range.byte_range[3] += 1;
  EXPECT_EQ((store_->create_document_order({}, o, {document_for(o, 0), bad_range})).code(),
            ErrorCode::kInvalidArgument);
  OrderDocument bad_pages = document_for(o, 1);
  bad_pages.stamped_pages = {4};
  EXPECT_EQ((store_->create_document_order({}, o, {document_for(o, 0), bad_pages})).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->get_order(w.tenant_id, o.order_id)), StoreError::kNotFound);
  // Documents on a format that has none.
  SignOrder plain = order_for(w);
  EXPECT_EQ((store_->create_document_order({}, plain, {document_for(plain, 0)})).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->get_order(w.tenant_id, plain.order_id)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, DocumentOrderFinishesOnlyWithItsSignedPdfs) {
  World w = make_world("pdf-finish");
  SignOrder o = order_for(w, 1);
  o.output_format = OutputFormat::kPdf;
  o.signer_cert_id = "crt_test";
  o.cms_oid_style = "pkcs7";
  ASSERT_TRUE(store_->create_document_order({}, o, {document_for(o, 0)}).ok());
  SignSession s = session_for(o);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());
  const std::vector<Bytes> cms{Bytes(300, 0x30)};
  // finish_order without the PDF, or a finish with an empty one: refused, the order stays open.
  EXPECT_EQ((store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, cms, std::nullopt, kNow)).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ((store_->finish_document_order({}, w.tenant_id, o.order_id, s.session_id, cms, {Bytes{}},
                                               std::nullopt, kNow)).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kSigning);
  // Another tenant cannot finish it.
  World other = make_world("pdf-finish-other");
  EXPECT_FALSE(store_->finish_document_order({}, other.tenant_id, o.order_id, s.session_id, cms, {Bytes{1}},
                                             std::nullopt, kNow)
                   .ok());
  const Bytes signed_pdf = fake_pdf(5000, 0x5a);
  CallbackJob cb = callback_for(o, "{\"pdf_ready\":true}");
  ASSERT_TRUE(
      store_->finish_document_order({}, w.tenant_id, o.order_id, s.session_id, cms, {signed_pdf}, cb, kNow).ok());
  SignOrder done = ok_value(store_->get_order(w.tenant_id, o.order_id));
  EXPECT_EQ(done.state, OrderState::kSigned);
  EXPECT_EQ(done.items[0].signature, cms[0]);
  EXPECT_EQ(ok_value(store_->get_order_document(w.tenant_id, o.order_id, 0)).signed_pdf, signed_pdf);
  EXPECT_TRUE(store_->get_callback(w.tenant_id, cb.job_id).ok()) << "the callback is committed with the PDF";
  // A second finish changes nothing.
  EXPECT_FALSE(store_->finish_document_order({}, w.tenant_id, o.order_id, s.session_id, cms, {fake_pdf(10, 1)},
                                             std::nullopt, kNow)
                   .ok());
  EXPECT_EQ(ok_value(store_->get_order_document(w.tenant_id, o.order_id, 0)).signed_pdf, signed_pdf);
}

TEST_P(StoreContractTest, RetentionPurgeErasesAnOrdersDocuments) {
  World w = make_world("pdf-retention");
  SignOrder o = order_for(w, 1);
  o.output_format = OutputFormat::kPdf;
  o.signer_cert_id = "crt_test";
  o.cms_oid_style = "pkcs7";
  ASSERT_TRUE(store_->create_document_order({}, o, {document_for(o, 0)}).ok());
  ASSERT_TRUE(store_->reject_order({}, w.tenant_id, o.order_id, std::nullopt, kNow).ok());
  ASSERT_TRUE(store_->get_order_document(w.tenant_id, o.order_id, 0).ok());
  EXPECT_EQ(*store_->purge_order_payloads({}, kNow, kNow, "worker-a", 100), 1u);
  EXPECT_EQ(kind(store_->get_order_document(w.tenant_id, o.order_id, 0)), StoreError::kNotFound);
  SignOrder after = ok_value(store_->get_order(w.tenant_id, o.order_id));
  EXPECT_EQ(after.output_format, OutputFormat::kPdf);
  EXPECT_EQ(after.items[0].input, o.items[0].input) << "the ByteRange digest stays";
}

}  // namespace duet::store::testing
