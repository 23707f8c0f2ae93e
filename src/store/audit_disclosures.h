// store::AuditDisclosureStore, one area of store::Store (store/store.h: the
// rules every implementation keeps): disclosures of a tenant's audit events
// to a regulator (§4.4; issue 14 item 7; docs/audit.md "Export for a
// regulator"). A disclosure is requested by an auditor, approved or refused
// by a security officer who is not the requester, and run once by an
// auditor. Rows in store/audit_disclosure_rows.h; SQLite:
// store/sqlite_audit_disclosures.cc, PostgreSQL: store/pg_audit_disclosures.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/write_context.h"

namespace duet::store {

// requested -> approved -> run, or requested -> refused. Each step once.
enum class DisclosureState { kRequested, kApproved, kRefused, kRun };

struct AuditDisclosure {
  std::string disclosure_id;  // "dsc_..."
  std::string tenant_id;
  UnixSeconds from = 0;       // the events' period: from <= at < to
  UnixSeconds to = 0;
  std::string purpose;        // who asks and on what basis, 1..2000 bytes (no personal data expected)
  std::string requested_by;   // operator name (auditor)
  UnixSeconds requested_at = 0;
  DisclosureState state = DisclosureState::kRequested;
  std::optional<UnixSeconds> decided_at;
  std::string decided_by;       // operator name (security officer)
  std::string decision_reason;  // required for a refusal, <= 2000 bytes
  std::optional<UnixSeconds> run_at;
  std::string run_by;           // operator name (auditor)
};

class Store;

class AuditDisclosureStore {
 public:
  virtual ~AuditDisclosureStore() = default;

  // Records a new request (state requested, nothing decided). kNotFound when
  // the tenant does not exist; malformed (ids, period, purpose): kInvalidArgument.
  virtual Status request_audit_disclosure(const WriteContext& context, const AuditDisclosure& d) = 0;
  virtual Result<AuditDisclosure> get_audit_disclosure(std::string_view disclosure_id) = 0;  // kNotFound
  // Every disclosure, newest request first.
  virtual Result<std::vector<AuditDisclosure>> list_audit_disclosures() = 0;
  // requested -> approved | refused (decided_at/by/reason), one conditional
  // update: kConflict when it is no longer requested (nothing changes);
  // kNotFound; a refusal without a reason or a decision of kRequested/kRun:
  // kInvalidArgument.
  virtual Status decide_audit_disclosure(const WriteContext& context, std::string_view disclosure_id,
                                         DisclosureState decision, std::string_view decided_by,
                                         std::string_view reason, UnixSeconds now) = 0;
  // approved -> run (run_at/by), one conditional update: kConflict when it is
  // not approved (never approved, refused, or already run); kNotFound.
  virtual Status mark_audit_disclosure_run(const WriteContext& context, std::string_view disclosure_id,
                                           std::string_view run_by, UnixSeconds now) = 0;
};

// The disclosure area of `store`. Both backends (SqliteStore, PgStore)
// implement it beside store::Store; it is not (yet) a base of store::Store
// so that adding it did not rebuild every file that includes store/store.h
// (fold it in there with the next change of that header). kUnavailable for
// a Store that does not implement it.
Result<AuditDisclosureStore*> audit_disclosure_store(Store& store);

}  // namespace duet::store
