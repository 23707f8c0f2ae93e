// Records of the SLA area (issue 5 §2, §3, §7): per-minute availability
// counts, maintenance windows, compensation credits, rate-limit settings.
// Plain data, no SQL; conventions as in store/records.h (Unix seconds from
// the caller, opaque ids from new_id()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/records.h"

namespace duet::store {

// The counts of one minute for one tenant, or for the whole service
// (tenant_id ""). Rows are additive: several nodes (and several flushes of
// one node) add their deltas into the same row (Store::add_availability).
struct AvailabilityMinute {
  std::string tenant_id;       // "" = the whole service (every request, every tenant)
  UnixSeconds minute = 0;      // start of the minute (a multiple of 60)
  int64_t requests = 0;        // answered requests
  int64_t normal = 0;          // of which normal: not 5xx and faster than 3 s
  int64_t total_us = 0;        // sum of processing times, microseconds
  int64_t max_us = 0;          // the slowest processing time, microseconds (max, not added)
  int64_t probes_ok = 0;       // self-checks that passed (service row only)
  int64_t probes_failed = 0;   // self-checks that failed (service row only)
};

// Planned maintenance of the whole service. announced_at is when tenants were
// told (the creation time through the Admin API); the SLA excludes a window
// only when it was announced early enough (core/sla_report.h).
struct MaintenanceWindow {
  std::string window_id;       // "mnt_..."
  UnixSeconds starts_at = 0;
  UnixSeconds ends_at = 0;     // exclusive
  UnixSeconds announced_at = 0;
  std::string description;
  std::string created_by;      // operator name
  std::string kind = "maintenance";  // "maintenance" | "fault_drill" (a drill is announced like maintenance, §4.3)
};

enum class SlaCreditKind { kSignatures, kDays };
enum class SlaCreditState { kProposed, kApproved };

// A compensation proposed for one tenant, month and kind; granted (approved)
// at most once, as the bonus package package_id.
struct SlaCredit {
  std::string tenant_id;
  std::string credit_id;       // "slc_..."
  std::string month;           // "YYYY-MM"
  SlaCreditKind kind = SlaCreditKind::kSignatures;
  std::string band;            // "A" | "B" | "C"
  int64_t amount = 0;          // free signatures, or free days
  std::string basis;           // JSON object as text: how the amount was computed
  SlaCreditState state = SlaCreditState::kProposed;
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
  std::optional<UnixSeconds> approved_at;
  std::string approved_by;     // operator name
  std::string package_id;      // the bonus package, once approved
};

// A production tenant's request limit (none stored: unlimited).
struct TenantRateLimit {
  std::string tenant_id;
  int64_t requests_per_second = 0;  // >= 1
  UnixSeconds updated_at = 0;
};

}  // namespace duet::store
