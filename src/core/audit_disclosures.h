// Disclosures of a tenant's audit events to a regulator (§4.4 of the
// agreement; issue 14 item 7; docs/audit.md "Export for a regulator").
//
// Four eyes: an auditor requests a disclosure (tenant, period, purpose); a
// security officer who is not the requester approves it, or refuses it with
// a reason; then an auditor runs it, once: the run answers the tenant's
// events of the period and the disclosure is spent. Without an approval the
// run is refused (kForbidden, "not approved by a security officer"); a
// second run is kConflict. Each step is an audited action of its caller
// (the operator's WriteContext carries the event into the step's
// transaction); the export itself is built from the run's events by
// `duet audit export --disclosure ID`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "core/clock.h"
#include "core/contexts.h"
#include "store/audit.h"
#include "store/audit_disclosures.h"

namespace duet::core {

// What a run hands out: the disclosure as now spent, and the events.
struct DisclosureRun {
  store::AuditDisclosure disclosure;
  std::vector<store::AuditEvent> events;  // the tenant's, from <= at < to, by seq
};

class AuditDisclosures {
 public:
  AuditDisclosures(store::AuditDisclosureStore& disclosures, store::AuditStore& audit)
      : disclosures_(disclosures), audit_(audit) {}

  // auditor. purpose: 1-2000 bytes, no control characters but \n and \t.
  Result<store::AuditDisclosure> request(const OperatorContext& op, const std::string& tenant_id, UnixSeconds from,
                                         UnixSeconds to, std::string purpose, UnixSeconds now);
  // security_officer, not the requester; reason optional.
  Result<store::AuditDisclosure> approve(const OperatorContext& op, std::string_view id, std::string reason,
                                         UnixSeconds now);
  // security_officer, not the requester; reason required.
  Result<store::AuditDisclosure> refuse(const OperatorContext& op, std::string_view id, std::string reason,
                                        UnixSeconds now);
  // auditor; once, after an approval.
  Result<DisclosureRun> run(const OperatorContext& op, std::string_view id, UnixSeconds now);

  Result<std::vector<store::AuditDisclosure>> list() { return disclosures_.list_audit_disclosures(); }
  Result<store::AuditDisclosure> get(std::string_view id) { return disclosures_.get_audit_disclosure(id); }

 private:
  Result<store::AuditDisclosure> decide(const OperatorContext& op, std::string_view id,
                                        store::DisclosureState decision, std::string reason, UnixSeconds now);
  store::AuditDisclosureStore& disclosures_;
  store::AuditStore& audit_;
};

std::string_view disclosure_state_name(store::DisclosureState s);

}  // namespace duet::core
