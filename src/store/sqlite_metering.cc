#include "store/sqlite_metering.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/ids.h"
#include "store/metering_steps.h"
#include "store/sqlite_db.h"
#include "store/sqlite_row.h"
#include "store/validate.h"

namespace duet::store::sqlite {
namespace {

using record_text::notice_kind_text;
using record_text::package_kind_text;

Status invalid(std::string_view what) { return make_error(ErrorCode::kInvalidArgument, std::string(what)); }

// Inserts the (package, kind) notice unless it exists. Returns whether it was new.
Result<bool> insert_notice(Connection& c, std::string_view tenant, std::string_view package_id, NoticeKind kind,
                           UnixSeconds now, Notice* out = nullptr) {
  Notice n = new_notice(tenant, package_id, kind, now);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertPackageNotice.sqlite()));
  st.bind(1, n.tenant_id).bind(2, n.notice_id).bind(3, n.package_id).bind(4, notice_kind_text(kind)).bind(5, now);
  DUET_TRY_STATUS(st.run());
  bool inserted = c.changes() == 1;
  if (inserted && out) *out = n;
  return inserted;
}

// The typed reads of the quota rule (store/quota_order.h), inside the
// caller's transaction. SQLite has one writer at a time, so what is read
// here is what the plan's conditional updates find.
class Reads final : public QuotaReads {
 public:
  Reads(Connection& c, std::string_view tenant, UnixSeconds now) : c_(c), tenant_(tenant), now_(now) {}

  Result<bool> any_usable(PackageKind kind) override {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c_, kAnyUsablePackage.sqlite()));
    st.bind(1, tenant_).bind(2, package_kind_text(kind)).bind(3, now_);
    return st.step();
  }

  Result<std::vector<QuotaBalance>> balances(PackageKind kind) override {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c_,
        "SELECT package_id, quantity, used, expires_at FROM packages WHERE tenant_id = ?1 AND kind = ?2 "
        "AND starts_at <= ?3 AND expires_at > ?3 AND used < quantity"));
    st.bind(1, tenant_).bind(2, package_kind_text(kind)).bind(3, now_);
    std::vector<QuotaBalance> out;
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(QuotaBalance{st.column_text(0), st.column_int(1), st.column_int(2), st.column_int(3)});
    }
    return out;
  }

 private:
  Connection& c_;
  std::string_view tenant_;
  UnixSeconds now_;
};

// The metering statements (store/metering_steps.h) on one connection.
class Statements final : public MeteringStatements {
 public:
  Statements(Connection& c, const QuotaOrderRule& rule) : c_(c), rule_(rule) {}

  Result<std::optional<AppEnvironment>> app_environment(std::string_view tenant_id,
                                                        std::string_view app_id) override {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c_, kAppEnvironment.sqlite()));
    st.bind(1, tenant_id).bind(2, app_id);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return std::optional<AppEnvironment>();
    return std::optional<AppEnvironment>(st.column_text(0) == "production" ? AppEnvironment::kProduction
                                                                           : AppEnvironment::kSandbox);
  }

  // One writer at a time: nothing to lock, whether the plan is applied or not.
  Result<QuotaPlan> plan(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now,
                         bool /*to_apply*/) override {
    Reads reads(c_, tenant_id, now);
    return run_quota_rule(rule_, reads, kind, units);
  }

  Status take(std::string_view tenant_id, const QuotaTake& take, UnixSeconds now) override {
    const QuotaBalance& from = take.from;
    DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c_, kTakeUnits.sqlite()));
    up.bind(1, tenant_id).bind(2, from.package_id).bind(3, take.units).bind(4, from.used);
    DUET_TRY_STATUS(up.run());
    if (c_.changes() != 1) return store_error(StoreError::kConflict, "package changed meanwhile");
    for (NoticeKind kind : take.crosses) DUET_TRY_STATUS(insert_notice(c_, tenant_id, from.package_id, kind, now));
    return Status::Ok();
  }

  Status record(const UsageRecord& u) override {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c_, kInsertUsage.sqlite()));
    st.bind(1, u.tenant_id).bind(2, u.usage_id).bind(3, u.package_id).bind(4, package_kind_text(u.kind))
        .bind(5, u.order_id).bind(6, u.item_index).bind(7, u.holder_id).bind(8, u.counted_at);
    return st.run();
  }

 private:
  Connection& c_;
  const QuotaOrderRule& rule_;
};

}  // namespace

Status add_package(Connection& c, const Package& p) {
  DUET_TRY_STATUS(validate_package(p));
  DUET_ASSIGN_OR_RETURN(Statement t, Statement::prepare(c, kTenantExists.sqlite()));
  t.bind(1, p.tenant_id);
  DUET_ASSIGN_OR_RETURN(bool tenant_found, t.step());
  if (!tenant_found) return store_error(StoreError::kNotFound, "tenant not found");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertPackage.sqlite()));
  st.bind(1, p.tenant_id).bind(2, p.package_id).bind(3, package_kind_text(p.kind)).bind(4, p.quantity).bind(5, p.starts_at)
      .bind(6, p.expires_at).bind(7, p.source).bind(8, p.note).bind(9, p.created_at);
  return st.run();
}

