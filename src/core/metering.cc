#include "core/metering.h"

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "store/ids.h"

namespace duet::core {

UnixSeconds one_year_after(UnixSeconds t) {
  time_t tt = static_cast<time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  int64_t year = static_cast<int64_t>(tm.tm_year) + 1900 + 1;
  unsigned month = static_cast<unsigned>(tm.tm_mon) + 1;
  unsigned day = static_cast<unsigned>(tm.tm_mday);
  if (month == 2 && day == 29 && !is_leap_year(year)) {
    month = 3;
    day = 1;
  }
  int64_t secs_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  return days_from_civil(year, month, day) * 86'400 + secs_of_day;
}

std::string_view package_kind_name(store::PackageKind k) {
  switch (k) {
    case store::PackageKind::kPerSignature: return "per_signature";
    case store::PackageKind::kPerUser: return "per_user";
    case store::PackageKind::kUnlimited: return "unlimited";
  }
  return "per_signature";
}

std::optional<store::PackageKind> parse_package_kind(std::string_view name) {
  if (name == "per_signature") return store::PackageKind::kPerSignature;
  if (name == "per_user") return store::PackageKind::kPerUser;
  if (name == "unlimited") return store::PackageKind::kUnlimited;
  return std::nullopt;
}

std::string_view notice_kind_name(store::NoticeKind k) {
  switch (k) {
    case store::NoticeKind::kUsed80: return "used_80";
    case store::NoticeKind::kUsed90: return "used_90";
    case store::NoticeKind::kUsed100: return "used_100";
    case store::NoticeKind::kExpiring30Days: return "expiring_30d";
    case store::NoticeKind::kExpiring7Days: return "expiring_7d";
    case store::NoticeKind::kEnded: return "ended";
    case store::NoticeKind::kSignatureV1Cutoff: return "signature_v1_cutoff";
    case store::NoticeKind::kMaintenancePlanned: return "maintenance_planned";
    case store::NoticeKind::kMaintenanceCancelled: return "maintenance_cancelled";
    case store::NoticeKind::kMaintenanceChanged: return "maintenance_changed";
    case store::NoticeKind::kTenantSuspended: return "tenant_suspended";
    case store::NoticeKind::kTenantResumed: return "tenant_resumed";
    case store::NoticeKind::kSlaTermsChanged: return "sla_terms_changed";
  }
  return "used_80";
}

PackageState package_state(const store::Package& p, UnixSeconds now) {
  const bool unlimited = p.kind == store::PackageKind::kUnlimited;
  if (now >= p.expires_at) return {"ended", unlimited ? std::nullopt : std::optional<int64_t>(0)};
  if (now < p.starts_at) return {"scheduled", unlimited ? std::nullopt : std::optional<int64_t>(0)};
  if (unlimited) return {"active", std::nullopt};
  const int64_t left = p.quantity - p.used;
  return {left > 0 ? "active" : "exhausted", left > 0 ? left : 0};
}

Result<store::Package> MeteringService::add_package(const OperatorContext& op, const std::string& tenant_id,
                                                    const NewPackage& in) {
  if (in.kind == store::PackageKind::kPerSignature && in.quantity < kMinPerSignaturePackage)
    return make_error(ErrorCode::kInvalidArgument, "a per-signature package has at least 10000 signatures");
  if (in.kind == store::PackageKind::kPerUser && in.quantity < kMinPerUserPackage)
    return make_error(ErrorCode::kInvalidArgument, "a per-user package has at least 1000 users");
  if (in.kind == store::PackageKind::kUnlimited && in.quantity != 0)
    return make_error(ErrorCode::kInvalidArgument, "an unlimited package takes no quantity");
  if (in.quantity > 1'000'000'000'000LL) return make_error(ErrorCode::kInvalidArgument, "quantity is too large");
  if (in.note.size() > 500) return make_error(ErrorCode::kInvalidArgument, "note is longer than 500 bytes");
  const UnixSeconds now = deps_.clock.now();
  store::Package p;
  p.tenant_id = tenant_id;
  p.package_id = store::new_id("pkg_");
  op.write.name_audit_target("package_id", p.package_id);
  p.kind = in.kind;
  p.quantity = in.quantity;
  // The term starts at the service activation date, or at the purchase if
  // later (docs/metering.md "Service activation"); before the tenant is
  // activated it starts now and moves to the activation date then.
  DUET_ASSIGN_OR_RETURN(store::Tenant tenant, stores_.tenants.get_tenant(tenant_id));
  UnixSeconds default_start = now;
  if (tenant.production_active_from) default_start = std::max(now, *tenant.production_active_from);
  p.starts_at = in.starts_at.value_or(default_start);
  if (p.starts_at < 0 || p.starts_at > now + 10LL * 366 * 86'400)
    return make_error(ErrorCode::kInvalidArgument, "starts_at is out of range");
  p.expires_at = one_year_after(p.starts_at);
  p.source = "purchase";
  p.note = in.note;
  p.created_at = now;
  DUET_TRY_STATUS(stores_.metering.add_package(op.write, p));
  return p;
}

Result<std::vector<store::Package>> MeteringService::list_packages(const OperatorContext&,
                                                                   const std::string& tenant_id) {
  DUET_TRY_STATUS(stores_.tenants.get_tenant(tenant_id));  // kNotFound for an unknown tenant
  return stores_.metering.list_packages(tenant_id);
}

Result<IssuedNotifyTarget> MeteringService::set_notify_url(const OperatorContext& op, const std::string& tenant_id,
                                                           const std::string& url) {
  if (!url.empty() && (url.size() > 2048 || (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)))
    return make_error(ErrorCode::kInvalidArgument, "notify_url must be an http(s) URL");
  store::TenantNotifyTarget t;
  t.tenant_id = tenant_id;
  t.url = url;
  t.updated_at = deps_.clock.now();
  IssuedNotifyTarget out{url, ""};
  if (!url.empty()) {
    Bytes raw(32);
    deps_.rng.fill(raw);
    out.secret = to_hex(raw);
    secure_wipe(raw.data(), raw.size());
    DUET_ASSIGN_OR_RETURN(t.secret_ciphertext, deps_.protector.seal("notify_secret:" + tenant_id, as_bytes(out.secret)));
  }
  DUET_TRY_STATUS(stores_.metering.set_tenant_notify_target(op.write, t));
  return out;
}

Result<std::string> MeteringService::notify_url(const OperatorContext&, const std::string& tenant_id) {
  DUET_TRY_STATUS(stores_.tenants.get_tenant(tenant_id));
  auto t = stores_.metering.get_tenant_notify_target(tenant_id);
  if (!t.ok()) {
    if (t.code() == ErrorCode::kNotFound) return std::string();
    return Unexpected{t.error()};
  }
  return t->url;
}

Result<std::vector<store::Package>> MeteringService::tenant_packages(const AppContext& ctx) {
  return stores_.metering.list_packages(ctx.tenant_id);
}

Result<std::vector<store::Notice>> MeteringService::tenant_notices(const AppContext& ctx, size_t limit) {
  return stores_.metering.list_notices(ctx.tenant_id, limit);
}

std::optional<store::CallbackJob> make_notice_callback(const store::Notice& n, const std::string& url,
                                                       UnixSeconds now) {
  if (url.empty()) return std::nullopt;
  std::string kind(notice_kind_name(n.kind));
  nlohmann::json body = {{"event", "notice." + kind},
                         {"notice_id", n.notice_id},
                         {"package_id", n.package_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.package_id)},
                         {"kind", kind},
                         {"occurred_at", n.created_at}};
  if (n.effective_at) body["effective_at"] = *n.effective_at;
  if (!n.subject_id.empty()) body["subject_id"] = n.subject_id;
  store::CallbackJob job;
  job.tenant_id = n.tenant_id;
  job.url = url;
  job.payload = body.dump();
  job.next_attempt_at = now;
  job.created_at = now;
  return job;
}

Result<size_t> sweep_package_notices(CoreDeps& deps, const store::WriteContext& write, size_t limit) {
  const UnixSeconds now = deps.clock.now();
  DUET_ASSIGN_OR_RETURN(auto inserted, deps.store.sweep_package_notices(
                                           write, now, limit, [now](const store::Notice& n, const std::string& url) {
                                             return make_notice_callback(n, url, now);
                                           }));
  return inserted.size();
}

}  // namespace duet::core
