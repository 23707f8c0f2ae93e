#include "core/sla_service.h"

#include <algorithm>
#include <limits>

#include "core/availability_inputs.h"
#include "core/incident_service.h"
#include "core/statements.h"
#include "store/ids.h"

namespace duet::core {

SlaService::SlaService(CoreDeps deps, SlaConfig config) : deps_(deps), stores_(deps.store), config_(std::move(config)) {}
SlaService::SlaService(CoreDeps deps) : deps_(deps), stores_(deps.store) {}

bool SlaService::excluded(const store::MaintenanceWindow& w) const {
  return window_excluded(config_.calendar, w, config_.notice_working_days);
}

Result<int64_t> SlaService::monthly_average_usage(const store::Tenant& t, const MonthRange& m,
                                                  const PurchaseProfile& profile) {
  if (profile.first_signature_package_start == 0) return int64_t{0};
  int offset = config_.calendar.utc_offset_minutes;
  // Up to 12 calendar months ending with the report month, not before the
  // month of the first per-signature package.
  std::string first_month = month_of(profile.first_signature_package_start, offset);
  int64_t months = 1;
  std::string cur = m.month;
  DUET_ASSIGN_OR_RETURN(MonthRange from, month_range(cur, offset));
  while (months < 12) {
    DUET_ASSIGN_OR_RETURN(MonthRange prev, month_range(month_of(from.from - 1, offset), offset));
    if (prev.month < first_month) break;
    from = prev;
    ++months;
  }
  DUET_ASSIGN_OR_RETURN(int64_t used, stores_.metering.count_usage(t.tenant_id, store::PackageKind::kPerSignature,
                                                               from.from, m.to));
  return used / months;
}

Result<SlaMonthlyReport> SlaService::report(const store::WriteContext& write, std::string_view month,
                                            std::string_view tenant_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(MonthRange range, month_range(month, config_.calendar.utc_offset_minutes));
  SlaMonthlyReport r;
  r.month = range;
  r.targets = config_.targets;
  r.final = now >= range.to + 120;  // its last minute is complete and flushed
  DUET_ASSIGN_OR_RETURN(r.service_since, stores_.sla.first_availability_minute());
  UnixSeconds last_complete = now / 60 * 60 - 60;
  UnixSeconds from = range.from, to = std::min(range.to, last_complete);
  if (r.service_since) from = std::max(from, *r.service_since);
  else to = from;  // nothing was ever recorded: no minute to judge
  if (to < from) to = from;
  r.evaluated_to = to;

  DUET_ASSIGN_OR_RETURN(std::vector<store::MaintenanceWindow> windows,
                        stores_.sla.list_maintenance_windows(range.from, range.to));
  // Exclusions (§4.3): maintenance and fault drills announced in time, and
  // incidents with an excluded cause (core/incident_service.h).
  std::vector<SlaExclusion> exclusions;
  for (const auto& w : windows)
    if (excluded(w)) exclusions.push_back(exclusion_of_window(w));
  DUET_ASSIGN_OR_RETURN(r.incidents, stores_.incidents.list_incidents(range.from, range.to, std::nullopt));
  for (const auto& i : r.incidents)
    if (auto e = exclusion_of(i)) exclusions.push_back(*e);
  DUET_ASSIGN_OR_RETURN(std::vector<store::AvailabilityMinute> service, stores_.sla.list_availability("", from, to));
  DUET_ASSIGN_OR_RETURN(AvailabilityInputs inputs,
                        load_availability_inputs(stores_.tenants, stores_.sla, from, to, service, exclusions));
  const JudgedMinutes judged = judge_minutes(inputs);
  r.overall = figures_for(judged, from, to, "", exclusions, service);

  std::vector<store::Tenant> tenants;
  if (!tenant_id.empty()) {
    DUET_ASSIGN_OR_RETURN(store::Tenant t, stores_.tenants.get_tenant(tenant_id));
    tenants.push_back(std::move(t));
    std::erase_if(r.incidents, [&](const store::Incident& i) { return !i.tenant_id.empty() && i.tenant_id != tenant_id; });
  } else {
    DUET_ASSIGN_OR_RETURN(tenants, stores_.tenants.list_tenants());
  }
  for (auto& t : tenants) {
    TenantSlaReport tr;
    // A tenant's service period starts at its service activation date
    // (开通日; not before its creation): a partial first month is one
    // period, judged from that minute on. A tenant never activated has no
    // period: no minute is judged, nothing is due.
    UnixSeconds period_start = t.production_active_from
                                   ? std::max(t.created_at, *t.production_active_from)
                                   : std::numeric_limits<UnixSeconds>::max() / 2;
    UnixSeconds tfrom = std::min(std::max(from, (period_start + 59) / 60 * 60), std::max(to, from));
    DUET_ASSIGN_OR_RETURN(std::vector<store::AvailabilityMinute> own,
                          stores_.sla.list_availability(t.tenant_id, tfrom, to));
    tr.figures = figures_for(judged, tfrom, to, t.tenant_id, exclusions, own);
    DUET_ASSIGN_OR_RETURN(std::vector<store::Package> packages, stores_.metering.list_packages(t.tenant_id));
    PurchaseProfile profile = purchase_profile(packages, range.from, range.to);
    int64_t avg = 0;
    if (profile.signatures > 0) {
      DUET_ASSIGN_OR_RETURN(avg, monthly_average_usage(t, range, profile));
    }
    // The tenant's pinned SLA-terms version picks the table, the base of the
    // percentage and how batches count (core/sla_terms.h).
    DUET_ASSIGN_OR_RETURN(tr.terms, tenant_sla_terms(stores_.claims, t.tenant_id, config_.table));
    int64_t month_metered = 0;
    if (profile.signatures > 0 && tr.terms.table.percent_base == PercentBase::kMonthMeteredSignatures) {
      DUET_ASSIGN_OR_RETURN(month_metered, metered_signatures(stores_.metering, t.tenant_id, range.from, range.to,
                                                              tr.terms.batch_counting));
    }
    tr.credits = compute_credits(tr.terms.table, tr.figures, profile, avg, month_metered,
                                 (range.to - range.from) / 86400);
    if (r.final) {
      for (auto kind : {store::SlaCreditKind::kSignatures, store::SlaCreditKind::kDays}) {
        auto it = std::find_if(tr.credits.begin(), tr.credits.end(), [&](const CreditProposal& c) { return c.kind == kind; });
        if (it == tr.credits.end()) {
          DUET_TRY_STATUS(stores_.sla.withdraw_sla_credit(write, t.tenant_id, range.month, kind));
          continue;
        }
        store::SlaCredit c;
        c.tenant_id = t.tenant_id;
        c.credit_id = store::new_id("slc_");
        c.month = range.month;
        c.kind = kind;
        c.band = std::string(band_name(it->band));
        c.amount = it->amount;
        c.basis = it->basis;
        c.created_at = c.updated_at = now;
        DUET_TRY_STATUS(stores_.sla.propose_sla_credit(write, c));
      }
    }
    DUET_ASSIGN_OR_RETURN(tr.stored, stores_.sla.list_sla_credits(t.tenant_id, range.month));
    tr.tenant = std::move(t);
    r.tenants.push_back(std::move(tr));
  }
  return r;
}

Result<store::MaintenanceWindow> SlaService::create_window(const OperatorContext& op, UnixSeconds starts_at,
                                                           UnixSeconds ends_at, std::string description,
                                                           UnixSeconds now, std::string kind) {
  if (ends_at <= starts_at) return make_error(ErrorCode::kInvalidArgument, "ends_at must be after starts_at");
  if (starts_at <= now) return make_error(ErrorCode::kInvalidArgument, "a maintenance window must start in the future");
  if (description.size() > 1000) return make_error(ErrorCode::kInvalidArgument, "description is too long");
  if (kind != "maintenance" && kind != "fault_drill")
    return make_error(ErrorCode::kInvalidArgument, "kind must be maintenance or fault_drill");
  store::MaintenanceWindow w;
  w.window_id = store::new_id("mnt_");
  op.write.name_audit_target("window_id", w.window_id);
  w.starts_at = starts_at;
  w.ends_at = ends_at;
  w.announced_at = now;  // tenants are told from now on
  w.description = std::move(description);
  w.created_by = op.name;
  w.kind = std::move(kind);
  // Planned maintenance is announced at least notice_working_days ahead
  // (§4.3, issue 14 item 6); later is refused, not accepted and counted: an
  // outage nobody announced in time is an incident (core/incident_service.h).
  if (!excluded(w))
    return make_error(ErrorCode::kInvalidArgument,
                      "planned maintenance must be announced at least " + std::to_string(config_.notice_working_days) +
                          " whole working days before the day it starts");
  // The window and every tenant's maintenance_planned notice, in one transaction.
  DUET_TRY_STATUS(stores_.notices.create_announced_maintenance_window(op.write, w, now));
  return w;
}

Result<store::MaintenanceWindow> SlaService::change_window(const OperatorContext& op, std::string_view window_id,
                                                           const WindowChange& change, UnixSeconds now) {
  op.write.name_audit_target("window_id", std::string(window_id));
  DUET_ASSIGN_OR_RETURN(store::MaintenanceWindow before, stores_.sla.get_maintenance_window(window_id));
  if (before.starts_at <= now)
    return make_error(ErrorCode::kConflict, "the maintenance window has started and can no longer be changed");
  store::MaintenanceWindow after = before;
  after.starts_at = change.starts_at.value_or(before.starts_at);
  after.ends_at = change.ends_at.value_or(before.ends_at);
  if (change.description) after.description = *change.description;
  if (after.ends_at <= after.starts_at) return make_error(ErrorCode::kInvalidArgument, "ends_at must be after starts_at");
  if (after.starts_at <= now) return make_error(ErrorCode::kInvalidArgument, "a maintenance window must start in the future");
  if (after.description.size() > 1000) return make_error(ErrorCode::kInvalidArgument, "description is too long");
  if (after.starts_at == before.starts_at && after.ends_at == before.ends_at && after.description == before.description)
    return before;  // nothing changes: no notice
  // Moved or extended: minutes nobody was told about, so the change is a
  // new announcement and needs the notice period from today (§4.3). Only
  // narrowed: every minute left was announced at announced_at.
  const bool narrowed = after.starts_at >= before.starts_at && after.ends_at <= before.ends_at;
  if (!narrowed) {
    after.announced_at = now;
    if (!excluded(after))
      return make_error(ErrorCode::kInvalidArgument,
                        "a moved or extended maintenance window must start at least " +
                            std::to_string(config_.notice_working_days) +
                            " whole working days after the day of the change");
  }
  // The window and every tenant's maintenance_changed notice, in one transaction.
  DUET_TRY_STATUS(stores_.notices.change_announced_maintenance_window(op.write, before, after, now));
  return after;
}

Result<std::vector<store::MaintenanceWindow>> SlaService::list_windows(UnixSeconds from, UnixSeconds to) {
  return stores_.sla.list_maintenance_windows(from, to);
}

Status SlaService::delete_window(const store::WriteContext& write, std::string_view window_id, UnixSeconds now) {
  // Withdrawn with every tenant's maintenance_cancelled notice, in one transaction.
  return stores_.notices.delete_announced_maintenance_window(write, window_id, now);
}

Result<std::vector<store::SlaCredit>> SlaService::credits(std::string_view tenant_id, std::string_view month) {
  return stores_.sla.list_sla_credits(tenant_id, month);
}

Result<store::SlaCredit> SlaService::approve(const OperatorContext& op, std::string_view credit_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(store::SlaCredit credit, stores_.sla.find_sla_credit(credit_id));
  if (credit.state == store::SlaCreditState::kApproved)
    return make_error(ErrorCode::kConflict, "the credit was already approved");
  DUET_ASSIGN_OR_RETURN(std::vector<store::Package> packages, stores_.metering.list_packages(credit.tenant_id));
  store::Package bonus = bonus_package(credit, packages, now, config_.calendar.utc_offset_minutes);
  DUET_TRY_STATUS(stores_.sla.approve_sla_credit(op.write, credit_id, op.name, now, bonus));
  return stores_.sla.find_sla_credit(credit_id);
}

}  // namespace duet::core
