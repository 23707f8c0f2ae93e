#include "core/rate_limit.h"

#include <mutex>


namespace duet::core {

RateLimiter::RateLimiter(store::SlaStore& store, const Clock& clock, LimitsConfig config)
    : store_(store), clock_(clock), config_(config) {}

RateDecision RateLimiter::count(const std::string& tenant_id, const std::string& key, int64_t limit) {
  // The counter is bookkeeping, not the audited action of the request.
  UnixSeconds window = clock_.now();
  auto n = store_.hit_rate_window({}, tenant_id, key, window);
  if (!n.ok()) return {};  // fail open
  if (*n <= limit) return {};
  return RateDecision{false, window + 1 - clock_.now() > 0 ? window + 1 - clock_.now() : 1};
}

RateDecision RateLimiter::check(const AppContext& ctx) {
  if (ctx.environment == store::AppEnvironment::kSandbox) {
    if (config_.sandbox_requests_per_second <= 0) return {};
    return count(ctx.tenant_id, "app:" + ctx.app_id, config_.sandbox_requests_per_second);
  }
  int64_t limit = tenant_limit(ctx.tenant_id);
  if (limit <= 0) return {};  // unlimited: no store call
  return count(ctx.tenant_id, "tenant", limit);
}

Status RateLimiter::refresh() {
  // A set_tenant_limit() that lands between this read and the swap would be undone
  // by the older snapshot; the generation tells, and the read is done again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    uint64_t seen;
    {
      std::shared_lock lock(mu_);
      seen = generation_;
    }
    DUET_ASSIGN_OR_RETURN(std::vector<store::TenantRateLimit> all, store_.list_tenant_rate_limits());
    std::map<std::string, int64_t, std::less<>> fresh;
    for (const auto& l : all) fresh[l.tenant_id] = l.requests_per_second;
    std::unique_lock lock(mu_);
    if (generation_ != seen) continue;
    tenant_limits_.swap(fresh);
    return Status::Ok();
  }
  return Status::Ok();  // changed under every read: this node's sets are in the cache already
}

Status RateLimiter::set_tenant_limit(const store::WriteContext& write, std::string_view tenant_id,
                                     int64_t requests_per_second) {
  if (requests_per_second < 0)
    return make_error(ErrorCode::kInvalidArgument, "requests_per_second must be 0 (unlimited) or more");
  DUET_TRY_STATUS(store_.set_tenant_rate_limit(write, tenant_id, requests_per_second, clock_.now()));
  std::unique_lock lock(mu_);
  ++generation_;
  if (requests_per_second == 0) tenant_limits_.erase(std::string(tenant_id));
  else tenant_limits_[std::string(tenant_id)] = requests_per_second;
  return Status::Ok();
}

int64_t RateLimiter::tenant_limit(std::string_view tenant_id) const {
  std::shared_lock lock(mu_);
  auto it = tenant_limits_.find(tenant_id);
  return it == tenant_limits_.end() ? 0 : it->second;
}

}  // namespace duet::core
