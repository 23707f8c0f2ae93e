// Records of the incident area (issue 14 item 3, docs/sla.md "Incidents"):
// what happened to the service, when it was answered and fixed, and — for a
// cause the agreement excludes — which minutes leave the availability.
// Plain data, no SQL; conventions as in store/records.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/records.h"

namespace duet::store {

// Why the service failed. kService is the provider's own fault (counted);
// kCustomerSide (the customer's network, devices, client components, its
// gateway software) and kThirdParty (cloud, network providers) are excluded
// from the availability for the incident's time (§4.3).
enum class IncidentCause { kService, kCustomerSide, kThirdParty };
// The services an incident touched.
enum class IncidentServices { kSigning, kCertificate, kBoth };

struct Incident {
  std::string incident_id;  // "inc_..."
  std::string tenant_id;    // "" = every tenant; a customer-side cause names its one tenant
  IncidentServices services = IncidentServices::kBoth;
  IncidentCause cause = IncidentCause::kService;
  std::string description;  // shown to tenants: no personal data
  UnixSeconds started_at = 0;
  std::optional<UnixSeconds> response_started_at;  // someone started working on it (§4.1: <= 15 min)
  std::optional<UnixSeconds> resolved_at;          // service restored (§4.1: <= 2 h); ends an exclusion
  std::optional<UnixSeconds> dr_switched_at;       // switched to disaster recovery (§4.1: <= 2 h)
  std::string created_by;   // operator name
  std::string updated_by;   // operator name of the last change
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
};

// The stored words (also the API's).
inline std::string_view incident_cause_text(IncidentCause c) {
  return c == IncidentCause::kCustomerSide ? "customer_side" : c == IncidentCause::kThirdParty ? "third_party" : "service";
}
inline std::string_view incident_services_text(IncidentServices s) {
  return s == IncidentServices::kSigning ? "signing" : s == IncidentServices::kCertificate ? "certificate" : "both";
}
inline std::optional<IncidentCause> incident_cause_from(std::string_view t) {
  for (auto c : {IncidentCause::kService, IncidentCause::kCustomerSide, IncidentCause::kThirdParty})
    if (incident_cause_text(c) == t) return c;
  return std::nullopt;
}
inline std::optional<IncidentServices> incident_services_from(std::string_view t) {
  for (auto s : {IncidentServices::kSigning, IncidentServices::kCertificate, IncidentServices::kBoth})
    if (incident_services_text(s) == t) return s;
  return std::nullopt;
}

}  // namespace duet::store
