// Service packages (服务套餐) and notices (issue 5 §1, docs/metering.md).
//
// Counting itself happens in the store, inside the transaction that completes
// a signature or creates a holder (store.h "packages and metering": exactly
// once, earliest expiry first, production only; kCsr orders are enrollment,
// not signatures of business data, and are never metered). This service is
// the operator's and the tenant's view of it:
//  - operators add packages (term one year from activation: the same UTC
//    calendar date a year later, 29 Feb -> 1 Mar) and set the tenant's notify
//    URL (a fresh HMAC secret is made and shown once);
//  - tenants read their packages and notices through the Business API;
//  - sweep_package_notices (a duetd worker) inserts the 30-day, 7-day and
//    ended notices and queues every new notice as a webhook to the notify
//    URL. The webhook is signed like order callbacks (core/callbacks.h) with
//    the tenant's notify secret instead of an app secret:
//      body {"event":"notice.<kind>","notice_id":…,"package_id":…,
//            "kind":…,"occurred_at":unix}
//    A tenant notice (kind "signature_v1_cutoff", sent when an operator sets
//    the request-signature v1 cut-off) has "package_id": null and
//    "effective_at": the cut-off (unix).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/contexts.h"
#include "core/core_deps.h"
#include "store/tenants.h"
#include "store/metering.h"

namespace duet::core {

// Minimum purchase quantities (credits from SLA compensation may be smaller).
inline constexpr int64_t kMinPerSignaturePackage = 10'000;
inline constexpr int64_t kMinPerUserPackage = 1'000;

// The same UTC calendar date and time one year later (29 Feb -> 1 Mar).
UnixSeconds one_year_after(UnixSeconds t);

std::string_view package_kind_name(store::PackageKind k);  // "per_signature" | "per_user" | "unlimited"
std::optional<store::PackageKind> parse_package_kind(std::string_view name);
std::string_view notice_kind_name(store::NoticeKind k);  // "used_80" … "ended", "signature_v1_cutoff"

// A package as seen at `now`: "scheduled" (not started), "active",
// "exhausted" (counted kind, nothing left), "ended" (expired). remaining is
// quantity - used while usable and 0 otherwise (void at expiry); unlimited
// packages have no remaining (nullopt).
struct PackageState {
  std::string status;
  std::optional<int64_t> remaining;
};
PackageState package_state(const store::Package& p, UnixSeconds now);

struct NewPackage {
  store::PackageKind kind = store::PackageKind::kPerSignature;
  int64_t quantity = 0;                  // 0 for unlimited
  std::optional<UnixSeconds> starts_at;  // default: now
  std::string note;
};

struct IssuedNotifyTarget {
  std::string url;
  std::string secret;  // shown once; empty when the target was removed
};

class MeteringService {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::TenantStore& tenants;
    store::MeteringStore& metering;
    explicit Stores(store::Store& s) : tenants(s), metering(s) {}
  };

  explicit MeteringService(CoreDeps deps) : deps_(deps), stores_(deps.store) {}

  // A purchase: kInvalidArgument below the minimums (per-signature 10,000,
  // per-user 1,000; unlimited takes no quantity); kNotFound for an unknown tenant.
  Result<store::Package> add_package(const OperatorContext& op, const std::string& tenant_id, const NewPackage& in);
  Result<std::vector<store::Package>> list_packages(const OperatorContext& op, const std::string& tenant_id);
  // Sets the tenant's notify URL (http(s), at most 2048 bytes) with a new
  // secret; an empty url removes the target.
  Result<IssuedNotifyTarget> set_notify_url(const OperatorContext& op, const std::string& tenant_id,
                                            const std::string& url);
  // The current notify URL ("" when none).
  Result<std::string> notify_url(const OperatorContext& op, const std::string& tenant_id);

  // Business API: the calling app's tenant.
  Result<std::vector<store::Package>> tenant_packages(const AppContext& ctx);
  Result<std::vector<store::Notice>> tenant_notices(const AppContext& ctx, size_t limit);

  UnixSeconds now() const { return deps_.clock.now(); }

 private:
  ServiceDeps deps_;  // everything but the store
  Stores stores_;
};

// The webhook job for a notice (order_id empty).
std::optional<store::CallbackJob> make_notice_callback(const store::Notice& notice, const std::string& url,
                                                       UnixSeconds now);

// One sweep: expiry notices and webhook queueing. Returns the notices inserted.
Result<size_t> sweep_package_notices(CoreDeps& deps, const store::WriteContext& write, size_t limit = 200);

}  // namespace duet::core
