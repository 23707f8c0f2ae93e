// JSON of the metering area (issue 5 §1): packages with their state at a
// given time, notices, and the body of a new package. Used by the Admin API
// (/admin/v1/tenants/{tenant_id}/packages, …/notify-url) and the Business API
// (/api/v1/packages, /api/v1/notices); docs/api/openapi.yaml describes them.
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "core/metering.h"

namespace duet::server {

// {"package_id","kind","quantity"(null for unlimited),"used","remaining"
//  (null for unlimited; 0 once ended),"status","starts_at","expires_at",
//  "source","note","created_at"}
nlohmann::json package_json(const store::Package& p, store::UnixSeconds now);
// {"notice_id","package_id" (null for a tenant notice),"kind","created_at","webhook"[,"effective_at"]}
nlohmann::json notice_json(const store::Notice& n);
// {"kind": "per_signature"|"per_user"|"unlimited", "quantity": int (not for
//  unlimited), "starts_at": unix (optional), "note": string (optional)}
Result<core::NewPackage> parse_new_package(const nlohmann::json& body);

}  // namespace duet::server
