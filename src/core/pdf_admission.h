// The cap on PDF documents in flight (docs/pdf.md "Documents in flight",
// config pdf.max_in_flight): every place that holds a whole document in
// memory — a PDF order being prepared, a page being rendered, a signed PDF
// being assembled, a PDF being verified — takes a slot first and gives it back
// when done. With all slots taken the request is refused at once with
// kUnavailable (503, Retry-After: 1) rather than queued: memory stays bounded
// by (slots × per-document peak) whatever the load, and the business system
// retries, as it does for any 503.
//
// One tenant may hold at most pdf.max_in_flight_per_tenant of the slots (by
// default half): beyond its share it is refused with kRateLimited (429,
// Retry-After: 1), its own load, so that one tenant's burst of large documents
// cannot turn every other tenant's PDF requests into 503s — which the SLA
// would count against the service for them.
//
// The counts live in CoreMetrics (shared by every service of the process, the
// total exported as a gauge); the caps are per process.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "core/core_deps.h"

namespace duet::core {

// The messages of the refusals (what server/request_auth.cc recognises to add
// Retry-After: 1).
inline constexpr std::string_view kPdfBusyMessage = "too many PDF documents in flight; retry shortly";
inline constexpr std::string_view kPdfTenantShareMessage =
    "too many of this tenant's PDF documents in flight; retry shortly";
bool is_pdf_busy(const Error& e);

// The share of one tenant: `per_tenant`, or half of `max_in_flight` (at least
// 1) when `per_tenant` is 0; never more than `max_in_flight`.
size_t pdf_tenant_share(size_t max_in_flight, size_t per_tenant);

class PdfSlots {
 public:
  // `count` slots (1 for one document, a batch's document count) out of
  // `max_in_flight`, for `tenant_id`; a count above the cap takes all of them
  // (a batch larger than the cap still runs, alone); a count above the tenant's
  // share runs only while that tenant holds no other slot. max_in_flight 0: no
  // cap at all.
  static Result<PdfSlots> take(CoreMetrics& metrics, const CoreConfig& config, const std::string& tenant_id,
                               size_t count = 1);

  PdfSlots(PdfSlots&& other) noexcept
      : metrics_(other.metrics_), tenant_id_(std::move(other.tenant_id_)), count_(other.count_) {
    other.count_ = 0;
  }
  PdfSlots& operator=(PdfSlots&&) = delete;
  PdfSlots(const PdfSlots&) = delete;
  PdfSlots& operator=(const PdfSlots&) = delete;
  ~PdfSlots();

 private:
  PdfSlots(CoreMetrics& metrics, std::string tenant_id, size_t count)
      : metrics_(&metrics), tenant_id_(std::move(tenant_id)), count_(count) {}
  CoreMetrics* metrics_;
  std::string tenant_id_;
  size_t count_;
};

}  // namespace duet::core
