#include "core/availability_services.h"

namespace duet::core {

namespace {

struct RoutePrefix {
  std::string_view prefix;
  SlaServiceKind service;
};

// The one table (§4.3): the first prefix that matches decides. The
// certificate routes come first because they sit under the signing APIs'
// prefixes.
constexpr RoutePrefix kRouteTable[] = {
    {"/pki/", SlaServiceKind::kCertificate},                        // CA files, CRL, OCSP, time-stamps
    {"/app/v1/certificate", SlaServiceKind::kCertificate},          // certificate, -requests, /revoke
    {"/api/v1/holders/{holder_id}/certificates", SlaServiceKind::kCertificate},
    {"/api/v1/", SlaServiceKind::kSigning},                         // business systems and the gateway
    {"/app/v1/", SlaServiceKind::kSigning},                         // the holder app: co-signing, documents
};

}  // namespace

std::string_view sla_service_name(SlaServiceKind s) {
  return s == SlaServiceKind::kCertificate ? "certificate" : "signing";
}

std::optional<SlaServiceKind> parse_sla_service(std::string_view name) {
  if (name == "signing") return SlaServiceKind::kSigning;
  if (name == "certificate") return SlaServiceKind::kCertificate;
  return std::nullopt;
}

std::optional<SlaServiceKind> sla_service_of_route(std::string_view route) {
  for (const auto& r : kRouteTable)
    if (route.substr(0, r.prefix.size()) == r.prefix) return r.service;
  return std::nullopt;
}

std::string service_availability_row(SlaServiceKind s, std::string_view tenant_id) {
  std::string row = "svc:";
  row += sla_service_name(s);
  row += ':';
  row += tenant_id;
  return row;
}

}  // namespace duet::core
