#include "core/cms_orders.h"

#include <algorithm>

#include "pdf/pdf_signer.h"
#include "pki/cms.h"

namespace duet::core {
namespace {

Result<Bytes> run_cms(const pki::Certificate& cert, const store::SignOrder& order, const store::SignItem& item,
                      const pki::ExternalSigner& signer, Bytes* attrs_out) {
  pki::CmsSignOptions opt;
  if (order.cms_profile == "pades") {
    // The signed attributes of a public-cloud PDF order with /SubFilter
    // ETSI.CAdES.detached (pdf_signer.h decides them): no signingTime.
    pdf::PreparedPdf pades;
    pades.sub_filter = pdf::SubFilter::kEtsiCadesDetached;
    pades.signing_time = pki::Time(std::chrono::seconds(order.created_at));
    opt = pdf::cms_sign_options(pades);
  }
  opt.detached = order.output_format == store::OutputFormat::kCmsDetached;
  opt.oids = order.cms_oid_style == "gmt" ? pki::CmsOids::kGmT0010 : pki::CmsOids::kPkcs7;
  opt.signing_time = pki::Time(std::chrono::seconds(order.created_at));
  opt.signed_attributes_out = attrs_out;
  if (item.input_is_digest) {
    // A digest item of a CMS order is SM3(content): detached only.
    if (!opt.detached) return make_error(ErrorCode::kInvalidArgument, "cms-attached needs the data, not a digest");
    crypto::Digest d{};
    if (item.input.size() != d.size()) return make_error(ErrorCode::kInternal, "stored digest has a bad size");
    std::copy(item.input.begin(), item.input.end(), d.begin());
    return pki::cms_sign_detached_digest(d, cert, signer, opt);
  }
  return pki::cms_sign(item.input, cert, signer, opt);
}

}  // namespace

bool is_cms_output(store::OutputFormat f) {
  return f == store::OutputFormat::kCmsDetached || f == store::OutputFormat::kCmsAttached;
}

Result<CmsItemPlan> cms_item_plan(const pki::Certificate& cert, const store::SignOrder& order,
                                  const store::SignItem& item) {
  CmsItemPlan plan;
  bool captured = false;
  pki::ExternalSigner capture = [&](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
    plan.e = e;
    captured = true;
    return make_error(ErrorCode::kBadState, "e captured");  // stop: nothing is signed here
  };
  auto r = run_cms(cert, order, item, capture, &plan.signed_attributes);
  if (captured) return plan;
  if (!r.ok()) return Unexpected{r.error()};
  return make_error(ErrorCode::kInternal, "CMS built without asking for a signature");
}

Result<Bytes> cms_item_assemble(const pki::Certificate& cert, const store::SignOrder& order,
                                const store::SignItem& item, const crypto::Digest& expected_e,
                                const crypto::Sm2Signature& signature) {
  pki::ExternalSigner give = [&](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
    if (!constant_time_equal(ByteView(e.data(), e.size()), ByteView(expected_e.data(), expected_e.size()))) {
      return make_error(ErrorCode::kInternal, "the CMS signed attributes changed since the order was read");
    }
    return signature;
  };
  return run_cms(cert, order, item, give, nullptr);
}

}  // namespace duet::core
