// Availability minutes, maintenance windows, SLA credits and rate-limit
// windows on PostgreSQL (schema v9); mirrors sqlite_sla.cc. Counters are
// single-statement upserts (concurrent writers on every node add up; none is
// lost); a credit proposal is an insert-or-conditional-update, so concurrent
// proposals for one (tenant, month, kind) never collide on its unique key.
#include <algorithm>
#include <string>

#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/pg_areas.h"
#include "store/pg_db.h"
#include "store/pg_util.h"
#include "store/validate.h"

namespace duet::store::pg {
namespace {

using record_text::sla_credit_kind_text;

Result<std::optional<SlaCredit>> credit_for(Connection& c, std::string_view tenant_id, std::string_view month,
                                            SlaCreditKind kind) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kCreditCols) +
                                            " FROM sla_credits WHERE tenant_id = $1 AND month = $2 AND kind = $3",
                                        {tenant_id, month, sla_credit_kind_text(kind)}));
  DUET_ASSIGN_OR_RETURN(std::vector<SlaCredit> v, read_rows<SlaCredit>(r, read_credit));
  if (v.empty()) return std::optional<SlaCredit>();
  return std::optional<SlaCredit>(std::move(v.front()));
}

}  // namespace

// --- availability ---------------------------------------------------------------

Status add_availability(Connection& c, const std::vector<AvailabilityMinute>& deltas) {
  DUET_TRY_STATUS(validate_availability(deltas));
  // Rows locked in one order (tenant, minute) by every writer: no deadlock.
  std::vector<const AvailabilityMinute*> sorted;
  for (const auto& d : deltas) sorted.push_back(&d);
  std::sort(sorted.begin(), sorted.end(), [](const AvailabilityMinute* a, const AvailabilityMinute* b) {
    return a->tenant_id != b->tenant_id ? a->tenant_id < b->tenant_id : a->minute < b->minute;
  });
  for (const AvailabilityMinute* p : sorted) {
    const AvailabilityMinute& d = *p;
    DUET_TRY_STATUS(run(c,
        "INSERT INTO availability_minutes AS a (tenant_id, minute, requests, normal, total_us, max_us, probes_ok, "
        "probes_failed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, minute) DO UPDATE SET "
        "requests = a.requests + excluded.requests, normal = a.normal + excluded.normal, "
        "total_us = a.total_us + excluded.total_us, max_us = GREATEST(a.max_us, excluded.max_us), "
        "probes_ok = a.probes_ok + excluded.probes_ok, probes_failed = a.probes_failed + excluded.probes_failed",
        {d.tenant_id, d.minute, d.requests, d.normal, d.total_us, d.max_us, d.probes_ok, d.probes_failed}));
  }
  return Status::Ok();
}

Result<std::vector<AvailabilityMinute>> list_availability(Connection& c, std::string_view tenant_id,
                                                          UnixSeconds from, UnixSeconds to) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kMinuteCols) +
      " FROM availability_minutes WHERE tenant_id = $1 AND minute >= $2 AND minute < $3 ORDER BY minute",
      {tenant_id, from, to}));
  return read_rows<AvailabilityMinute>(r, read_minute);
}

Result<std::optional<UnixSeconds>> first_availability_minute(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kFirstAvailabilityMinute.pg()));
  return r.optional_int(0, 0);
}

// --- maintenance windows --------------------------------------------------------

Status create_maintenance_window(Connection& c, const MaintenanceWindow& w) {
  DUET_TRY_STATUS(validate_maintenance_window(w));
  return run(c, kInsertMaintenanceWindow.pg(),
      {w.window_id, w.starts_at, w.ends_at, w.announced_at, w.description, w.created_by, w.kind});
}

Result<MaintenanceWindow> get_maintenance_window(Connection& c, std::string_view window_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kWindowCols) +
                                            " FROM maintenance_windows WHERE window_id = $1",
                                        {window_id}));
  if (r.empty()) return not_found("maintenance window");
  return read_window(Row(r, 0));
}

Result<std::vector<MaintenanceWindow>> list_maintenance_windows(Connection& c, UnixSeconds from, UnixSeconds to) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kWindowCols) +
      " FROM maintenance_windows WHERE starts_at < $2 AND ends_at > $1 ORDER BY starts_at, window_id",
      {from, to}));
  return read_rows<MaintenanceWindow>(r, read_window);
}

Status delete_maintenance_window(Connection& c, std::string_view window_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kDeleteFutureWindow.pg(), {window_id, now}));
  if (n == 1) return Status::Ok();
  DUET_TRY_STATUS(get_maintenance_window(c, window_id));
  return conflict("the maintenance window has started and can no longer be deleted");
}

// --- credits --------------------------------------------------------------------

