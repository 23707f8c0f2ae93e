// Sign orders with output "pdf" (issue 12 item 3, docs/pdf.md "Sign orders"):
// the document is prepared ONCE, when the order is created — the incremental
// update with the seal's widgets and appearance and a reserved /Contents
// (pdf/pdf_signer.h) — and kept with the order (store::OrderDocument). So
// what the holder's app renders is exactly what is signed, and the CMS signed
// attributes (over the SM3 digest of the ByteRange, the order item's input)
// are the same at every read: e = SM3(Z_A ‖ DER(signed attributes)) is fixed.
// When the co-signature arrives the CMS is built around it, given an RFC 3161
// signature timestamp (PAdES B-T) and written into the reserve.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "core/cms_orders.h"
#include "core/config.h"
#include "pdf/seal_placement.h"
#include "pdf/pdf_signer.h"
#include "pki/certificate.h"
#include "store/records.h"

namespace duet::core {

// One document of a new PDF order, as the business system sent it.
struct NewPdfDocument {
  Bytes pdf;
  std::vector<pdf::SealPlacement> placements;  // 1..kMaxSealWidgets, resolved in order
  pdf::SubFilter sub_filter = pdf::SubFilter::kEtsiCadesDetached;
};

// A prepared document and the digest the order item signs (the CMS
// messageDigest: SM3 of the ByteRange bytes). document.tenant_id/order_id are
// left for the caller.
struct PreparedOrderDocument {
  store::OrderDocument document;
  crypto::Digest digest{};
};

// The seal is the personal name stamp (个人名章) generated from
// `holder_name`, with the name and `signing_time` (the order's creation)
// printed under it. Errors: the document errors of pdf/pdf_document.h
// (kPayloadTooLarge over cfg.pdf_max_bytes, kNotPdf, kPdfEncrypted,
// kPdfMalformed), the placement errors (kInvalidArgument, kNotFound for a
// keyword that occurs nowhere), kInvalidArgument for a name a stamp cannot
// hold (1 to 8 characters).
Result<PreparedOrderDocument> prepare_order_document(const CoreConfig& cfg, const NewPdfDocument& in,
                                                     const std::string& holder_name, store::UnixSeconds signing_time,
                                                     int item_index);

// The signed attributes and e of a PDF order item (the same at every read).
Result<CmsItemPlan> pdf_item_plan(const pki::Certificate& cert, const store::OrderDocument& doc,
                                  const store::SignItem& item);

// The CMS with the verified co-signature (refused if the e asked for differs
// from expected_e), not yet timestamped.
Result<Bytes> pdf_item_assemble(const pki::Certificate& cert, const store::OrderDocument& doc,
                                const store::SignItem& item, const crypto::Digest& expected_e,
                                const crypto::Sm2Signature& signature);

// The signed PDF: `cms_der` written into the document's reserved /Contents.
Result<Bytes> pdf_embed(const store::OrderDocument& doc, const store::SignItem& item, ByteView cms_der);

// "ETSI.CAdES.detached" | "adbe.pkcs7.detached"; nullopt otherwise.
std::optional<pdf::SubFilter> sub_filter_from_name(std::string_view name);

}  // namespace duet::core
