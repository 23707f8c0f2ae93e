#include "store/metering_steps.h"

#include <string>

#include "store/ids.h"
#include "store/store_error.h"

namespace duet::store {

Result<QuotaPlan> run_quota_rule(const QuotaOrderRule& rule, QuotaReads& reads, PackageKind counted, int64_t units) {
  if (!rule) return make_error(ErrorCode::kInternal, "the store was opened without a quota order rule");
  return rule(reads, counted, units);
}

namespace {

Unexpected corrupt(std::string_view what) { return store_error(StoreError::kCorrupt, what); }

// kQuotaExhausted (a kConflict) when `plan` does not cover the units of `kind`.
Status require_cover(const QuotaPlan& plan, PackageKind kind) {
  if (plan.cover != QuotaCover::kNone) return Status::Ok();
  return store_error(StoreError::kConflict, ErrorCode::kQuotaExhausted,
                     kind == PackageKind::kPerSignature ? "no usable package has signatures left"
                                                        : "no usable package has users left");
}

}  // namespace

Status require_quota(MeteringStatements& s, std::string_view tenant_id, PackageKind kind, int64_t units,
                     UnixSeconds now) {
  if (kind == PackageKind::kUnlimited)
    return make_error(ErrorCode::kInvalidArgument, "quota is checked for per-signature or per-user units");
  DUET_ASSIGN_OR_RETURN(QuotaPlan plan, s.plan(tenant_id, kind, units, now, /*to_apply=*/false));
  return require_cover(plan, kind);
}

Status require_order_quota(MeteringStatements& s, const SignOrder& order,
                           std::optional<AppEnvironment> app_environment) {
  if (order.kind != OrderKind::kSign) return Status::Ok();
  if (app_environment != AppEnvironment::kProduction) return Status::Ok();  // a missing app fails the insert
  return require_quota(s, order.tenant_id, PackageKind::kPerSignature, static_cast<int64_t>(order.items.size()),
                       order.created_at);
}

Status meter_order_items(MeteringStatements& s, std::string_view tenant_id, std::string_view order_id,
                         std::string_view holder_id, const std::vector<int64_t>& pending, UnixSeconds now) {
  if (pending.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(QuotaPlan plan, s.plan(tenant_id, PackageKind::kPerSignature,
                                               static_cast<int64_t>(pending.size()), now, /*to_apply=*/true));
  DUET_TRY_STATUS(require_cover(plan, PackageKind::kPerSignature));
  if (plan.cover == QuotaCover::kFree) return Status::Ok();
  size_t next = 0;
  for (const QuotaTake& t : plan.takes) {
    if (t.units > static_cast<int64_t>(pending.size() - next)) return corrupt("metering plan takes too many units");
    DUET_TRY_STATUS(s.take(tenant_id, t, now));
    for (int64_t i = 0; i < t.units; ++i, ++next) {
      UsageRecord u;
      u.tenant_id = std::string(tenant_id);
      u.usage_id = new_id("use_");
      u.package_id = t.from.package_id;
      u.kind = PackageKind::kPerSignature;
      u.order_id = std::string(order_id);
      u.item_index = pending[next];
      u.holder_id = std::string(holder_id);
      u.counted_at = now;
      DUET_TRY_STATUS(s.record(u));
    }
  }
  if (next != pending.size()) return corrupt("metering plan did not cover the order");
  return Status::Ok();
}

Status meter_holder(MeteringStatements& s, const Holder& holder) {
  if (holder.identity_verified_by.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(std::optional<AppEnvironment> env,
                        s.app_environment(holder.tenant_id, holder.identity_verified_by));
  if (env != AppEnvironment::kProduction) return Status::Ok();
  const UnixSeconds now = holder.created_at;
  DUET_ASSIGN_OR_RETURN(QuotaPlan plan, s.plan(holder.tenant_id, PackageKind::kPerUser, 1, now, /*to_apply=*/true));
  DUET_TRY_STATUS(require_cover(plan, PackageKind::kPerUser));
  if (plan.cover == QuotaCover::kFree) return Status::Ok();
  if (plan.takes.size() != 1 || plan.takes.front().units != 1) return corrupt("metering plan did not cover the holder");
  const QuotaTake& t = plan.takes.front();
  DUET_TRY_STATUS(s.take(holder.tenant_id, t, now));
  UsageRecord u;
  u.tenant_id = holder.tenant_id;
  u.usage_id = new_id("use_");
  u.package_id = t.from.package_id;
  u.kind = PackageKind::kPerUser;
  u.holder_id = holder.holder_id;
  u.counted_at = now;
  return s.record(u);
}

NoticeKind expiry_notice_kind(UnixSeconds expires_at, UnixSeconds now) {
  if (expires_at <= now) return NoticeKind::kEnded;
  if (expires_at <= now + 7 * kDay) return NoticeKind::kExpiring7Days;
  return NoticeKind::kExpiring30Days;
}

Notice new_notice(std::string_view tenant_id, std::string_view package_id, NoticeKind kind, UnixSeconds now) {
  Notice n;
  n.tenant_id = std::string(tenant_id);
  n.notice_id = new_id("ntc_");
  n.package_id = std::string(package_id);
  n.kind = kind;
  n.created_at = now;
  n.webhook_state = "pending";
  return n;
}

Status check_usage_prune(UnixSeconds before, UnixSeconds now) {
  if (before > now - kUsageRetentionSeconds)
    return make_error(ErrorCode::kInvalidArgument, "usage records are kept at least one year (366 days)");
  return Status::Ok();
}

}  // namespace duet::store