Result<SlaCredit> propose_sla_credit(Connection& c, const SlaCredit& credit) {
  DUET_TRY_STATUS(validate_sla_credit(credit));
  DUET_ASSIGN_OR_RETURN(int64_t inserted, changes(c,
      "INSERT INTO sla_credits (tenant_id, credit_id, month, kind, band, amount, basis, state, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, $9) "
      "ON CONFLICT (tenant_id, month, kind) DO NOTHING",
      {credit.tenant_id, credit.credit_id, credit.month, sla_credit_kind_text(credit.kind), credit.band, credit.amount,
       credit.basis, credit.created_at, credit.updated_at}));
  if (inserted == 0) {
    // One exists: a proposed one takes the new figures, an approved one stays.
    DUET_TRY_STATUS(run(c,
        "UPDATE sla_credits SET band = $4, amount = $5, basis = $6, updated_at = $7 "
        "WHERE tenant_id = $1 AND month = $2 AND kind = $3 AND state = 'proposed'",
        {credit.tenant_id, credit.month, sla_credit_kind_text(credit.kind), credit.band, credit.amount, credit.basis,
         credit.updated_at}));
  }
  DUET_ASSIGN_OR_RETURN(std::optional<SlaCredit> stored, credit_for(c, credit.tenant_id, credit.month, credit.kind));
  if (!stored) return corrupt("credit vanished");
  return *stored;
}

Status withdraw_sla_credit(Connection& c, std::string_view tenant_id, std::string_view month, SlaCreditKind kind) {
  return run(c, kWithdrawCredit.pg(), {tenant_id, month, sla_credit_kind_text(kind)});
}

Result<SlaCredit> find_sla_credit(Connection& c, std::string_view credit_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kCreditCols) + " FROM sla_credits WHERE credit_id = $1",
                                        {credit_id}));
  DUET_ASSIGN_OR_RETURN(std::vector<SlaCredit> v, read_rows<SlaCredit>(r, read_credit));
  if (v.empty()) return not_found("credit");
  return std::move(v.front());
}

Result<std::vector<SlaCredit>> list_sla_credits(Connection& c, std::string_view tenant_id, std::string_view month) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kCreditCols) +
      " FROM sla_credits WHERE ($1::text = '' OR tenant_id = $1::text) AND ($2::text = '' OR month = $2::text) "
      "ORDER BY month, tenant_id, kind",
      {tenant_id, month}));
  return read_rows<SlaCredit>(r, read_credit);
}

Status approve_sla_credit(Connection& c, std::string_view credit_id, std::string_view approved_by, UnixSeconds now,
                          const Package& bonus) {
  DUET_ASSIGN_OR_RETURN(SlaCredit credit, find_sla_credit(c, credit_id));
  if (bonus.package_id.empty()) return invalid("the bonus package needs an id");
  // Concurrent approvers queue on the row; the loser finds it approved.
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kApproveCredit.pg(),
      {credit.tenant_id, credit.credit_id, now, approved_by, bonus.package_id}));
  if (n != 1) return conflict("the credit was already approved");
  Package p = bonus;
  p.tenant_id = credit.tenant_id;
  p.source = "sla_credit";
  return add_package(c, p);
}

// --- rate limits ----------------------------------------------------------------

Result<int64_t> hit_rate_window(Connection& c, std::string_view tenant_id, std::string_view key,
                                UnixSeconds window_start) {
  DUET_TRY_STATUS(validate_rate_window(tenant_id, key));
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "INSERT INTO rate_windows AS w (tenant_id, scope_key, window_start, count) VALUES ($1, $2, $3, 1) "
      "ON CONFLICT (tenant_id, scope_key, window_start) DO UPDATE SET count = w.count + 1 RETURNING count",
      {tenant_id, key, window_start}));
  if (r.empty()) return corrupt("rate window upsert returned no row");
  return r.get_int(0, 0);
}

Result<size_t> prune_rate_windows(Connection& c, UnixSeconds before) {
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kPruneRateWindows.pg(), {before}));
  return static_cast<size_t>(n);
}

Status set_tenant_rate_limit(Connection& c, std::string_view tenant_id, int64_t requests_per_second, UnixSeconds now) {
  DUET_TRY_STATUS(validate_rate_limit(requests_per_second));
  DUET_ASSIGN_OR_RETURN(Rows t, c.query(kTenantExists.pg(), {tenant_id}));
  if (t.empty()) return not_found("tenant");
  if (requests_per_second == 0) return run(c, kDeleteTenantRateLimit.pg(), {tenant_id});
  return run(c, kUpsertTenantRateLimit.pg(), {tenant_id, requests_per_second, now});
}

Result<std::vector<TenantRateLimit>> list_tenant_rate_limits(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kRateLimitCols) + " FROM tenant_rate_limits ORDER BY tenant_id"));
  return read_rows<TenantRateLimit>(r, read_rate_limit);
}

}  // namespace duet::store::pg
