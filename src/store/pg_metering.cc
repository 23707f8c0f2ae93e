// Packages, metering and notices on PostgreSQL (schema v7); mirrors
// sqlite_metering.cc. The consumption order is core's rule
// (store/quota_order.h). Concurrency on top of SQLite's rules: the packages a
// metered unit is taken from are locked (SELECT ... FOR UPDATE, in one order:
// expiry, then id) while the plan is made, so concurrent finishes on several
// nodes queue on them instead of losing a conditional update; pending notices
// are claimed with FOR UPDATE SKIP LOCKED so one sweeper sends each webhook.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/ids.h"
#include "store/metering_steps.h"
#include "store/pg_areas.h"
#include "store/pg_db.h"
#include "store/pg_util.h"
#include "store/validate.h"

namespace duet::store::pg {
namespace {

using record_text::notice_kind_text;
using record_text::package_kind_text;

Result<bool> insert_notice(Connection& c, std::string_view tenant, std::string_view package_id, NoticeKind kind,
                           UnixSeconds now, Notice* out = nullptr) {
  Notice n = new_notice(tenant, package_id, kind, now);
  DUET_ASSIGN_OR_RETURN(int64_t changed, changes(c, kInsertPackageNotice.pg(),
      {n.tenant_id, n.notice_id, n.package_id, notice_kind_text(kind), now}));
  if (changed == 1 && out) *out = n;
  return changed == 1;
}

// The typed reads of the quota rule (store/quota_order.h), inside the
// caller's transaction. With `lock` (metering, not check_quota) the balances
// are locked FOR UPDATE in one order (expiry, then id, so two meters never
// deadlock): concurrent meters on several nodes queue on them, and the
// plan's conditional updates find the balances the rule was given.
class Reads final : public QuotaReads {
 public:
  Reads(Connection& c, std::string_view tenant, UnixSeconds now, bool lock)
      : c_(c), tenant_(tenant), now_(now), lock_(lock) {}

  Result<bool> any_usable(PackageKind kind) override {
    DUET_ASSIGN_OR_RETURN(Rows r, c_.query(kAnyUsablePackage.pg(), {tenant_, package_kind_text(kind), now_}));
    return !r.empty();
  }

  Result<std::vector<QuotaBalance>> balances(PackageKind kind) override {
    std::string sql =
        "SELECT package_id, quantity, used, expires_at FROM packages WHERE tenant_id = $1 AND kind = $2 "
        "AND starts_at <= $3 AND expires_at > $3 AND used < quantity ORDER BY expires_at, package_id";
    if (lock_) sql += " FOR UPDATE";
    DUET_ASSIGN_OR_RETURN(Rows r, c_.query(sql, {tenant_, package_kind_text(kind), now_}));
    std::vector<QuotaBalance> out;
    for (int i = 0; i < r.size(); ++i)
      out.push_back(QuotaBalance{r.text(i, 0), r.get_int(i, 1), r.get_int(i, 2), r.get_int(i, 3)});
    return out;
  }

 private:
  Connection& c_;
  std::string_view tenant_;
  UnixSeconds now_;
  bool lock_;
};

// The metering statements (store/metering_steps.h) on one connection.
class Statements final : public MeteringStatements {
 public:
  Statements(Connection& c, const QuotaOrderRule& rule) : c_(c), rule_(rule) {}

  Result<std::optional<AppEnvironment>> app_environment(std::string_view tenant_id,
                                                        std::string_view app_id) override {
    DUET_ASSIGN_OR_RETURN(Rows r, c_.query(kAppEnvironment.pg(), {tenant_id, app_id}));
    if (r.empty()) return std::optional<AppEnvironment>();
    return std::optional<AppEnvironment>(r.text(0, 0) == "production" ? AppEnvironment::kProduction
                                                                      : AppEnvironment::kSandbox);
  }

  // A plan to apply locks the balances it read (Reads, `lock`).
  Result<QuotaPlan> plan(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now,
                         bool to_apply) override {
    Reads reads(c_, tenant_id, now, /*lock=*/to_apply);
    return run_quota_rule(rule_, reads, kind, units);
  }

  Status take(std::string_view tenant_id, const QuotaTake& take, UnixSeconds now) override {
    const QuotaBalance& from = take.from;
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c_, kTakeUnits.pg(), {tenant_id, from.package_id, take.units, from.used}));
    if (n != 1) return conflict("package changed meanwhile");
    for (NoticeKind kind : take.crosses) DUET_TRY_STATUS(insert_notice(c_, tenant_id, from.package_id, kind, now));
    return Status::Ok();
  }

