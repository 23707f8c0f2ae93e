// The dialect-free steps of metering (store.h "packages and metering") that
// the SQLite and PostgreSQL backends both take: running core's rule, the
// decisions on its plan, the usage records a plan writes, which expiry
// notice is due, and the retention floor of usage records. The backends keep
// only their SQL (how balances are read and locked, how a take and a record
// are written). Private to src/store.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/quota_order.h"
#include "store/records.h"

namespace duet::store {

inline constexpr int64_t kDay = 86'400;
// Usage records are kept at least one year; 366 days covers a leap year.
inline constexpr int64_t kUsageRetentionSeconds = 366 * kDay;

// Runs core's rule (kInternal when the store was opened without one).
Result<QuotaPlan> run_quota_rule(const QuotaOrderRule& rule, QuotaReads& reads, PackageKind counted, int64_t units);

// A backend's metering statements inside the caller's transaction: the seam
// through which the metering below reads and writes.
class MeteringStatements {
 public:
  virtual ~MeteringStatements() = default;
  // The environment of the tenant's app; nullopt when the app does not exist.
  virtual Result<std::optional<AppEnvironment>> app_environment(std::string_view tenant_id,
                                                                std::string_view app_id) = 0;
  // Core's plan (run_quota_rule) for `units` of counted `kind` at `now`, on
  // the backend's typed reads. `to_apply`: the plan will be applied in this
  // transaction (a backend with concurrent writers locks the balances it
  // read).
  virtual Result<QuotaPlan> plan(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now,
                                 bool to_apply) = 0;
  // One take of a plan: ONE conditional update naming the balance read
  // (kConflict when it changed nothing), then the notices it crosses.
  virtual Status take(std::string_view tenant_id, const QuotaTake& take, UnixSeconds now) = 0;
  virtual Status record(const UsageRecord& usage) = 0;
};

// check_quota: kInvalidArgument for kUnlimited units (never counted),
// kQuotaExhausted (a kConflict) when `units` of `kind` are not covered.
Status require_quota(MeteringStatements& s, std::string_view tenant_id, PackageKind kind, int64_t units,
                     UnixSeconds now);
// create_order's check, before the insert: a kSign order of a production app
// (`app_environment`, nullopt when the app is missing: the insert fails)
// needs a signature unit per item.
Status require_order_quota(MeteringStatements& s, const SignOrder& order,
                           std::optional<AppEnvironment> app_environment);
// finish_order's metering of `pending` (the order's item indexes not counted
// yet, ascending; empty: nothing to do): each take of the plan, then one
// kPerSignature usage record per unit it covers, in plan order.
// kQuotaExhausted when not covered; kCorrupt when the plan's units are not
// exactly the pending items.
Status meter_order_items(MeteringStatements& s, std::string_view tenant_id, std::string_view order_id,
                         std::string_view holder_id, const std::vector<int64_t>& pending, UnixSeconds now);
// create_holder's metering: one kPerUser unit (at created_at) for a holder
// verified by a production app.
Status meter_holder(MeteringStatements& s, const Holder& holder);

// The expiry notice due for a package that ends at `expires_at` (within 30
// days of `now`, or past): ended, expiring within 7 days, or within 30.
NoticeKind expiry_notice_kind(UnixSeconds expires_at, UnixSeconds now);
// A new notice, webhook pending (package_id empty: a tenant notice).
Notice new_notice(std::string_view tenant_id, std::string_view package_id, NoticeKind kind, UnixSeconds now);

// prune_usage_records: kInvalidArgument when `before` is within the year
// usage records are kept.
Status check_usage_prune(UnixSeconds before, UnixSeconds now);

}  // namespace duet::store
