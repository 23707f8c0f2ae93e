#include "core/pdf_admission.h"

#include <algorithm>

namespace duet::core {

bool is_pdf_busy(const Error& e) { return e.code == ErrorCode::kUnavailable && e.message == kPdfBusyMessage; }

Result<PdfSlots> PdfSlots::take(CoreMetrics& metrics, size_t max_in_flight, size_t count) {
  if (count == 0) count = 1;
  if (max_in_flight == 0) {
    metrics.pdf_in_flight += count;
    return PdfSlots(metrics, count);
  }
  count = std::min(count, max_in_flight);
  // One compare-and-swap: never more than max_in_flight taken, however many
  // threads try at once.
  uint64_t now = metrics.pdf_in_flight.load();
  do {
    if (now + count > max_in_flight) {
      metrics.pdf_refused_busy++;
      return make_error(ErrorCode::kUnavailable, std::string(kPdfBusyMessage));
    }
  } while (!metrics.pdf_in_flight.compare_exchange_weak(now, now + count));
  return PdfSlots(metrics, count);
}

PdfSlots::~PdfSlots() {
  if (count_ > 0) metrics_->pdf_in_flight -= count_;
}

}  // namespace duet::core
