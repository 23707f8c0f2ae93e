// store::SlaStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). SLA records: availability, maintenance windows, credits, rate limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/sla_records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class SlaStore {
 public:
  virtual ~SlaStore() = default;

  // --- sla (issue 5 §2, §3, §7; SQLite: store/sqlite_sla.cc; owner: sla) ----
  // Availability minutes, maintenance windows, compensation credits and
  // rate-limit counters (records in store/sla_records.h). Core decides what
  // the counts mean (core/sla_report.h); the store only keeps them.

  // Adds every delta to its (tenant_id, minute) row, creating the row when
  // missing, in ONE transaction: requests, normal, total_us, probes_ok and
  // probes_failed are added, max_us becomes the larger of the two. Several
  // writers (threads, processes, nodes) adding into one row never lose a
  // delta. minute must be a multiple of 60 and every count >= 0, else
  // kInvalidArgument (nothing written). tenant_id "" is the service row.
  virtual Status add_availability(const WriteContext& context, const std::vector<AvailabilityMinute>& deltas) = 0;
  // The rows of one tenant ("" = the service) with from <= minute < to, by minute.
  virtual Result<std::vector<AvailabilityMinute>> list_availability(std::string_view tenant_id, UnixSeconds from,
                                                                    UnixSeconds to) = 0;
  // The first minute the service recorded anything (its service row with
  // the smallest minute); nullopt when it never recorded one.
  virtual Result<std::optional<UnixSeconds>> first_availability_minute() = 0;

  // Maintenance windows (service-wide). create: window_id non-empty,
  // ends_at > starts_at, else kInvalidArgument; kDuplicate.
  virtual Status create_maintenance_window(const WriteContext& context, const MaintenanceWindow& window) = 0;
  virtual Result<MaintenanceWindow> get_maintenance_window(std::string_view window_id) = 0;  // kNotFound
  // Windows overlapping [from, to) (starts_at < to and ends_at > from), by
  // starts_at then window_id.
  virtual Result<std::vector<MaintenanceWindow>> list_maintenance_windows(UnixSeconds from, UnixSeconds to) = 0;
  // Deletes a window that has not started (now < starts_at); kConflict once
  // it has started (the reports of its time depend on it); kNotFound.
  virtual Status delete_maintenance_window(const WriteContext& context, std::string_view window_id,
                                           UnixSeconds now) = 0;

  // Proposes a credit: when the tenant has none for (month, kind), inserts
  // `credit` (state proposed; credit_id non-empty, amount >= 1, band "A" |
  // "B" | "C", else kInvalidArgument); when a proposed one exists, replaces
  // its band, amount, basis and updated_at (its credit_id stays); an
  // approved one is never changed. Returns the credit as stored. kNotFound
  // (tenant).
  virtual Result<SlaCredit> propose_sla_credit(const WriteContext& context, const SlaCredit& credit) = 0;
  // Withdraws a still-proposed credit of (tenant, month, kind), e.g. after a
  // recomputation found no breach; an approved one stays. Ok when there is none.
  virtual Status withdraw_sla_credit(const WriteContext& context, std::string_view tenant_id, std::string_view month,
                                     SlaCreditKind kind) = 0;
  // Entry point of approval (all tenants): a credit by its id. kNotFound.
  virtual Result<SlaCredit> find_sla_credit(std::string_view credit_id) = 0;
  // Credits, narrowed to a tenant and/or a month when non-empty, by month,
  // tenant_id, kind.
  virtual Result<std::vector<SlaCredit>> list_sla_credits(std::string_view tenant_id, std::string_view month) = 0;
  // Grants a credit exactly once, ONE transaction: the credit proposed ->
  // approved (approved_at = now, approved_by, package_id = bonus.package_id)
  // and `bonus` added as add_package does (source "sla_credit", the credit's
  // tenant). kConflict when the credit is no longer proposed (already
  // approved: nothing changes, no second package); kNotFound; add_package's
  // errors roll the approval back.
  virtual Status approve_sla_credit(const WriteContext& context, std::string_view credit_id,
                                    std::string_view approved_by, UnixSeconds now, const Package& bonus) = 0;

  // Rate limiting with fixed windows shared by every node: adds 1 to the
  // counter (tenant_id, key, window_start) and returns its value after the
  // increment, in one atomic upsert (concurrent callers get distinct values
  // 1, 2, 3, ...). tenant_id and key non-empty, else kInvalidArgument.
  virtual Result<int64_t> hit_rate_window(const WriteContext& context, std::string_view tenant_id, std::string_view key,
                                          UnixSeconds window_start) = 0;
  // Forgets counters of windows that started before `before`; returns how many.
  virtual Result<size_t> prune_rate_windows(const WriteContext& context, UnixSeconds before) = 0;
  // A production tenant's limit: requests_per_second >= 1 sets (replaces)
  // it, 0 removes it (unlimited). kNotFound (tenant); negative is kInvalidArgument.
  virtual Status set_tenant_rate_limit(const WriteContext& context, std::string_view tenant_id,
                                       int64_t requests_per_second, UnixSeconds now) = 0;
  // Every stored limit, by tenant_id.
  virtual Result<std::vector<TenantRateLimit>> list_tenant_rate_limits() = 0;
};

}  // namespace duet::store
