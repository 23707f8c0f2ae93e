// The cap on PDF documents in flight (docs/pdf.md "Documents in flight",
// config pdf.max_in_flight): every place that holds a whole document in
// memory — a PDF order being prepared, a page being rendered, a signed PDF
// being assembled, a PDF being verified — takes a slot first and gives it back
// when done. With all slots taken the request is refused at once with
// kUnavailable (503, Retry-After: 1) rather than queued: memory stays bounded
// by (slots × per-document peak) whatever the load, and the business system
// retries, as it does for any 503.
//
// The count lives in CoreMetrics::pdf_in_flight (shared by every service of
// the process, exported as a gauge); the cap is per process.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/result.h"
#include "core/core_deps.h"

namespace duet::core {

// The message of the refusal (what server/request_auth.cc recognises to add
// Retry-After).
inline constexpr std::string_view kPdfBusyMessage = "too many PDF documents in flight; retry shortly";
bool is_pdf_busy(const Error& e);

class PdfSlots {
 public:
  // `count` slots (1 for one document, a batch's document count) out of
  // `max_in_flight`; a count above the cap takes all of them (a batch larger
  // than the cap still runs, alone). max_in_flight 0: no cap.
  static Result<PdfSlots> take(CoreMetrics& metrics, size_t max_in_flight, size_t count = 1);

  PdfSlots(PdfSlots&& other) noexcept : metrics_(other.metrics_), count_(other.count_) { other.count_ = 0; }
  PdfSlots& operator=(PdfSlots&&) = delete;
  PdfSlots(const PdfSlots&) = delete;
  PdfSlots& operator=(const PdfSlots&) = delete;
  ~PdfSlots();

 private:
  PdfSlots(CoreMetrics& metrics, size_t count) : metrics_(&metrics), count_(count) {}
  CoreMetrics* metrics_;
  size_t count_;
};

}  // namespace duet::core
