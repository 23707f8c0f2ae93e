// Appending to the audit chain from inside a SQLite write transaction
// (private to the SQLite backend). Any store call that changes state on
// behalf of an audited action (a retention purge, for example) appends its
// event through this function in the SAME transaction, so the change and its
// audit record commit or roll back together (DESIGN.md §4: audit is
// fail-closed).
#pragma once

#include "base/result.h"
#include "store/records.h"

namespace duet::store::sqlite {

class Connection;

// Must be called inside a write transaction on `c`. Assigns event.seq,
// event.prev_hash and event.hash (the chain head is read and advanced in the
// same transaction) and inserts the event.
Status append_audit_event(Connection& c, AuditEvent& event);

}  // namespace duet::store::sqlite
