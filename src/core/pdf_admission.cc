#include "core/pdf_admission.h"

#include <algorithm>

namespace duet::core {

bool is_pdf_busy(const Error& e) {
  return (e.code == ErrorCode::kUnavailable && e.message == kPdfBusyMessage) ||
         (e.code == ErrorCode::kRateLimited && e.message == kPdfTenantShareMessage);
}

size_t pdf_tenant_share(size_t max_in_flight, size_t per_tenant) {
  if (per_tenant == 0) per_tenant = std::max<size_t>(1, max_in_flight / 2);
  return std::min(per_tenant, max_in_flight);
}

Result<PdfSlots> PdfSlots::take(CoreMetrics& metrics, const CoreConfig& config, const std::string& tenant_id,
                                size_t count) {
  if (count == 0) count = 1;
  const size_t cap = config.pdf_max_in_flight;
  std::lock_guard<std::mutex> lock(metrics.pdf_slots_mu);
  if (cap != 0) {
    count = std::min(count, cap);
    const auto mine = metrics.pdf_in_flight_by_tenant.find(tenant_id);
    const uint64_t held = mine == metrics.pdf_in_flight_by_tenant.end() ? 0 : mine->second;
    // The tenant's share first: its own load is its own 429, not everyone's 503.
    if (held > 0 && held + count > pdf_tenant_share(cap, config.pdf_max_in_flight_per_tenant)) {
      metrics.pdf_refused_tenant_share++;
      return make_error(ErrorCode::kRateLimited, std::string(kPdfTenantShareMessage));
    }
    if (metrics.pdf_in_flight.load() + count > cap) {
      metrics.pdf_refused_busy++;
      return make_error(ErrorCode::kUnavailable, std::string(kPdfBusyMessage));
    }
  }
  metrics.pdf_in_flight_by_tenant[tenant_id] += count;
  metrics.pdf_in_flight += count;
  return PdfSlots(metrics, tenant_id, count);
}

PdfSlots::~PdfSlots() {
  if (count_ == 0) return;
  std::lock_guard<std::mutex> lock(metrics_->pdf_slots_mu);
  auto it = metrics_->pdf_in_flight_by_tenant.find(tenant_id_);
  if (it != metrics_->pdf_in_flight_by_tenant.end()) {
    it->second -= std::min<uint64_t>(it->second, count_);
    if (it->second == 0) metrics_->pdf_in_flight_by_tenant.erase(it);
  }
  metrics_->pdf_in_flight -= count_;
}

}  // namespace duet::core