Result<std::vector<Package>> list_packages(Connection& c, std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kPackageCols) + " FROM packages WHERE tenant_id = ?1 ORDER BY expires_at, package_id"));
  st.bind(1, tenant_id);
  return read_rows<Package>(st, read_package);
}

Result<Package> get_package(Connection& c, std::string_view tenant_id, std::string_view package_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kPackageCols) + " FROM packages WHERE tenant_id = ?1 AND package_id = ?2"));
  st.bind(1, tenant_id).bind(2, package_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kNotFound, "package not found");
  return read_package(as_row(st));
}

Status check_quota(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id, PackageKind kind,
                   int64_t units, UnixSeconds now) {
  Statements statements(c, rule);
  return require_quota(statements, tenant_id, kind, units, now);
}

Status check_order_quota(Connection& c, const QuotaOrderRule& rule, const SignOrder& o) {
  if (o.kind != OrderKind::kSign) return Status::Ok();
  Statements statements(c, rule);
  DUET_ASSIGN_OR_RETURN(std::optional<AppEnvironment> env, statements.app_environment(o.tenant_id, o.app_id));
  return require_order_quota(statements, o, env);
}

Status meter_finished_order(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id,
                            std::string_view order_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Statement o, Statement::prepare(c,
      "SELECT o.kind, o.holder_id, a.environment FROM sign_orders o JOIN apps a ON a.tenant_id = o.tenant_id AND "
      "a.app_id = o.app_id WHERE o.tenant_id = ?1 AND o.order_id = ?2"));
  o.bind(1, tenant_id).bind(2, order_id);
  DUET_ASSIGN_OR_RETURN(bool row, o.step());
  if (!row) return store_error(StoreError::kNotFound, "order not found");
  if (o.column_text(0) != "sign" || o.column_text(2) != "production") return Status::Ok();
  const std::string holder_id = o.column_text(1);

  // The items not counted yet (a unit already recorded never counts again).
  DUET_ASSIGN_OR_RETURN(Statement items, Statement::prepare(c, kItemsNotCounted.sqlite()));
  items.bind(1, tenant_id).bind(2, order_id);
  std::vector<int64_t> pending;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool more, items.step());
    if (!more) break;
    pending.push_back(items.column_int(0));
  }
  Statements statements(c, rule);
  return meter_order_items(statements, tenant_id, order_id, holder_id, pending, now);
}

Status meter_new_holder(Connection& c, const QuotaOrderRule& rule, const Holder& h) {
  Statements statements(c, rule);
  return meter_holder(statements, h);
}

Result<std::vector<UsageRecord>> list_usage_records(Connection& c, std::string_view tenant_id, UnixSeconds from,
                                                    UnixSeconds to, size_t limit) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kUsageCols) + " FROM usage_records WHERE tenant_id = ?1 AND counted_at >= ?2 "
      "AND counted_at < ?3 ORDER BY counted_at, usage_id LIMIT ?4"));
  st.bind(1, tenant_id).bind(2, from).bind(3, to)
      .bind(4, clamp_limit(limit));
  return read_rows<UsageRecord>(st, read_usage);
}

Result<int64_t> count_usage(Connection& c, std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                            UnixSeconds to) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kCountUsage.sqlite()));
  st.bind(1, tenant_id).bind(2, package_kind_text(kind)).bind(3, from).bind(4, to);
  DUET_TRY_STATUS(st.step());
  return st.column_int(0);
}

Result<size_t> prune_usage_records(Connection& c, UnixSeconds before, UnixSeconds now) {
  DUET_TRY_STATUS(check_usage_prune(before, now));
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kPruneUsage.sqlite()));
  st.bind(1, before);
  DUET_TRY_STATUS(st.run());
  return static_cast<size_t>(c.changes());
}

Result<std::vector<Notice>> list_notices(Connection& c, std::string_view tenant_id, size_t limit) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kNoticeCols) + " FROM notices WHERE tenant_id = ?1 "
      "ORDER BY created_at DESC, notice_id DESC LIMIT ?2"));
  st.bind(1, tenant_id).bind(2, clamp_limit(limit));
  return read_rows<Notice>(st, read_notice);
}

