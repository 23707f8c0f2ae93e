// Fuzz target: the PDF entry points that read untrusted documents
// (pdf/pdf_document.h inspect_pdf, pdf/pdf_verifier.h verify_pdf and its
// reports, pdf/seal_placement.h keyword search), over PoDoFo and poppler.
//
// Invariants checked:
//  - every refusal is one of the documented document errors (payload too
//    large, not a PDF, encrypted, malformed) — never anything else;
//  - inspect and verify agree on whether the bytes are a usable PDF (both
//    load it through the same checks);
//  - an accepted document has at least one page, each with a positive size;
//  - nothing read from the document makes the verifier call a signature
//    valid: the trust list is empty, so no chain can verify;
//  - both reports render (the JSON parses back).
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "pdf/pdf_document.h"
#include "pdf/pdf_verifier.h"
#include "pdf/seal_placement.h"

namespace {

using duet::ErrorCode;

bool is_document_error(ErrorCode c) {
  return c == ErrorCode::kPayloadTooLarge || c == ErrorCode::kNotPdf || c == ErrorCode::kPdfEncrypted ||
         c == ErrorCode::kPdfMalformed;
}

// Inputs above this are refused by the size check alone; the limit keeps
// each execution short while the corpus PDFs (a few KB) fit.
constexpr size_t kMaxBytes = 64 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  duet::ByteView pdf(data, size);
  auto info = duet::pdf::inspect_pdf(pdf, kMaxBytes);
  if (!info.ok()) {
    FUZZ_CHECK(is_document_error(info.code()));
  } else {
    FUZZ_CHECK(!info->pages.empty());
    for (const auto& p : info->pages) FUZZ_CHECK(p.width > 0 && p.height > 0);
  }
  auto v = duet::pdf::verify_pdf(pdf, duet::pki::CmsTrust{}, {kMaxBytes});
  if (!v.ok()) {
    FUZZ_CHECK(is_document_error(v.code()));
  } else {
    for (const auto& s : v->signatures) FUZZ_CHECK(!s.cms_ok && !s.ok());
    FUZZ_CHECK(!v->ok());
    std::string text = duet::pdf::verification_text(*v);
    FUZZ_CHECK(!text.empty());
    FUZZ_CHECK(!nlohmann::json::parse(duet::pdf::verification_json(*v), nullptr, false).is_discarded());
  }
  // The size and header checks come first and are the same everywhere.
  if (info.code() == ErrorCode::kPayloadTooLarge || info.code() == ErrorCode::kNotPdf) {
    FUZZ_CHECK(v.code() == info.code());
  }
  auto placed = duet::pdf::resolve_placements(
      pdf, {duet::pdf::KeywordPlacement{"甲方（签字）", true, 0, 0, 40, 40}}, kMaxBytes);
  if (!placed.ok()) {
    FUZZ_CHECK(is_document_error(placed.code()) || placed.code() == ErrorCode::kNotFound ||
               placed.code() == ErrorCode::kInvalidArgument);
  } else {
    FUZZ_CHECK(!placed->empty() && placed->size() <= duet::pdf::kMaxSealWidgets + 1);
  }
  return 0;
}