  Status record(const UsageRecord& u) override {
    return run(c_, kInsertUsage.pg(),
               {u.tenant_id, u.usage_id, u.package_id, package_kind_text(u.kind), u.order_id, u.item_index,
                u.holder_id, u.counted_at});
  }

 private:
  Connection& c_;
  const QuotaOrderRule& rule_;
};

}  // namespace

Status add_package(Connection& c, const Package& p) {
  DUET_TRY_STATUS(validate_package(p));
  DUET_ASSIGN_OR_RETURN(Rows t, c.query(kTenantExists.pg(), {p.tenant_id}));
  if (t.empty()) return store_error(StoreError::kNotFound, "tenant not found");
  return run(c, kInsertPackage.pg(),
      {p.tenant_id, p.package_id, package_kind_text(p.kind), p.quantity, p.starts_at, p.expires_at, p.source, p.note,
       p.created_at});
}

Result<std::vector<Package>> list_packages(Connection& c, std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kPackageCols) + " FROM packages WHERE tenant_id = $1 ORDER BY expires_at, package_id",
      {tenant_id}));
  return read_rows<Package>(r, read_package);
}

Result<Package> get_package(Connection& c, std::string_view tenant_id, std::string_view package_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kPackageCols) + " FROM packages WHERE tenant_id = $1 AND package_id = $2",
      {tenant_id, package_id}));
  if (r.empty()) return store_error(StoreError::kNotFound, "package not found");
  return read_package(Row(r, 0));
}

Status check_quota(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id, PackageKind kind,
                   int64_t units, UnixSeconds now) {
  Statements statements(c, rule);
  return require_quota(statements, tenant_id, kind, units, now);
}

Status check_order_quota(Connection& c, const QuotaOrderRule& rule, const SignOrder& o, bool app_found,
                         AppEnvironment env) {
  Statements statements(c, rule);
  return require_order_quota(statements, o, app_found ? std::optional<AppEnvironment>(env) : std::nullopt);
}

Status meter_finished_order(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id,
                            std::string_view order_id, UnixSeconds now, std::string_view kind,
                            std::string_view holder_id, std::string_view app_environment) {
  if (app_environment.empty()) return store_error(StoreError::kNotFound, "order not found");
  if (kind != "sign" || app_environment != "production") return Status::Ok();
  DUET_ASSIGN_OR_RETURN(Rows items, c.query(kItemsNotCounted.pg(), {tenant_id, order_id}));
  std::vector<int64_t> pending;
  for (int i = 0; i < items.size(); ++i) pending.push_back(items.get_int(i, 0));
  Statements statements(c, rule);
  return meter_order_items(statements, tenant_id, order_id, holder_id, pending, now);
}

Status meter_new_holder(Connection& c, const QuotaOrderRule& rule, const Holder& h) {
  Statements statements(c, rule);
  return meter_holder(statements, h);
}

Result<std::vector<UsageRecord>> list_usage_records(Connection& c, std::string_view tenant_id, UnixSeconds from,
                                                    UnixSeconds to, size_t limit) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kUsageCols) + " FROM usage_records WHERE tenant_id = $1 AND counted_at >= $2 "
      "AND counted_at < $3 ORDER BY counted_at, usage_id LIMIT $4",
      {tenant_id, from, to, clamp_limit(limit)}));
  return read_rows<UsageRecord>(r, read_usage);
}

Result<int64_t> count_usage(Connection& c, std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                            UnixSeconds to) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kCountUsage.pg(), {tenant_id, package_kind_text(kind), from, to}));
  return r.get_int(0, 0);
}

Result<size_t> prune_usage_records(Connection& c, UnixSeconds before, UnixSeconds now) {
  DUET_TRY_STATUS(check_usage_prune(before, now));
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kPruneUsage.pg(), {before}));
  return static_cast<size_t>(n);
}

Result<std::vector<Notice>> list_notices(Connection& c, std::string_view tenant_id, size_t limit) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kNoticeCols) + " FROM notices WHERE tenant_id = $1 "
      "ORDER BY created_at DESC, notice_id DESC LIMIT $2",
      {tenant_id, clamp_limit(limit)}));
  return read_rows<Notice>(r, read_notice);
}

