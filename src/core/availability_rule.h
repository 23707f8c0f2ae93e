// The agreement's availability (§4.3, docs/sla.md "Availability"), as pure
// functions over the per-minute rows of core/availability.h:
//
//  - Two services, judged separately, minute by minute: signing and
//    certificate (core/availability_services.h). Unavailable time is the sum
//    of both services' unavailable minutes; a minute in which both are down
//    counts twice. Availability = (counted − unavailable) / counted, never
//    below 0, where counted = the minutes not excluded for both services.
//  - A service's minute is available when at least 90 % of its PARTICIPANTS
//    got normal answers — per tenant, not per request. The participants are
//    the production tenants that sent that service at least one request in
//    the minute (a tenant got normal answers when every answer was normal:
//    no 5xx, under 3 s — the customer's reading) and the service's probe
//    (the self-check of core/availability.h, one participant, normal when
//    >= 90 % of the minute's probes passed; it checks the store and the KEK
//    that both services need, so it takes part in both).
//  - A minute without any participant is available when the service answered
//    anything in it (the service row exists: sandbox or public traffic, the
//    Admin API) and >= 90 % of those answers were normal; a minute with no
//    record at all is unavailable for both (nothing answered, nothing probed).
//  - Exclusions: an excluded minute counts neither way for the services it
//    names and ends an outage run. A service-wide exclusion (announced
//    maintenance, a third-party cause) applies to everyone; a tenant's own
//    (a customer-side cause) takes that tenant out of the participants, and
//    out of its own report, for those minutes.
//  - The longest outage is the longest run of consecutive minutes in which
//    at least one service was unavailable.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/availability_services.h"
#include "core/sla_report.h"
#include "store/sla_records.h"

namespace duet::core {

struct SlaExclusion {
  UnixSeconds from = 0, to = 0;  // [from, to)
  bool signing = true;
  bool certificate = true;
  std::string tenant_id;  // "" = every tenant; else only this tenant (a cause on its side)
  bool applies_to(SlaServiceKind s) const { return s == SlaServiceKind::kSigning ? signing : certificate; }
};

// One tenant's rows on one service (service_availability_row), by minute.
struct ServiceTenantRows {
  std::string tenant_id;
  std::vector<store::AvailabilityMinute> rows;
};

struct AvailabilityInputs {
  UnixSeconds from = 0, to = 0;                        // multiples of 60
  std::vector<store::AvailabilityMinute> service;      // the service rows ("") in [from, to), by minute
  std::array<std::vector<ServiceTenantRows>, 2> tenants;  // indexed by SlaServiceKind
  std::vector<SlaExclusion> exclusions;
};

enum class MinuteState : uint8_t { kUp, kDown, kExcluded };

// The verdict of every minute of [from, to) for both services.
struct JudgedMinutes {
  UnixSeconds from = 0, to = 0;
  std::array<std::vector<MinuteState>, 2> state;  // [service][minute index]
  std::vector<uint8_t> unrecorded;                // no service row at all
  std::vector<uint8_t> by_tenants;                // some tenant took part (either service)
  std::array<std::vector<int32_t>, 2> participants;  // tenants + probe, per service and minute
};

JudgedMinutes judge_minutes(const AvailabilityInputs& in);

// The figures of [from, to) (inside the judged range): the judged states,
// minus the exclusions of `tenant_id` itself when non-empty ("" = the
// overall figures); request counts and times from `own` (the tenant's row,
// or the service row), excluded minutes left out.
SlaFigures figures_for(const JudgedMinutes& judged, UnixSeconds from, UnixSeconds to, std::string_view tenant_id,
                       const std::vector<SlaExclusion>& exclusions,
                       const std::vector<store::AvailabilityMinute>& own);

}  // namespace duet::core
