#include "core/pdf_orders.h"

#include <algorithm>
#include <set>

#include "pdf/pdf_document.h"
#include "pdf/seal_appearance.h"
#include "pki/cms.h"

namespace duet::core {
namespace {

// The prepared document as pdf/pdf_signer.h takes it back: the stored bytes,
// ByteRange, /SubFilter and time, and the item's input as the digest.
Result<pdf::PreparedPdf> prepared_of(const store::OrderDocument& doc, const store::SignItem& item) {
  pdf::PreparedPdf p;
  if (!item.input_is_digest || item.input.size() != p.digest.size())
    return make_error(ErrorCode::kInternal, "a PDF order item holds no ByteRange digest");
  auto f = sub_filter_from_name(doc.sub_filter);
  if (!f) return make_error(ErrorCode::kInternal, "a stored document has an unknown /SubFilter");
  // The bytes are copied: pdf::embed_signature reads a PreparedPdf.
  p.pdf = doc.prepared_pdf;
  p.byte_range = {doc.byte_range[0], doc.byte_range[1], doc.byte_range[2], doc.byte_range[3]};
  std::copy(item.input.begin(), item.input.end(), p.digest.begin());
  p.sub_filter = *f;
  p.signing_time = pki::Time(std::chrono::seconds(doc.signing_time));
  p.field_name = doc.field_name;
  return p;
}

// The CMS options of a document without its bytes (they do not depend on them).
pki::CmsSignOptions options_of(const store::OrderDocument& doc) {
  pdf::PreparedPdf p;
  p.sub_filter = sub_filter_from_name(doc.sub_filter).value_or(pdf::SubFilter::kEtsiCadesDetached);
  p.signing_time = pki::Time(std::chrono::seconds(doc.signing_time));
  return pdf::cms_sign_options(p);
}

Result<crypto::Digest> digest_of(const store::SignItem& item) {
  crypto::Digest d{};
  if (!item.input_is_digest || item.input.size() != d.size())
    return make_error(ErrorCode::kInternal, "a PDF order item holds no ByteRange digest");
  std::copy(item.input.begin(), item.input.end(), d.begin());
  return d;
}

}  // namespace

std::optional<pdf::SubFilter> sub_filter_from_name(std::string_view name) {
  if (name == pdf::sub_filter_name(pdf::SubFilter::kEtsiCadesDetached)) return pdf::SubFilter::kEtsiCadesDetached;
  if (name == pdf::sub_filter_name(pdf::SubFilter::kAdbePkcs7Detached)) return pdf::SubFilter::kAdbePkcs7Detached;
  return std::nullopt;
}

std::optional<OrderAppearance> order_appearance_from_name(std::string_view name) {
  if (name == "name_stamp") return OrderAppearance::kNameStamp;
  if (name == "handwritten") return OrderAppearance::kHandwritten;
  if (name == "handwritten_or_name_stamp") return OrderAppearance::kHandwrittenOrNameStamp;
  return std::nullopt;
}

Result<PreparedOrderDocument> prepare_order_document(const CoreConfig& cfg, const NewPdfDocument& in,
                                                     const std::string& holder_name, store::UnixSeconds signing_time,
                                                     int item_index, const Bytes* handwritten_png) {
  // The document errors first, in the library's order (size before parsing).
  DUET_ASSIGN_OR_RETURN(pdf::PdfDocumentInfo info, pdf::inspect_pdf(in.pdf, cfg.pdf_max_bytes));
  if (in.placements.empty()) return make_error(ErrorCode::kInvalidArgument, "a PDF order needs a placement");
  pdf::SealAppearance look;
  if (handwritten_png != nullptr) {
    look.mark = pdf::HandwrittenSignature{*handwritten_png};
  } else {
    look.mark = pdf::NameStamp{holder_name};
  }
  look.signer_name = holder_name;
  look.font_path = cfg.pdf_font_path;
  if (Status ok = pdf::validate_appearance(look); !ok.ok()) {
    if (ok.code() == ErrorCode::kInvalidArgument && handwritten_png == nullptr)
      return make_error(ErrorCode::kInvalidArgument, "the holder's name does not fit a personal name stamp");
    if (ok.code() == ErrorCode::kInvalidArgument)
      return make_error(ErrorCode::kInvalidArgument, "the holder's name cannot be printed under the seal");
    return Unexpected{ok.error()};
  }
  pdf::SignOptions opt;
  opt.sub_filter = in.sub_filter;
  if (in.certify_permission != 0) {
    opt.certify = true;
    opt.docmdp_permission = in.certify_permission;
  }
  opt.signing_time = pki::Time(std::chrono::seconds(signing_time));
  opt.max_pdf_bytes = cfg.pdf_max_bytes;
  DUET_ASSIGN_OR_RETURN(pdf::PreparedPdf p, pdf::prepare_signature(in.pdf, in.placements, look, opt));
  PreparedOrderDocument out;
  store::OrderDocument& d = out.document;
  d.item_index = item_index;
  d.byte_range[0] = p.byte_range.offset1;
  d.byte_range[1] = p.byte_range.length1;
  d.byte_range[2] = p.byte_range.offset2;
  d.byte_range[3] = p.byte_range.length2;
  d.sub_filter = std::string(pdf::sub_filter_name(p.sub_filter));
  d.signing_time = signing_time;
  d.field_name = p.field_name;
  std::set<int> pages;
  for (const auto& r : p.placements) pages.insert(r.page);
  d.stamped_pages.assign(pages.begin(), pages.end());
  d.page_count = static_cast<int>(info.pages.size());
  d.prepared_pdf = std::move(p.pdf);
  out.digest = p.digest;
  return out;
}

Result<CmsItemPlan> pdf_item_plan(const pki::Certificate& cert, const store::OrderDocument& doc,
                                  const store::SignItem& item) {
  DUET_ASSIGN_OR_RETURN(crypto::Digest d, digest_of(item));
  CmsItemPlan plan;
  bool captured = false;
  pki::ExternalSigner capture = [&](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
    plan.e = e;
    captured = true;
    return make_error(ErrorCode::kBadState, "e captured");  // stop: nothing is signed here
  };
  pki::CmsSignOptions opt = options_of(doc);
  opt.signed_attributes_out = &plan.signed_attributes;
  auto r = pki::cms_sign_detached_digest(d, cert, capture, opt);
  if (captured) return plan;
  if (!r.ok()) return Unexpected{r.error()};
  return make_error(ErrorCode::kInternal, "CMS built without asking for a signature");
}

Result<Bytes> pdf_item_assemble(const pki::Certificate& cert, const store::OrderDocument& doc,
                                const store::SignItem& item, const crypto::Digest& expected_e,
                                const crypto::Sm2Signature& signature) {
  DUET_ASSIGN_OR_RETURN(crypto::Digest d, digest_of(item));
  pki::ExternalSigner give = [&](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
    if (!constant_time_equal(ByteView(e.data(), e.size()), ByteView(expected_e.data(), expected_e.size()))) {
      return make_error(ErrorCode::kInternal, "the PDF's signed attributes changed since the order was read");
    }
    return signature;
  };
  return pki::cms_sign_detached_digest(d, cert, give, options_of(doc));
}

Result<Bytes> pdf_embed(const store::OrderDocument& doc, const store::SignItem& item, ByteView cms_der) {
  DUET_ASSIGN_OR_RETURN(pdf::PreparedPdf p, prepared_of(doc, item));
  return pdf::embed_signature(p, cms_der);
}

}  // namespace duet::core
