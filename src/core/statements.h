// Monthly usage statements (issue 14 item 9; docs/metering.md "Statements"):
// per tenant and local month ([sla] utc_offset_minutes), from the
// exactly-once usage records, with the package movements (opened, used,
// ended with what was left forfeited) and the SLA credits granted in the
// month. Computed on demand from records that are never changed and kept at
// least one year (usage records: MeteringStore::prune_usage_records refuses
// anything younger than 366 days; packages and credits are never deleted), so
// a month's statement reads the same every time it is asked for within that
// year. Whether a batch order counts once or per item is the tenant's
// pinned SLA-terms version's `batch_counting` (core/sla_terms.h; per item
// without a pin), and the statement says which.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/core_deps.h"
#include "core/sla_terms.h"
#include "store/metering.h"
#include "store/sla.h"
#include "store/sla_claims.h"
#include "store/tenants.h"

namespace duet::core {

// Every usage record of the tenant with from <= counted_at < to, oldest
// first, read page by page.
Status for_each_usage_record(store::MeteringStore& metering, std::string_view tenant_id, UnixSeconds from,
                             UnixSeconds to, const std::function<void(const store::UsageRecord&)>& fn);

// The tenant's metered signatures with from <= counted_at < to, counted as
// the terms say: each usage record (per item) or each order once.
Result<int64_t> metered_signatures(store::MeteringStore& metering, std::string_view tenant_id, UnixSeconds from,
                                   UnixSeconds to, BatchCounting counting);

struct PackageMovement {
  store::Package package;
  bool opened_in_month = false;   // its term started in the month
  bool ended_in_month = false;    // its term ended in the month
  int64_t used_in_month = 0;      // units taken from it in the month (usage records)
  int64_t forfeited = 0;          // ended in the month: what was left, zeroed (not unlimited)
};

struct MonthlyStatement {
  std::string tenant_id;
  std::string month;           // "YYYY-MM"
  UnixSeconds from = 0, to = 0;
  bool final = false;          // the month has ended
  std::string terms_version;   // "" = the service's [sla] table
  BatchCounting batch_counting = BatchCounting::kPerItem;
  int64_t signed_items = 0;    // usage records of signatures
  int64_t signed_orders = 0;   // distinct orders among them
  int64_t signatures_counted = 0;  // as batch_counting says
  int64_t holders_created = 0;     // per-user units
  std::vector<PackageMovement> packages;  // every package whose term overlaps the month, or used in it
  std::vector<store::SlaCredit> credits;  // credits approved (delivered) in the month
};

class StatementService {
 public:
  struct Stores {
    store::TenantStore& tenants;
    store::MeteringStore& metering;
    store::SlaStore& sla;
    store::SlaClaimStore& claims;
    explicit Stores(store::Store& s) : tenants(s), metering(s), sla(s), claims(s) {}
  };
  StatementService(CoreDeps deps, int utc_offset_minutes, CompensationTable fallback);

  // kNotFound (tenant); kInvalidArgument (month); a month that has not
  // begun is kInvalidArgument; a running month is answered as far as it
  // went (final = false).
  Result<MonthlyStatement> monthly(std::string_view tenant_id, std::string_view month, UnixSeconds now);

 private:
  ServiceDeps deps_;
  Stores stores_;
  int utc_offset_minutes_;
  CompensationTable fallback_;
};

std::string statement_json(const MonthlyStatement& s);  // one JSON object
std::string statement_csv(const MonthlyStatement& s);   // RFC 4180, header line first

}  // namespace duet::core
