// Packages, exactly-once metering and notices on SQLite (private to the
// SQLite backend; the contract is store.h "packages and metering"). Every
// function runs inside the caller's transaction on `c`: the meter_* calls are
// made from the transaction that completes the signature or creates the
// holder, so the unit, its usage record and any threshold notice commit or
// roll back with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/quota_order.h"
#include "store/records.h"
#include "store/store.h"

namespace duet::store::sqlite {

class Connection;

Status add_package(Connection& c, const Package& p);
Result<std::vector<Package>> list_packages(Connection& c, std::string_view tenant_id);
Result<Package> get_package(Connection& c, std::string_view tenant_id, std::string_view package_id);
// The metering functions take core's quota consumption order (`rule`,
// store/quota_order.h) and apply its plan with conditional updates.
Status check_quota(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id, PackageKind kind,
                   int64_t units, UnixSeconds now);

// create_order's check (inside its write transaction, before the insert): a
// kSign order of a production app needs `items` signature units available.
Status check_order_quota(Connection& c, const QuotaOrderRule& rule, const SignOrder& order);
// finish_order's metering (inside its transaction, after the order became
// signed): one unit per item not yet recorded, for kSign orders of
// production apps. ErrorCode::kQuotaExhausted when not covered.
Status meter_finished_order(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id,
                            std::string_view order_id, UnixSeconds now);
// create_holder's metering (inside its transaction, after the insert).
Status meter_new_holder(Connection& c, const QuotaOrderRule& rule, const Holder& holder);

Result<std::vector<UsageRecord>> list_usage_records(Connection& c, std::string_view tenant_id, UnixSeconds from,
                                                    UnixSeconds to, size_t limit);
Result<int64_t> count_usage(Connection& c, std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                            UnixSeconds to);
Result<size_t> prune_usage_records(Connection& c, UnixSeconds before, UnixSeconds now);

Result<std::vector<Notice>> list_notices(Connection& c, std::string_view tenant_id, size_t limit);
Result<std::vector<Notice>> sweep_package_notices(Connection& c, UnixSeconds now, size_t limit,
                                                  const Store::NoticeCallbackFactory& make_callback);

Status set_tenant_notify_target(Connection& c, const TenantNotifyTarget& t);
Result<Notice> set_tenant_signature_v1_cutoff(Connection& c, std::string_view tenant_id, UnixSeconds cutoff,
                                              UnixSeconds now);
Result<TenantNotifyTarget> get_tenant_notify_target(Connection& c, std::string_view tenant_id);

// A tenant notice (package_id NULL) of `kind`, created now, inside the
// caller's transaction (store/tenant_notice_rows.h).
Status insert_tenant_notice(Connection& c, std::string_view tenant_id, NoticeKind kind, UnixSeconds now,
                            std::optional<UnixSeconds> effective_at, std::string_view subject_id);

}  // namespace duet::store::sqlite
