// The "sla" section of store.h on SQLite (private to the SQLite backend):
// availability minutes, maintenance windows, credits, rate-limit counters.
// Each function runs inside the caller's transaction on `c` (a write
// transaction for the changing ones); SqliteStore wraps each in one
// transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/sla_records.h"

namespace duet::store::sqlite {

class Connection;

Status add_availability(Connection& c, const std::vector<AvailabilityMinute>& deltas);
Result<std::vector<AvailabilityMinute>> list_availability(Connection& c, std::string_view tenant_id,
                                                          UnixSeconds from, UnixSeconds to);
Result<std::optional<UnixSeconds>> first_availability_minute(Connection& c);

Status create_maintenance_window(Connection& c, const MaintenanceWindow& w);
Result<MaintenanceWindow> get_maintenance_window(Connection& c, std::string_view window_id);
Result<std::vector<MaintenanceWindow>> list_maintenance_windows(Connection& c, UnixSeconds from, UnixSeconds to);
Status delete_maintenance_window(Connection& c, std::string_view window_id, UnixSeconds now);

Result<SlaCredit> propose_sla_credit(Connection& c, const SlaCredit& credit);
Status withdraw_sla_credit(Connection& c, std::string_view tenant_id, std::string_view month, SlaCreditKind kind);
Result<SlaCredit> find_sla_credit(Connection& c, std::string_view credit_id);
Result<std::vector<SlaCredit>> list_sla_credits(Connection& c, std::string_view tenant_id, std::string_view month);
Status approve_sla_credit(Connection& c, std::string_view credit_id, std::string_view approved_by, UnixSeconds now,
                          const Package& bonus);

Result<int64_t> hit_rate_window(Connection& c, std::string_view tenant_id, std::string_view key,
                                UnixSeconds window_start);
Result<size_t> prune_rate_windows(Connection& c, UnixSeconds before);
Status set_tenant_rate_limit(Connection& c, std::string_view tenant_id, int64_t requests_per_second, UnixSeconds now);
Result<std::vector<TenantRateLimit>> list_tenant_rate_limits(Connection& c);

}  // namespace duet::store::sqlite
