// The two services of the agreement's availability (§4.3, docs/sla.md): the
// signing service and the certificate service are measured separately and
// their unavailable minutes are summed. Which route belongs to which service
// is decided here, by one table, and nowhere else.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace duet::core {

enum class SlaServiceKind { kSigning = 0, kCertificate = 1 };
inline constexpr std::array<SlaServiceKind, 2> kSlaServices = {SlaServiceKind::kSigning,
                                                              SlaServiceKind::kCertificate};

// "signing" | "certificate".
std::string_view sla_service_name(SlaServiceKind s);
// The inverse of sla_service_name; nullopt for any other text.
std::optional<SlaServiceKind> parse_sla_service(std::string_view name);

// The service a route pattern (http::RequestOutcome::route, e.g.
// "/app/v1/orders/{order_id}/sessions") belongs to; nullopt for routes of
// neither (the Admin API, the monitoring endpoints, unmatched requests).
//   certificate: certificates (issuance, renewal, revocation, the holder's
//                certificate), CA files, CRLs, OCSP, time-stamps (/pki/*);
//   signing:     every other Business API and Holder API route — co-signing,
//                orders, PDF documents, activation, verification — and so
//                the gateway's traffic, which reaches duetd as Business API.
std::optional<SlaServiceKind> sla_service_of_route(std::string_view route);

// The availability row (store::AvailabilityMinute::tenant_id) that counts a
// tenant's requests to one service: "svc:<service>:<tenant_id>". Tenant ids
// never contain ':' (store ids are "<prefix>_<random>"), so these rows never
// collide with a tenant's own row, the service row "" or a node row "node:…".
std::string service_availability_row(SlaServiceKind s, std::string_view tenant_id);

}  // namespace duet::core
