// Test-only: the audit event the core audit tests build chains of.
#pragma once

#include <string>

#include "store/records.h"

namespace duet::core {

// Event i of `tenant`: app_<i mod 3> creating order ord_<i> at 1'700'000'000 + i.
inline store::AuditEvent sample_audit_event(int i, const std::string& tenant = "ten_a") {
  store::AuditEvent e;
  e.at = 1'700'000'000 + i;
  e.tenant_id = tenant;
  e.actor_type = "app";
  e.actor_id = "app_" + std::to_string(i % 3);
  e.action = "POST /api/v1/orders";
  e.target = "order_id:ord_" + std::to_string(i);
  e.outcome = "ok";
  e.address = "10.0.0.1";
  e.request_id = "req" + std::to_string(i);
  return e;
}

}  // namespace duet::core
