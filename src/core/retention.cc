#include "core/retention.h"

namespace duet::core {
namespace {

constexpr int64_t kDay = 86400;

// Runs one purge call batch after batch until a batch comes back short.
template <typename F>
Result<size_t> drain(size_t batch, F&& purge) {
  size_t total = 0;
  for (int round = 0; round < 10000; ++round) {
    DUET_ASSIGN_OR_RETURN(size_t n, purge(batch));
    total += n;
    if (n < batch) break;
  }
  return total;
}

}  // namespace

RetentionService::RetentionService(Stores stores, const Clock& clock, store::RetentionSettings defaults,
                                   size_t batch)
    : stores_(stores), clock_(clock), defaults_(std::move(defaults)), batch_(batch == 0 ? 1 : batch) {}

Result<EffectiveRetention> RetentionService::settings() {
  auto stored = stores_.retention.get_retention_settings();
  if (stored.ok()) return EffectiveRetention{*stored, "api"};
  if (stored.code() != ErrorCode::kNotFound) return Unexpected{stored.error()};
  return EffectiveRetention{defaults_, "config"};
}

Result<EffectiveRetention> RetentionService::update(const store::WriteContext& write, store::RetentionSettings in,
                                                    std::string_view operator_name) {
  in.updated_at = clock_.now();
  in.updated_by = std::string(operator_name);
  DUET_TRY_STATUS(stores_.retention.put_retention_settings(write, in));
  return EffectiveRetention{in, "api"};
}

Result<PurgeCounts> RetentionService::run_once(const store::WriteContext& write, std::string_view actor) {
  DUET_ASSIGN_OR_RETURN(EffectiveRetention eff, settings());
  const store::RetentionSettings& s = eff.settings;
  const store::UnixSeconds now = clock_.now();
  PurgeCounts out;
  if (s.order_payload_days > 0) {
    DUET_ASSIGN_OR_RETURN(out.order_payloads, drain(batch_, [&](size_t n) {
                            return stores_.retention.purge_order_payloads(write, now - s.order_payload_days * kDay, now,
                                                                          actor, n);
                          }));
  }
  if (s.identity_days > 0) {
    DUET_ASSIGN_OR_RETURN(out.identities, drain(batch_, [&](size_t n) {
                            return stores_.retention.purge_identity_attributes(write, now - s.identity_days * kDay, now,
                                                                               actor, n);
                          }));
  }
  DUET_ASSIGN_OR_RETURN(out.key_shares, drain(batch_, [&](size_t n) {
                          return stores_.retention.wipe_retired_key_shares(write, now - s.expired_key_days * kDay, now,
                                                                           actor, n);
                        }));
  return out;
}

Result<std::optional<PurgeCounts>> RetentionService::run_if_due(std::string_view owner) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(EffectiveRetention eff, settings());
  const store::UnixSeconds now = clock_.now();
  const int64_t interval = eff.settings.interval_seconds;
  if (last_run_ && now - *last_run_ < interval) return std::optional<PurgeCounts>();
  DUET_ASSIGN_OR_RETURN(bool leader, stores_.leases.try_acquire_lease({}, kLeaseName, owner, now, interval));
  if (!leader) return std::optional<PurgeCounts>();
  last_run_ = now;
  DUET_ASSIGN_OR_RETURN(PurgeCounts counts, run_once({}, "retention:" + std::string(owner)));
  return std::optional<PurgeCounts>(counts);
}

}  // namespace duet::core
