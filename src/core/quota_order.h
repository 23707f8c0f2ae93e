// The quota consumption order (docs/metering.md, store.h
// "packages and metering") — the only copy. Backends run it inside the
// transaction that meters, through the seam in store/quota_order.h (typed
// reads in, a plan out, applied as conditional updates).
//
// `units` units of counted kind K (kPerSignature for a signature's items,
// kPerUser for a new holder) are covered:
//  1. without counting when a package of kind kUnlimited is usable, or when
//     no unit is asked;
//  2. else by the usable packages of kind K with quantity left, earliest
//     expires_at first, then package_id, each drained before the next
//     (spilling over within one batch) — when their remaining quantities
//     together reach `units`; a batch is never partly counted;
//  3. else without counting when a package of the other counted kind is
//     usable (a per-user tenant's signatures, a per-signature tenant's
//     holders are free);
//  4. else not at all (kQuotaExhausted; nothing is taken).
// A take that moves a package's used across 80 %, 90 % or 100 % of its
// quantity carries the kUsed80/90/100 notice (each crossed once).
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "store/quota_order.h"

namespace duet::core {

// The usage notices a package of `quantity` crosses going from `used_before`
// to `used_after`.
std::vector<store::NoticeKind> usage_notices_crossed(int64_t quantity, int64_t used_before, int64_t used_after);

Result<store::QuotaPlan> plan_quota(store::QuotaReads& reads, store::PackageKind kind, int64_t units);

// The rule as the store takes it at open.
store::QuotaOrderRule quota_order_rule();

}  // namespace duet::core
