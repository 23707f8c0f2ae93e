#include "store/sqlite_sla.h"

#include <string>

#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/sqlite_db.h"
#include "store/sqlite_metering.h"
#include "store/sqlite_row.h"
#include "store/store_error.h"
#include "store/validate.h"

namespace duet::store::sqlite {
namespace {

Unexpected invalid(std::string_view what) { return make_error(ErrorCode::kInvalidArgument, std::string(what)); }
Unexpected not_found(std::string_view what) {
  return store_error(StoreError::kNotFound, std::string(what) + " not found");
}
Unexpected corrupt(std::string_view what) { return store_error(StoreError::kCorrupt, what); }

using record_text::sla_credit_kind_text;

Result<std::optional<SlaCredit>> credit_for(Connection& c, std::string_view tenant_id, std::string_view month,
                                            SlaCreditKind kind) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT " + std::string(kCreditCols) +
      " FROM sla_credits WHERE tenant_id = ?1 AND month = ?2 AND kind = ?3"));
  st.bind(1, tenant_id).bind(2, month).bind(3, sla_credit_kind_text(kind));
  DUET_ASSIGN_OR_RETURN(std::vector<SlaCredit> v, read_rows<SlaCredit>(st, read_credit));
  if (v.empty()) return std::optional<SlaCredit>();
  return std::optional<SlaCredit>(std::move(v.front()));
}

}  // namespace

// --- availability ---------------------------------------------------------------


Status add_availability(Connection& c, const std::vector<AvailabilityMinute>& deltas) {
  DUET_TRY_STATUS(validate_availability(deltas));
  for (const auto& d : deltas) {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO availability_minutes (tenant_id, minute, requests, normal, total_us, max_us, probes_ok, "
        "probes_failed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (tenant_id, minute) DO UPDATE SET "
        "requests = requests + excluded.requests, normal = normal + excluded.normal, "
        "total_us = total_us + excluded.total_us, max_us = MAX(max_us, excluded.max_us), "
        "probes_ok = probes_ok + excluded.probes_ok, probes_failed = probes_failed + excluded.probes_failed"));
    st.bind(1, d.tenant_id).bind(2, d.minute).bind(3, d.requests).bind(4, d.normal).bind(5, d.total_us)
        .bind(6, d.max_us).bind(7, d.probes_ok).bind(8, d.probes_failed);
    DUET_TRY_STATUS(st.run());
  }
  return Status::Ok();
}

Result<std::vector<AvailabilityMinute>> list_availability(Connection& c, std::string_view tenant_id,
                                                          UnixSeconds from, UnixSeconds to) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT " + std::string(kMinuteCols) +
      " FROM availability_minutes WHERE tenant_id = ?1 AND minute >= ?2 AND minute < ?3 ORDER BY minute"));
  st.bind(1, tenant_id).bind(2, from).bind(3, to);
  return read_rows<AvailabilityMinute>(st, read_minute);
}

Result<std::optional<UnixSeconds>> first_availability_minute(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st,
                        Statement::prepare(c, kFirstAvailabilityMinute.sqlite()));
  DUET_TRY_STATUS(st.step());
  return st.column_optional_int(0);
}

// --- maintenance windows --------------------------------------------------------

Status create_maintenance_window(Connection& c, const MaintenanceWindow& w) {
  DUET_TRY_STATUS(validate_maintenance_window(w));
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertMaintenanceWindow.sqlite()));
  st.bind(1, w.window_id).bind(2, w.starts_at).bind(3, w.ends_at).bind(4, w.announced_at).bind(5, w.description)
      .bind(6, w.created_by).bind(7, w.kind);
  return st.run();
}

Result<MaintenanceWindow> get_maintenance_window(Connection& c, std::string_view window_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT " + std::string(kWindowCols) +
      " FROM maintenance_windows WHERE window_id = ?1"));
  st.bind(1, window_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return not_found("maintenance window");
  return read_window(as_row(st));
}

Result<std::vector<MaintenanceWindow>> list_maintenance_windows(Connection& c, UnixSeconds from, UnixSeconds to) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT " + std::string(kWindowCols) +
      " FROM maintenance_windows WHERE starts_at < ?2 AND ends_at > ?1 ORDER BY starts_at, window_id"));
  st.bind(1, from).bind(2, to);
  return read_rows<MaintenanceWindow>(st, read_window);
}

Status delete_maintenance_window(Connection& c, std::string_view window_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Statement st,
                        Statement::prepare(c, kDeleteFutureWindow.sqlite()));
  st.bind(1, window_id).bind(2, now);
  DUET_TRY_STATUS(st.run());
  if (c.changes() == 1) return Status::Ok();
  DUET_TRY_STATUS(get_maintenance_window(c, window_id));
  return store_error(StoreError::kConflict, "the maintenance window has started and can no longer be deleted");
}

// --- credits --------------------------------------------------------------------


