// The SLA area's use cases (issue 5 §2, §3): monthly reports per tenant and
// overall, maintenance windows, compensation credits and their approval.
// Rules: core/sla_report.h (minutes, windows), core/compensation.h (bands,
// amounts, bonus packages).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/compensation.h"
#include "core/contexts.h"
#include "core/core_deps.h"
#include "store/tenants.h"
#include "store/metering.h"
#include "store/sla.h"
#include "store/incidents.h"
#include "store/notice_mail.h"
#include "store/sla_claims.h"
#include "core/sla_report.h"
#include "core/sla_terms.h"

namespace duet::core {

struct SlaConfig {
  SlaCalendar calendar;                // utc offset, holidays, working weekends
  int notice_working_days = 3;         // maintenance announced this many whole working days ahead is excluded
  SlaTargets targets;
  CompensationTable table = CompensationTable::defaults();
  int64_t flush_interval_ms = 5000;    // how often per-minute counts are written to the store
  int64_t probe_interval_seconds = 60; // one self-check per minute
};

struct TenantSlaReport {
  store::Tenant tenant;
  SlaTerms terms;                         // the pinned SLA-terms version (core/sla_terms.h)
  SlaFigures figures;
  std::vector<CreditProposal> credits;    // computed now
  std::vector<store::SlaCredit> stored;   // proposals/approvals in the store (ended months)
};

struct SlaMonthlyReport {
  MonthRange month;
  UnixSeconds evaluated_to = 0;  // end of the evaluated minutes (< month.to while the month runs)
  bool final = false;            // the month has ended (credits are proposed in the store)
  std::optional<UnixSeconds> service_since;  // first recorded minute of the service
  SlaTargets targets;
  SlaFigures overall;
  std::vector<TenantSlaReport> tenants;
  // The month's incidents (with a tenant: every tenant's and its own), their
  // causes and times against §4.1 (core/incident_service.h).
  std::vector<store::Incident> incidents;
};

class SlaService {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::TenantStore& tenants;
    store::MeteringStore& metering;
    store::SlaStore& sla;
    store::IncidentStore& incidents;
    store::NoticeMailStore& notices;
    store::SlaClaimStore& claims;  // the SLA-terms version each tenant pins
    explicit Stores(store::Store& s)
        : tenants(s), metering(s), sla(s), incidents(s), notices(s), claims(s) {}
  };

  SlaService(CoreDeps deps, SlaConfig config);
  explicit SlaService(CoreDeps deps);  // the default SlaConfig

  // The report of `month` ("YYYY-MM", local); one tenant when tenant_id is
  // non-empty (kNotFound when unknown). Minutes are evaluated up to the
  // month's end or, while it runs, up to the start of the previous minute
  // (the last complete, flushed minute). For an ended month the credits are
  // proposed in the store (idempotent; approved ones never change; a
  // proposal no longer due is withdrawn).
  Result<SlaMonthlyReport> report(const store::WriteContext& write, std::string_view month, std::string_view tenant_id,
                                  UnixSeconds now);

  // kind: "maintenance" or "fault_drill" (a drill is announced and excluded like maintenance, §4.3).
  Result<store::MaintenanceWindow> create_window(const OperatorContext& op, UnixSeconds starts_at,
                                                 UnixSeconds ends_at, std::string description, UnixSeconds now,
                                                 std::string kind = "maintenance");
  Result<std::vector<store::MaintenanceWindow>> list_windows(UnixSeconds from, UnixSeconds to);
  Status delete_window(const store::WriteContext& write, std::string_view window_id, UnixSeconds now);
  // Changes a window that has not started (kConflict once it has, or when
  // another change came first; kNotFound); fields not given keep their value.
  // A change that moves or extends the window (any minute outside the
  // announced one) is a new announcement: the window must then start at
  // least notice_working_days whole working days after the day of the change
  // (else kInvalidArgument, nothing written) and announced_at becomes now. A
  // change that only narrows it or its description keeps announced_at (every
  // minute left was announced then). Every tenant gets a maintenance_changed
  // notice in the same transaction; a change that changes nothing writes
  // nothing and tells nobody.
  struct WindowChange {
    std::optional<UnixSeconds> starts_at;
    std::optional<UnixSeconds> ends_at;
    std::optional<std::string> description;
  };
  Result<store::MaintenanceWindow> change_window(const OperatorContext& op, std::string_view window_id,
                                                 const WindowChange& change, UnixSeconds now);
  bool excluded(const store::MaintenanceWindow& w) const;

  Result<std::vector<store::SlaCredit>> credits(std::string_view tenant_id, std::string_view month);
  // Grants the credit as its bonus package, exactly once (kConflict after).
  Result<store::SlaCredit> approve(const OperatorContext& op, std::string_view credit_id, UnixSeconds now);

  const SlaConfig& config() const { return config_; }

 private:
  Result<int64_t> monthly_average_usage(const store::Tenant& t, const MonthRange& m,
                                        const PurchaseProfile& profile);

  ServiceDeps deps_;  // everything but the store
  Stores stores_;
  SlaConfig config_;
};

}  // namespace duet::core
