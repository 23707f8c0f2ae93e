#include "core/availability_inputs.h"

namespace duet::core {

Result<AvailabilityInputs> load_availability_inputs(store::TenantStore& tenants, store::SlaStore& sla,
                                                    UnixSeconds from, UnixSeconds to,
                                                    std::vector<store::AvailabilityMinute> service,
                                                    std::vector<SlaExclusion> exclusions) {
  AvailabilityInputs in;
  in.from = from;
  in.to = to;
  in.service = std::move(service);
  in.exclusions = std::move(exclusions);
  if (to <= from) return in;
  DUET_ASSIGN_OR_RETURN(std::vector<store::Tenant> all, tenants.list_tenants());
  for (const auto& t : all) {
    for (SlaServiceKind kind : kSlaServices) {
      DUET_ASSIGN_OR_RETURN(std::vector<store::AvailabilityMinute> rows,
                            sla.list_availability(service_availability_row(kind, t.tenant_id), from, to));
      if (rows.empty()) continue;
      in.tenants[static_cast<size_t>(kind)].push_back(ServiceTenantRows{t.tenant_id, std::move(rows)});
    }
  }
  return in;
}

SlaExclusion exclusion_of_window(const store::MaintenanceWindow& w) {
  SlaExclusion e;
  e.from = w.starts_at;
  e.to = w.ends_at;
  return e;
}

}  // namespace duet::core