Result<SlaCredit> propose_sla_credit(Connection& c, const SlaCredit& credit) {
  DUET_TRY_STATUS(validate_sla_credit(credit));
  DUET_ASSIGN_OR_RETURN(std::optional<SlaCredit> existing, credit_for(c, credit.tenant_id, credit.month, credit.kind));
  if (existing) {
    if (existing->state == SlaCreditState::kApproved) return *existing;
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE sla_credits SET band = ?3, amount = ?4, basis = ?5, updated_at = ?6 "
        "WHERE tenant_id = ?1 AND credit_id = ?2 AND state = 'proposed'"));
    st.bind(1, existing->tenant_id).bind(2, existing->credit_id).bind(3, credit.band).bind(4, credit.amount)
        .bind(5, credit.basis).bind(6, credit.updated_at);
    DUET_TRY_STATUS(st.run());
  } else {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO sla_credits (tenant_id, credit_id, month, kind, band, amount, basis, state, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'proposed', ?8, ?9)"));
    st.bind(1, credit.tenant_id).bind(2, credit.credit_id).bind(3, credit.month).bind(4, sla_credit_kind_text(credit.kind))
        .bind(5, credit.band).bind(6, credit.amount).bind(7, credit.basis).bind(8, credit.created_at)
        .bind(9, credit.updated_at);
    DUET_TRY_STATUS(st.run());
  }
  DUET_ASSIGN_OR_RETURN(std::optional<SlaCredit> stored, credit_for(c, credit.tenant_id, credit.month, credit.kind));
  if (!stored) return corrupt("credit vanished");
  return *stored;
}

Status withdraw_sla_credit(Connection& c, std::string_view tenant_id, std::string_view month, SlaCreditKind kind) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kWithdrawCredit.sqlite()));
  st.bind(1, tenant_id).bind(2, month).bind(3, sla_credit_kind_text(kind));
  return st.run();
}

Result<SlaCredit> find_sla_credit(Connection& c, std::string_view credit_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT " + std::string(kCreditCols) +
      " FROM sla_credits WHERE credit_id = ?1"));
  st.bind(1, credit_id);
  DUET_ASSIGN_OR_RETURN(std::vector<SlaCredit> v, read_rows<SlaCredit>(st, read_credit));
  if (v.empty()) return not_found("credit");
  return std::move(v.front());
}

Result<std::vector<SlaCredit>> list_sla_credits(Connection& c, std::string_view tenant_id, std::string_view month) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT " + std::string(kCreditCols) +
      " FROM sla_credits WHERE (?1 = '' OR tenant_id = ?1) AND (?2 = '' OR month = ?2) "
      "ORDER BY month, tenant_id, kind"));
  st.bind(1, tenant_id).bind(2, month);
  return read_rows<SlaCredit>(st, read_credit);
}

Status approve_sla_credit(Connection& c, std::string_view credit_id, std::string_view approved_by, UnixSeconds now,
                          const Package& bonus) {
  DUET_ASSIGN_OR_RETURN(SlaCredit credit, find_sla_credit(c, credit_id));
  if (bonus.package_id.empty()) return invalid("the bonus package needs an id");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kApproveCredit.sqlite()));
  st.bind(1, credit.tenant_id).bind(2, credit.credit_id).bind(3, now).bind(4, approved_by).bind(5, bonus.package_id);
  DUET_TRY_STATUS(st.run());
  if (c.changes() != 1) return store_error(StoreError::kConflict, "the credit was already approved");
  Package p = bonus;
  p.tenant_id = credit.tenant_id;
  p.source = "sla_credit";
  return add_package(c, p);
}

// --- rate limits ----------------------------------------------------------------

Result<int64_t> hit_rate_window(Connection& c, std::string_view tenant_id, std::string_view key,
                                UnixSeconds window_start) {
  DUET_TRY_STATUS(validate_rate_window(tenant_id, key));
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "INSERT INTO rate_windows (tenant_id, scope_key, window_start, count) VALUES (?1, ?2, ?3, 1) "
      "ON CONFLICT (tenant_id, scope_key, window_start) DO UPDATE SET count = count + 1 RETURNING count"));
  st.bind(1, tenant_id).bind(2, key).bind(3, window_start);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return corrupt("rate window upsert returned no row");
  return st.column_int(0);
}

Result<size_t> prune_rate_windows(Connection& c, UnixSeconds before) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kPruneRateWindows.sqlite()));
  st.bind(1, before);
  DUET_TRY_STATUS(st.run());
  return static_cast<size_t>(c.changes());
}

Status set_tenant_rate_limit(Connection& c, std::string_view tenant_id, int64_t requests_per_second, UnixSeconds now) {
  DUET_TRY_STATUS(validate_rate_limit(requests_per_second));
  DUET_ASSIGN_OR_RETURN(Statement t, Statement::prepare(c, kTenantExists.sqlite()));
  t.bind(1, tenant_id);
  DUET_ASSIGN_OR_RETURN(bool found, t.step());
  if (!found) return not_found("tenant");
  if (requests_per_second == 0) {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kDeleteTenantRateLimit.sqlite()));
    st.bind(1, tenant_id);
    return st.run();
  }
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kUpsertTenantRateLimit.sqlite()));
  st.bind(1, tenant_id).bind(2, requests_per_second).bind(3, now);
  return st.run();
}

Result<std::vector<TenantRateLimit>> list_tenant_rate_limits(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kRateLimitCols) + " FROM tenant_rate_limits ORDER BY tenant_id"));
  return read_rows<TenantRateLimit>(st, read_rate_limit);
}

}  // namespace duet::store::sqlite
