// Reads what the §4.3 rule (core/availability_rule.h) judges for a period:
// the service rows, every tenant's rows on each service, and the exclusions
// (maintenance windows announced in time, excluded incidents).
#pragma once

#include <vector>

#include "base/result.h"
#include "core/availability_rule.h"
#include "store/sla.h"
#include "store/tenants.h"

namespace duet::core {

// `service` are the service rows ("") of [from, to); every tenant's rows on
// each service are read (all tenants take part in every minute's verdict,
// whichever tenant a report is for).
Result<AvailabilityInputs> load_availability_inputs(store::TenantStore& tenants, store::SlaStore& sla,
                                                    UnixSeconds from, UnixSeconds to,
                                                    std::vector<store::AvailabilityMinute> service,
                                                    std::vector<SlaExclusion> exclusions);

// The exclusion of an announced-in-time maintenance window (or fault drill):
// both services, every tenant.
SlaExclusion exclusion_of_window(const store::MaintenanceWindow& w);

}  // namespace duet::core
