// The rows and checks of the audit_disclosures table (store/audit_disclosures.h)
// as both backends read and validate them. Private to src/store.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/result.h"
#include "store/audit_disclosures.h"
#include "store/row_reader.h"
#include "store/sql_text.h"
#include "store/store_error.h"

namespace duet::store::audit_disclosure_rows {

inline std::string_view state_text(DisclosureState s) {
  switch (s) {
    case DisclosureState::kApproved: return "approved";
    case DisclosureState::kRefused: return "refused";
    case DisclosureState::kRun: return "run";
    case DisclosureState::kRequested: break;
  }
  return "requested";
}

inline Result<DisclosureState> parse_state(std::string_view t) {
  if (t == "requested") return DisclosureState::kRequested;
  if (t == "approved") return DisclosureState::kApproved;
  if (t == "refused") return DisclosureState::kRefused;
  if (t == "run") return DisclosureState::kRun;
  return store_error(StoreError::kCorrupt, "unknown disclosure state");
}

inline Result<AuditDisclosure> read_disclosure(const RowReader& r) {
  AuditDisclosure d;
  d.disclosure_id = r.text(0);
  d.tenant_id = r.text(1);
  d.from = r.get_int(2);
  d.to = r.get_int(3);
  d.purpose = r.text(4);
  d.requested_by = r.text(5);
  d.requested_at = r.get_int(6);
  DUET_ASSIGN_OR_RETURN(d.state, parse_state(r.text(7)));
  d.decided_at = r.optional_int(8);
  d.decided_by = r.text(9);
  d.decision_reason = r.text(10);
  d.run_at = r.optional_int(11);
  d.run_by = r.text(12);
  return d;
}

inline Status validate_request(const AuditDisclosure& d) {
  auto bad = [](const char* m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (d.disclosure_id.empty() || d.tenant_id.empty() || d.requested_by.empty())
    return bad("disclosure ids are required");
  if (d.from < 0 || d.to <= d.from) return bad("a disclosure's period ends after it starts");
  if (d.purpose.empty() || d.purpose.size() > 2000) return bad("a disclosure's purpose is 1 to 2000 bytes");
  if (d.state != DisclosureState::kRequested || d.decided_at || d.run_at)
    return bad("a new disclosure is requested, not decided");
  return Status::Ok();
}

inline Status validate_decision(DisclosureState decision, std::string_view reason) {
  auto bad = [](const char* m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (decision != DisclosureState::kApproved && decision != DisclosureState::kRefused)
    return bad("a decision approves or refuses");
  if (reason.size() > 2000) return bad("decision reason is longer than 2000 bytes");
  if (decision == DisclosureState::kRefused && reason.empty()) return bad("a refusal needs a reason");
  return Status::Ok();
}

#define DUET_DISCLOSURE_COLS                                                                                    \
  "disclosure_id, tenant_id, from_at, to_at, purpose, requested_by, requested_at, state, decided_at, decided_by, " \
  "decision_reason, run_at, run_by"

inline constexpr SqlText kInsert{
    "INSERT INTO audit_disclosures (disclosure_id, tenant_id, from_at, to_at, purpose, requested_by, requested_at, "
    "state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'requested')"};
inline constexpr SqlText kSelect{"SELECT " DUET_DISCLOSURE_COLS " FROM audit_disclosures WHERE disclosure_id = ?1"};
inline constexpr SqlText kList{"SELECT " DUET_DISCLOSURE_COLS
                               " FROM audit_disclosures ORDER BY requested_at DESC, disclosure_id"};
// The one conditional update of a decision: only a requested disclosure is decided.
inline constexpr SqlText kDecide{
    "UPDATE audit_disclosures SET state = ?2, decided_at = ?3, decided_by = ?4, decision_reason = ?5 "
    "WHERE disclosure_id = ?1 AND state = 'requested'"};
// Run once: only an approved disclosure runs, and then it is no longer approved.
inline constexpr SqlText kMarkRun{
    "UPDATE audit_disclosures SET state = 'run', run_at = ?2, run_by = ?3 "
    "WHERE disclosure_id = ?1 AND state = 'approved'"};

#undef DUET_DISCLOSURE_COLS

}  // namespace duet::store::audit_disclosure_rows
