#include "core/quota_order.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace duet::core {

using store::PackageKind;
using store::QuotaBalance;
using store::QuotaCover;
using store::QuotaPlan;

std::vector<store::NoticeKind> usage_notices_crossed(int64_t quantity, int64_t used_before, int64_t used_after) {
  constexpr std::pair<int64_t, store::NoticeKind> kThresholds[] = {
      {80, store::NoticeKind::kUsed80}, {90, store::NoticeKind::kUsed90}, {100, store::NoticeKind::kUsed100}};
  std::vector<store::NoticeKind> out;
  for (const auto& [pct, kind] : kThresholds)
    if (used_before * 100 < pct * quantity && used_after * 100 >= pct * quantity) out.push_back(kind);
  return out;
}

Result<QuotaPlan> plan_quota(store::QuotaReads& reads, PackageKind kind, int64_t units) {
  if (kind == PackageKind::kUnlimited)
    return make_error(ErrorCode::kInvalidArgument, "quota is planned for per-signature or per-user units");
  QuotaPlan plan;
  DUET_ASSIGN_OR_RETURN(bool unlimited, reads.any_usable(PackageKind::kUnlimited));
  if (unlimited || units <= 0) {
    plan.cover = QuotaCover::kFree;
    return plan;
  }

  DUET_ASSIGN_OR_RETURN(std::vector<QuotaBalance> balances, reads.balances(kind));
  std::sort(balances.begin(), balances.end(), [](const QuotaBalance& a, const QuotaBalance& b) {
    return std::tie(a.expires_at, a.package_id) < std::tie(b.expires_at, b.package_id);
  });
  int64_t left = 0;
  for (const QuotaBalance& b : balances) left += std::max<int64_t>(0, b.quantity - b.used);
  if (left >= units) {
    plan.cover = QuotaCover::kCounted;
    int64_t wanted = units;
    for (QuotaBalance& b : balances) {
      if (wanted == 0) break;
      const int64_t n = std::min(b.quantity - b.used, wanted);
      if (n <= 0) continue;
      std::vector<store::NoticeKind> crosses = usage_notices_crossed(b.quantity, b.used, b.used + n);
      plan.takes.push_back(store::QuotaTake{std::move(b), n, std::move(crosses)});
      wanted -= n;
    }
    return plan;
  }

  const PackageKind other = kind == PackageKind::kPerSignature ? PackageKind::kPerUser : PackageKind::kPerSignature;
  DUET_ASSIGN_OR_RETURN(bool other_usable, reads.any_usable(other));
  plan.cover = other_usable ? QuotaCover::kFree : QuotaCover::kNone;
  return plan;
}

store::QuotaOrderRule quota_order_rule() {
  return [](store::QuotaReads& reads, PackageKind kind, int64_t units) { return plan_quota(reads, kind, units); };
}

}  // namespace duet::core
