// The seam between a backend's metering and core's quota consumption order
// (core/quota_order.h, the only copy of the rule). The backend runs the rule
// inside the transaction that meters (store.h "packages and metering"):
//   1. the rule asks for typed reads through QuotaReads (is a package of a
//      kind usable now? the usable packages of the counted kind with
//      quantity left and how much each has used);
//   2. it returns a QuotaPlan: free, none, or the units to take from which
//      package, in consumption order, with the usage notices each take
//      crosses;
//   3. the backend applies each take as ONE conditional update that names
//      the balance it read ("... SET used = used + n WHERE ... AND used =
//      <read used>") and checks that exactly one row changed; any other
//      count is a lost race: kConflict, and the transaction rolls back
//      (nothing is taken). Never read-then-write without that condition.
// The store receives the rule once, at open (SqliteStoreOptions /
// PostgresStoreOptions::quota_order): metering runs inside create_order,
// finish_order and create_holder, whose callers do not deal with quota.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace duet::store {

// A usable counted package with quantity left, as read in the transaction.
struct QuotaBalance {
  std::string package_id;
  int64_t quantity = 0;
  int64_t used = 0;  // the value the conditional update names
  UnixSeconds expires_at = 0;
};

// The reads the rule may ask for, all at the metering instant, inside the
// transaction. A backend that meters locks the balances it returns for the
// rest of the transaction (PostgreSQL: FOR UPDATE), so the conditional
// updates of the plan do not lose to a concurrent meter.
class QuotaReads {
 public:
  virtual ~QuotaReads() = default;
  // Is some package of `kind` usable (starts_at <= now < expires_at)?
  virtual Result<bool> any_usable(PackageKind kind) = 0;
  // The usable packages of counted `kind` (kPerSignature or kPerUser) with
  // used < quantity, in any order.
  virtual Result<std::vector<QuotaBalance>> balances(PackageKind kind) = 0;
};

enum class QuotaCover {
  kFree,     // covered without counting (unlimited, or the other kind's package)
  kCounted,  // covered by the takes
  kNone,     // not covered: ErrorCode::kQuotaExhausted
};

struct QuotaTake {
  QuotaBalance from;  // as read: the update's condition
  int64_t units = 0;  // 1 <= units <= from.quantity - from.used
  // The usage notices (kUsed80/90/100) this take makes the package cross;
  // the backend inserts them in the same transaction.
  std::vector<NoticeKind> crosses;
};

struct QuotaPlan {
  QuotaCover cover = QuotaCover::kNone;
  std::vector<QuotaTake> takes;  // kCounted: in consumption order, summing to the units asked
};

// The rule: how `units` units of counted `kind` are covered.
using QuotaOrderRule = std::function<Result<QuotaPlan>(QuotaReads& reads, PackageKind kind, int64_t units)>;

}  // namespace duet::store
