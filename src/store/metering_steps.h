// The dialect-free steps of metering (store.h "packages and metering") that
// the SQLite and PostgreSQL backends both take: running core's rule, the
// decisions on its plan, the usage records a plan writes, which expiry
// notice is due, and the retention floor of usage records. The backends keep
// only their SQL (how balances are read and locked, how a take and a record
// are written). Private to src/store.
#pragma once

#include <cstdint>
#include <functional>
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

// check_quota: kInvalidArgument for kUnlimited units, which are never counted.
Status check_counted_kind(PackageKind kind);
// kQuotaExhausted (a kConflict) when `plan` does not cover the units of `kind`.
Status require_cover(const QuotaPlan& plan, PackageKind kind);

// How a backend writes one take of a plan (the conditional update and its
// notices) and one usage record.
using TakeWriter = std::function<Status(const QuotaTake& take)>;
using UsageWriter = std::function<Status(const UsageRecord& usage)>;

// finish_order's metering of `pending` (the order's item indexes not counted
// yet, ascending) under `plan`: each take, then one kPerSignature usage
// record per unit it covers, in plan order. kQuotaExhausted when not
// covered; kCorrupt when the plan's units are not exactly the pending items.
Status apply_order_plan(const QuotaPlan& plan, const std::vector<int64_t>& pending, std::string_view tenant_id,
                        std::string_view order_id, std::string_view holder_id, UnixSeconds now,
                        const TakeWriter& take, const UsageWriter& record);
// create_holder's metering of one kPerUser unit for `holder` (at its
// created_at) under `plan`.
Status apply_holder_plan(const QuotaPlan& plan, const Holder& holder, const TakeWriter& take,
                         const UsageWriter& record);

// The expiry notice due for a package that ends at `expires_at` (within 30
// days of `now`, or past): ended, expiring within 7 days, or within 30.
NoticeKind expiry_notice_kind(UnixSeconds expires_at, UnixSeconds now);
// A new notice, webhook pending (package_id empty: a tenant notice).
Notice new_notice(std::string_view tenant_id, std::string_view package_id, NoticeKind kind, UnixSeconds now);

// prune_usage_records: kInvalidArgument when `before` is within the year
// usage records are kept.
Status check_usage_prune(UnixSeconds before, UnixSeconds now);

}  // namespace duet::store
