// Offline read of a SQLite data directory's audit log for `duet audit verify
// --data DIR` (docs/audit.md). Opens the file READ-ONLY (no migration, no
// KEK, nothing written) and returns everything verification needs.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace duet::store {

struct AuditSnapshot {
  std::vector<AuditEvent> events;            // by stored seq
  std::vector<AuditCheckpoint> checkpoints;  // by seq
  std::vector<AuditKey> keys;                // public parts only (sealed_private_key empty)
  AuditCheckpoint head;                      // the audit_head row (seq, hash)
};

// kNotFound when the file does not exist or has no audit tables (schema < 8);
// kCorrupt / kUnavailable from SQLite otherwise.
Result<AuditSnapshot> read_sqlite_audit_snapshot(const std::string& db_path);

}  // namespace duet::store
