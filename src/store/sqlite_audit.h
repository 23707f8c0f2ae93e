// Appending to the audit chain from inside a SQLite write transaction
// (private to the SQLite backend). Any store call that changes state on
// behalf of an audited action (a retention purge, for example) appends its
// event through this function in the SAME transaction, so the change and its
// audit record commit or roll back together (docs/audit.md: audit is
// fail-closed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace duet::store::sqlite {

class Connection;

// Must be called inside a write transaction on `c`. Assigns event.seq,
// event.prev_hash and event.hash (the chain head is read and advanced in the
// same transaction) and inserts the event.
Status append_audit_event(Connection& c, AuditEvent& event);

// Rows changed on this connection since it was opened (sqlite3_total_changes64);
// the store appends a bound event only for write transactions that changed rows.
int64_t total_changes(Connection& c);

// The rest of the audit section of store.h, as free functions on a
// connection (SqliteStore wraps each in its transaction).
Result<AuditCheckpoint> read_audit_head(Connection& c);  // seq 0 + zero hash when empty
Result<std::vector<AuditEvent>> list_audit_events(Connection& c, int64_t after_seq, size_t limit);
Result<std::vector<AuditEvent>> list_tenant_audit_events(Connection& c, std::string_view tenant_id,
                                                         UnixSeconds from, UnixSeconds to, int64_t after_seq,
                                                         size_t limit);
Status add_audit_checkpoint(Connection& c, const AuditCheckpoint& cp);
Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(Connection& c, int64_t from_seq, int64_t to_seq);
Status put_audit_key(Connection& c, const AuditKey& key);
Result<std::vector<AuditKey>> list_audit_keys(Connection& c);
Result<std::vector<AdminToken>> list_admin_tokens(Connection& c);
Result<size_t> revoke_admin_tokens(Connection& c, std::string_view name, UnixSeconds now);

}  // namespace duet::store::sqlite
