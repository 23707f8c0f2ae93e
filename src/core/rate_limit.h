// Request rate limits of the Business API (issue 5 §7).
//  - Sandbox apps: each app at most `sandbox_requests_per_second` requests
//    per one-second window (config [limits]); the sandbox is for
//    integration checks, not load.
//  - Production: per tenant, set by an operator (Admin API); none = unlimited.
// Counters are fixed one-second windows kept in the store
// (Store::hit_rate_window: one atomic upsert-and-return), so every node
// shares them. Production limits are cached in memory and reloaded every
// few seconds (refresh()); a tenant without a limit costs no store call. A
// store failure while counting lets the request through (fail open: the
// limit protects capacity, it is not a security boundary).
#pragma once

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>

#include "base/result.h"
#include "core/clock.h"
#include "core/contexts.h"
#include "store/sla.h"

namespace duet::core {

struct LimitsConfig {
  int64_t sandbox_requests_per_second = 10;  // 0 = no sandbox limit
  int64_t refresh_seconds = 10;              // reload of the production limits
};

struct RateDecision {
  bool allowed = true;
  int64_t retry_after_seconds = 0;  // when refused: seconds until the window ends (>= 1)
};

class RateLimiter {
 public:
  RateLimiter(store::SlaStore& store, const Clock& clock, LimitsConfig config);

  // Counts the request of an authenticated app and decides.
  RateDecision check(const AppContext& ctx);
  // Reloads the production limits from the store. Never undoes a set_tenant_limit()
  // of this node that returned before the reload's swap.
  Status refresh();
  // Sets a tenant's limit (0 = unlimited) in the store and in this node's cache.
  Status set_tenant_limit(const store::WriteContext& write, std::string_view tenant_id, int64_t requests_per_second);
  // The cached limit (0 = unlimited).
  int64_t tenant_limit(std::string_view tenant_id) const;
  const LimitsConfig& config() const { return config_; }

 private:
  RateDecision count(const std::string& tenant_id, const std::string& key, int64_t limit);

  store::SlaStore& store_;
  const Clock& clock_;
  LimitsConfig config_;
  mutable std::shared_mutex mu_;
  std::map<std::string, int64_t, std::less<>> tenant_limits_;
  // Counts this node's set_tenant_limit() calls (under mu_): refresh() swaps in its
  // snapshot only if none happened since it began reading, so a refresh never undoes
  // a newer change with an older read.
  uint64_t generation_ = 0;
};

}  // namespace duet::core