Result<std::vector<Notice>> sweep_package_notices(Connection& c, UnixSeconds now, size_t limit,
                                                  const Store::NoticeCallbackFactory& make_callback) {
  const int64_t lim = clamp_limit(limit);
  // 1. Expiry notices: the latest applicable kind of each package near or past its end.
  DUET_ASSIGN_OR_RETURN(Rows due, c.query(
      "SELECT tenant_id, package_id, expires_at FROM packages p WHERE expires_at <= $1::bigint + $2::bigint "
      "AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.tenant_id = p.tenant_id AND n.package_id = p.package_id "
      "AND n.kind = CASE WHEN p.expires_at <= $1::bigint THEN 'ended' "
      "WHEN p.expires_at <= $1::bigint + $3::bigint THEN 'expiring_7d' "
      "ELSE 'expiring_30d' END) ORDER BY expires_at, tenant_id, package_id LIMIT $4",
      {now, 30 * kDay, 7 * kDay, lim}));
  std::vector<Notice> inserted;
  for (int i = 0; i < due.size(); ++i) {
    const UnixSeconds expires_at = due.get_int(i, 2);
    const NoticeKind kind = expiry_notice_kind(expires_at, now);
    Notice n;
    DUET_ASSIGN_OR_RETURN(bool is_new, insert_notice(c, due.text(i, 0), due.text(i, 1), kind, now, &n));
    if (is_new) inserted.push_back(std::move(n));
  }

  // 2. Webhooks for pending notices; a notice another sweeper holds is skipped.
  DUET_ASSIGN_OR_RETURN(Rows pending, c.query(
      "SELECT n.tenant_id, n.notice_id, n.package_id, n.kind, n.created_at, n.webhook_state, n.effective_at, "
      "n.subject_id, t.url FROM notices n LEFT JOIN tenant_notify_targets t ON t.tenant_id = n.tenant_id "
      "WHERE n.webhook_state = 'pending' ORDER BY n.created_at, n.tenant_id, n.notice_id LIMIT $1 "
      "FOR UPDATE OF n SKIP LOCKED",
      {lim}));
  for (int i = 0; i < pending.size(); ++i) {
    DUET_ASSIGN_OR_RETURN(Notice n, read_notice(Row(pending, i)));
    const std::string url = pending.text(i, 8);
    std::optional<CallbackJob> job;
    if (!url.empty() && make_callback) job = make_callback(n, url);
    DUET_ASSIGN_OR_RETURN(int64_t claimed, changes(c, kClaimNotice.pg(),
        {n.tenant_id, n.notice_id, job ? "queued" : "none"}));
    if (claimed != 1 || !job) continue;
    if (job->job_id.empty()) job->job_id = new_id("cbk_");
    DUET_TRY_STATUS(run(c, kInsertNoticeCallback.pg(),
        {n.tenant_id, job->job_id, url, job->payload, job->next_attempt_at, now}));
  }
  return inserted;
}

Status set_tenant_notify_target(Connection& c, const TenantNotifyTarget& t) {
  if (t.tenant_id.empty()) return invalid("tenant id is empty");
  DUET_ASSIGN_OR_RETURN(Rows ten, c.query(kTenantExists.pg(), {t.tenant_id}));
  if (ten.empty()) return store_error(StoreError::kNotFound, "tenant not found");
  if (t.url.empty()) return run(c, kDeleteNotifyTarget.pg(), {t.tenant_id});
  if (t.secret_ciphertext.empty()) return invalid("notify secret is empty");
  return run(c, kUpsertNotifyTarget.pg(), {t.tenant_id, t.url, t.secret_ciphertext, t.updated_at});
}

Result<Notice> set_tenant_signature_v1_cutoff(Connection& c, std::string_view tenant_id, UnixSeconds cutoff,
                                              UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(int64_t changed, changes(c, kSetSignatureV1Cutoff.pg(), {tenant_id, cutoff}));
  if (changed != 1) return store_error(StoreError::kNotFound, "tenant not found");
  Notice n = new_notice(tenant_id, "", NoticeKind::kSignatureV1Cutoff, now);
  n.effective_at = cutoff;
  DUET_TRY_STATUS(run(c, kInsertTenantNotice.pg(), {n.tenant_id, n.notice_id, notice_kind_text(n.kind), now, cutoff}));
  return n;
}

Result<TenantNotifyTarget> get_tenant_notify_target(Connection& c, std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kNotifyTargetCols) + " FROM tenant_notify_targets WHERE tenant_id = $1", {tenant_id}));
  if (r.empty()) return store_error(StoreError::kNotFound, "notify target not found");
  return read_notify_target(Row(r, 0));
}

}  // namespace duet::store::pg
