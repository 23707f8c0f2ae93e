// Incidents (issue 14 item 3, docs/sla.md "Incidents"): an operator records
// what failed, its cause and its times; the tenant sees them. Two rules live
// here and nowhere else:
//  - Which incidents leave the availability (§4.3): a customer-side cause
//    (the customer's network, devices, client components, its gateway
//    software) or a third-party cause (cloud, network providers), for the
//    incident's time [started_at, resolved_at) and the services it names —
//    a customer-side one only for its own tenant. An unresolved incident
//    excludes nothing (an open end would exclude time nobody judged).
//    The provider's own faults (cause "service") are never excluded.
//  - How its times compare with the promises of §4.1: response started
//    within 15 minutes, fixed within 2 hours, a disaster-recovery switch
//    within 2 hours of the start.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/availability_rule.h"
#include "core/contexts.h"
#include "core/core_deps.h"
#include "store/incidents.h"
#include "store/tenants.h"

namespace duet::core {

struct IncidentPromises {
  int64_t response_seconds = 15 * 60;
  int64_t resolve_seconds = 2 * 3600;
  int64_t dr_switch_seconds = 2 * 3600;
};

// One promise: how long it took (nullopt: not yet), and whether that kept
// the promise (nullopt while it has not happened and the deadline has not
// passed; false once the deadline passed without it).
struct PromiseCheck {
  std::optional<int64_t> took_seconds;
  std::optional<bool> met;
};
struct IncidentTimeliness {
  PromiseCheck response, resolution, dr_switch;
};
IncidentTimeliness incident_timeliness(const store::Incident& i, UnixSeconds now,
                                       const IncidentPromises& p = IncidentPromises{});

bool cause_is_excluded(store::IncidentCause c);
// The exclusion an incident makes, when it makes one.
std::optional<SlaExclusion> exclusion_of(const store::Incident& i);

// Optional fields of a change: a field that is set replaces the stored one;
// clear_* empties an optional time.
struct IncidentChange {
  std::optional<store::IncidentServices> services;
  std::optional<store::IncidentCause> cause;
  std::optional<std::string> description;
  std::optional<UnixSeconds> started_at;
  std::optional<UnixSeconds> response_started_at;
  std::optional<UnixSeconds> resolved_at;
  std::optional<UnixSeconds> dr_switched_at;
  bool clear_response_started_at = false;
  bool clear_resolved_at = false;
  bool clear_dr_switched_at = false;
};

class IncidentService {
 public:
  struct Stores {
    store::IncidentStore& incidents;
    store::TenantStore& tenants;
    explicit Stores(store::Store& s) : incidents(s), tenants(s) {}
  };
  explicit IncidentService(CoreDeps deps);

  // Records an incident (audited through op.write). `change` carries every
  // field; services, cause, description and started_at are required.
  // kInvalidArgument: a time in the future (more than a minute ahead), a
  // time before the start, a customer-side cause without a tenant, a
  // description empty or over 1,000 characters; kNotFound: the tenant.
  Result<store::Incident> create(const OperatorContext& op, std::string tenant_id, const IncidentChange& change,
                                 UnixSeconds now);
  // Applies a change (conditional on the version read: kConflict when
  // another operator changed it meanwhile). kNotFound.
  Result<store::Incident> update(const OperatorContext& op, std::string_view incident_id,
                                 const IncidentChange& change, UnixSeconds now);
  Result<store::Incident> get(std::string_view incident_id);
  // Overlapping [from, to); with a tenant, only every tenant's and its own.
  Result<std::vector<store::Incident>> list(UnixSeconds from, UnixSeconds to,
                                            std::optional<std::string_view> tenant_id);
  // The exclusions of [from, to) the incidents make.
  Result<std::vector<SlaExclusion>> exclusions(UnixSeconds from, UnixSeconds to);

  const IncidentPromises& promises() const { return promises_; }

 private:
  Status check(const store::Incident& i, UnixSeconds now) const;

  Stores stores_;
  IncidentPromises promises_;
};

}  // namespace duet::core
