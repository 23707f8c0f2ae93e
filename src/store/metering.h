// store::MeteringStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Packages, exactly-once metering, notices and tenant notify targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class MeteringStore {
 public:
  virtual ~MeteringStore() = default;

  // --- packages and metering (issue 5 §1; SQLite: store/sqlite_metering.cc) ---
  //
  // Metering rules every backend keeps (docs/metering.md):
  //  - A package is usable at `now` when starts_at <= now < expires_at (at
  //    the instant expires_at it is already over; its remaining quantity is
  //    void from then on).
  //  - Production only: a kSign order is metered when its app is a
  //    production app; a holder when holder.identity_verified_by names a
  //    production app of the tenant. Sandbox apps are never metered, kCsr
  //    orders (certificate requests of enrollment) are not signatures of
  //    business data and are never metered.
  //  - Signatures (finish_order of a metered order, in ITS transaction): one
  //    unit per item. A usable unlimited package covers them without
  //    counting; else the units are taken from the usable per-signature
  //    packages with quantity left, earliest expires_at first (then
  //    package_id), spilling over to the next; else a usable per-user package
  //    covers them without counting (a per-user tenant's signatures are
  //    free); else the whole finish fails with ErrorCode::kQuotaExhausted
  //    (kind kConflict) and nothing changes (the order stays signing).
  //  - Holders (create_holder of a metered holder, in its transaction):
  //    symmetric, one unit: unlimited covers; else the usable per-user
  //    packages with quantity left, earliest expiry first; else a usable
  //    per-signature package covers it without counting; else
  //    kQuotaExhausted and no holder.
  //  - A production tenant without any usable package is refused
  //    (kQuotaExhausted) just like an exhausted one.
  //  - create_order of a metered order checks, in its transaction, that the
  //    units of all its items are available (check_quota's rule); else
  //    kQuotaExhausted and no order. An idempotent replay returns the
  //    existing order without a check. Nothing is reserved: finish decides.
  //  - Each unit writes a UsageRecord (unique per (tenant, order, item) and
  //    per (tenant, holder)): a unit already recorded is never counted again.
  //  - When a package's used crosses 80 %, 90 % or 100 % of its quantity, the
  //    Notice (kUsed80/90/100) is inserted in the same transaction; a
  //    (package, kind) notice is inserted at most once.

  // Adds a package. tenant_id/package_id non-empty, expires_at > starts_at,
  // used 0, source "purchase" | "sla_credit". Quantity: unlimited 0; a
  // purchase of per-signature >= 10,000, per-user >= 1,000; an sla_credit
  // >= 1. Anything else is kInvalidArgument. kNotFound (tenant), kDuplicate.
  virtual Status add_package(const WriteContext& context, const Package& package) = 0;
  // The tenant's packages (every state), earliest expires_at first, then
  // package_id. Empty for an unknown tenant.
  virtual Result<std::vector<Package>> list_packages(std::string_view tenant_id) = 0;
  virtual Result<Package> get_package(std::string_view tenant_id, std::string_view package_id) = 0;  // kNotFound
  // Would `units` units of `kind` (kPerSignature or kPerUser) be covered at
  // `now` by the rules above? Ok or ErrorCode::kQuotaExhausted (kind
  // kConflict). Counts nothing.
  virtual Status check_quota(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now) = 0;
  // The tenant's usage records with from <= counted_at < to, oldest first
  // (counted_at, usage_id), at most `limit`.
  virtual Result<std::vector<UsageRecord>> list_usage_records(std::string_view tenant_id, UnixSeconds from,
                                                              UnixSeconds to, size_t limit) = 0;
  // How many units of `kind` the tenant used with from <= counted_at < to.
  virtual Result<int64_t> count_usage(std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                                      UnixSeconds to) = 0;
  // Deletes usage records (all tenants) counted before `before`. Records are
  // kept at least one year: a cutoff later than now - 366 days is
  // kInvalidArgument and deletes nothing. Returns how many were deleted.
  virtual Result<size_t> prune_usage_records(const WriteContext& context, UnixSeconds before, UnixSeconds now) = 0;
  // The tenant's notices, newest first (created_at, notice_id descending), at most `limit`.
  virtual Result<std::vector<Notice>> list_notices(std::string_view tenant_id, size_t limit) = 0;
  // Sweep (all tenants), one transaction:
  //  1. expiry notices for up to `limit` packages: kEnded when now >=
  //     expires_at; else kExpiring7Days when now >= expires_at - 7 days; else
  //     kExpiring30Days when now >= expires_at - 30 days (only the latest
  //     applicable one is inserted: a package first seen 5 days before its
  //     end gets the 7-day notice, never a late 30-day one). Each (package,
  //     kind) once.
  //  2. every "pending" notice (up to `limit`): if its tenant has a notify
  //     target, make_callback(notice, url) is enqueued (order_id empty) and
  //     the notice becomes "queued"; else it becomes "none".
  // Returns the notices inserted by step 1.
  using NoticeCallbackFactory = std::function<std::optional<CallbackJob>(const Notice&, const std::string& url)>;
  virtual Result<std::vector<Notice>> sweep_package_notices(const WriteContext& context, UnixSeconds now, size_t limit,
                                                            const NoticeCallbackFactory& make_callback) = 0;
  // Sets (replaces) the tenant's notify target; an empty url removes it.
  // kNotFound (tenant).
  virtual Status set_tenant_notify_target(const WriteContext& context, const TenantNotifyTarget& target) = 0;
  virtual Result<TenantNotifyTarget> get_tenant_notify_target(std::string_view tenant_id) = 0;  // kNotFound: none
  // Sets the tenant's request-signature v1 cut-off (Tenant::signature_v1_cutoff)
  // and, in the same transaction, inserts the kSignatureV1Cutoff notice that
  // announces it (package_id empty, effective_at = cutoff, webhook
  // "pending": the next sweep_package_notices queues it). Every call is a
  // new notice, so a postponed or advanced cut-off is announced again.
  // Returns the notice. kNotFound (tenant).
  virtual Result<Notice> set_tenant_signature_v1_cutoff(const WriteContext& context, std::string_view tenant_id,
                                                        UnixSeconds cutoff, UnixSeconds now) = 0;
};

}  // namespace duet::store
