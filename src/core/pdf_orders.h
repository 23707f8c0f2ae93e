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
  // DocMDP certification by this (first) signature: 0 none, else its
  // permissions P = 1, 2 or 3 (pdf::SignOptions). A document that already
  // carries a signature cannot be certified (kInvalidArgument).
  int certify_permission = 0;
};

// What the seal of a PDF order shows (the order's "appearance",
// docs/pdf.md "Handwritten signature"): the personal name stamp; the holder's
// handwritten signature (the order is refused, kConflict, when the holder has
// uploaded none); or the handwritten signature when there is one, else the
// name stamp.
enum class OrderAppearance { kNameStamp, kHandwritten, kHandwrittenOrNameStamp };
// "name_stamp" | "handwritten" | "handwritten_or_name_stamp"; nullopt otherwise.
std::optional<OrderAppearance> order_appearance_from_name(std::string_view name);

// A prepared document and the digest the order item signs (the CMS
// messageDigest: SM3 of the ByteRange bytes). document.tenant_id/order_id are
// left for the caller.
struct PreparedOrderDocument {
  store::OrderDocument document;
  crypto::Digest digest{};
};

// The seal is the holder's handwritten signature when `handwritten_png` is
// given (a PNG checked by pdf/handwritten_image.h), else the personal name
// stamp (个人名章) generated from `holder_name`; the name and `signing_time`
// (the order's creation) are printed under it. Errors: the document errors of pdf/pdf_document.h
// (kPayloadTooLarge over cfg.pdf_max_bytes, kNotPdf, kPdfEncrypted,
// kPdfMalformed), the placement errors (kInvalidArgument, kNotFound for a
// keyword that occurs nowhere), kInvalidArgument for a name a stamp cannot
// hold (1 to 8 characters).
Result<PreparedOrderDocument> prepare_order_document(const CoreConfig& cfg, const NewPdfDocument& in,
                                                     const std::string& holder_name, store::UnixSeconds signing_time,
                                                     int item_index, const Bytes* handwritten_png = nullptr);

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