Result<std::vector<Notice>> sweep_package_notices(Connection& c, UnixSeconds now, size_t limit,
                                                  const Store::NoticeCallbackFactory& make_callback) {
  const auto lim = clamp_limit(limit);
  // 1. Expiry notices: the latest applicable kind of each package near or past its end.
  std::vector<std::pair<std::string, std::string>> due;  // (tenant, package)
  std::vector<NoticeKind> due_kind;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT tenant_id, package_id, expires_at FROM packages p WHERE expires_at <= ?1 + ?2 AND NOT EXISTS "
        "(SELECT 1 FROM notices n WHERE n.tenant_id = p.tenant_id AND n.package_id = p.package_id AND n.kind = "
        "CASE WHEN p.expires_at <= ?1 THEN 'ended' WHEN p.expires_at <= ?1 + ?3 THEN 'expiring_7d' "
        "ELSE 'expiring_30d' END) ORDER BY expires_at, tenant_id, package_id LIMIT ?4"));
    st.bind(1, now).bind(2, 30 * kDay).bind(3, 7 * kDay).bind(4, lim);
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      const UnixSeconds expires_at = st.column_int(2);
      due.emplace_back(st.column_text(0), st.column_text(1));
      due_kind.push_back(expiry_notice_kind(expires_at, now));
    }
  }
  std::vector<Notice> inserted;
  for (size_t i = 0; i < due.size(); ++i) {
    Notice n;
    DUET_ASSIGN_OR_RETURN(bool is_new, insert_notice(c, due[i].first, due[i].second, due_kind[i], now, &n));
    if (is_new) inserted.push_back(std::move(n));
  }

  // 2. Webhooks for pending notices.
  std::vector<std::pair<Notice, std::string>> pending;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT n.tenant_id, n.notice_id, n.package_id, n.kind, n.created_at, n.webhook_state, n.effective_at, "
        "n.subject_id, t.url FROM notices n LEFT JOIN tenant_notify_targets t ON t.tenant_id = n.tenant_id "
        "WHERE n.webhook_state = 'pending' ORDER BY n.created_at, n.tenant_id, n.notice_id LIMIT ?1"));
    st.bind(1, lim);
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      DUET_ASSIGN_OR_RETURN(Notice n, read_notice(as_row(st)));
      pending.emplace_back(std::move(n), st.column_text(8));
    }
  }
  for (const auto& [n, url] : pending) {
    std::optional<CallbackJob> job;
    if (!url.empty() && make_callback) job = make_callback(n, url);
    // The conditional update first: only the sweep that moves the notice
    // out of "pending" queues its job (never twice).
    DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c, kClaimNotice.sqlite()));
    up.bind(1, n.tenant_id).bind(2, n.notice_id).bind(3, job ? "queued" : "none");
    DUET_TRY_STATUS(up.run());
    if (c.changes() != 1 || !job) continue;
    if (job->job_id.empty()) job->job_id = new_id("cbk_");
    DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c, kInsertNoticeCallback.sqlite()));
    ins.bind(1, n.tenant_id).bind(2, job->job_id).bind(3, url).bind(4, job->payload)
        .bind(5, job->next_attempt_at).bind(6, now);
    DUET_TRY_STATUS(ins.run());
  }
  return inserted;
}

Status set_tenant_notify_target(Connection& c, const TenantNotifyTarget& t) {
  if (t.tenant_id.empty()) return invalid("tenant id is empty");
  DUET_ASSIGN_OR_RETURN(Statement ten, Statement::prepare(c, kTenantExists.sqlite()));
  ten.bind(1, t.tenant_id);
  DUET_ASSIGN_OR_RETURN(bool found, ten.step());
  if (!found) return store_error(StoreError::kNotFound, "tenant not found");
  if (t.url.empty()) {
    DUET_ASSIGN_OR_RETURN(Statement del, Statement::prepare(c, kDeleteNotifyTarget.sqlite()));
    del.bind(1, t.tenant_id);
    return del.run();
  }
  if (t.secret_ciphertext.empty()) return invalid("notify secret is empty");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kUpsertNotifyTarget.sqlite()));
  st.bind(1, t.tenant_id).bind(2, t.url).bind(3, t.secret_ciphertext).bind(4, t.updated_at);
  return st.run();
}

Result<Notice> set_tenant_signature_v1_cutoff(Connection& c, std::string_view tenant_id, UnixSeconds cutoff,
                                              UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c, kSetSignatureV1Cutoff.sqlite()));
  up.bind(1, tenant_id).bind(2, cutoff);
  DUET_TRY_STATUS(up.run());
  if (c.changes() != 1) return store_error(StoreError::kNotFound, "tenant not found");
  Notice n = new_notice(tenant_id, "", NoticeKind::kSignatureV1Cutoff, now);
  n.effective_at = cutoff;
  DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c, kInsertTenantNotice.sqlite()));
  ins.bind(1, n.tenant_id).bind(2, n.notice_id).bind(3, notice_kind_text(n.kind)).bind(4, now).bind(5, cutoff);
  DUET_TRY_STATUS(ins.run());
  return n;
}

Result<TenantNotifyTarget> get_tenant_notify_target(Connection& c, std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kNotifyTargetCols) + " FROM tenant_notify_targets WHERE tenant_id = ?1"));
  st.bind(1, tenant_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kNotFound, "notify target not found");
  return read_notify_target(as_row(st));
}

}  // namespace duet::store::sqlite
