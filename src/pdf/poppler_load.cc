#include "pdf/poppler_load.h"

#include <poppler-global.h>

#include <climits>
#include <mutex>

#include "pdf/podofo_load.h"

namespace duet::pdf::internal {
namespace {

void quiet_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

}  // namespace

Result<std::unique_ptr<poppler::document>> load_poppler(ByteView pdf, size_t max_bytes) {
  DUET_TRY_STATUS(check_pdf_envelope(pdf, max_bytes));
  if (pdf.size() > static_cast<size_t>(INT_MAX)) return make_error(ErrorCode::kPayloadTooLarge, "the PDF is too large");
  quiet_poppler();
  // load_from_raw_data wants a non-const pointer but only reads.
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(
      reinterpret_cast<const char*>(pdf.data()), static_cast<int>(pdf.size())));
  if (!doc) return make_error(ErrorCode::kPdfMalformed, "the PDF does not parse");
  if (doc->is_encrypted() || doc->is_locked()) return make_error(ErrorCode::kPdfEncrypted, "the PDF is encrypted");
  if (doc->pages() <= 0) return make_error(ErrorCode::kPdfMalformed, "the PDF has no pages");
  return doc;
}

Result<std::unique_ptr<poppler::page>> poppler_page(const poppler::document& doc, int index) {
  if (index < 0 || index >= doc.pages()) return make_error(ErrorCode::kInvalidArgument, "no such page");
  std::unique_ptr<poppler::page> page(doc.create_page(index));
  if (!page) return make_error(ErrorCode::kPdfMalformed, "page " + std::to_string(index + 1) + " does not parse");
  return page;
}

}  // namespace duet::pdf::internal
