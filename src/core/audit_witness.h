// The audit witness (docs/audit.md, issue 14 item 7): every signed
// checkpoint is also published outside the database, so that cutting the
// chain's tail together with its checkpoints, or deleting every checkpoint
// after a consistent rewrite, is caught by `duet audit verify`.
//
// The witness's form is the export's (JSON lines, core/audit_json.h):
//   {"type":"key",…}          once per audit key, before its first checkpoint
//   {"type":"checkpoint",…}   every checkpoint, in signing order
// Event and link lines are ignored, so a tenant's export is a witness too.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace duet::core {

struct AuditWitness {
  std::vector<store::AuditKey> keys;                // public parts
  std::vector<store::AuditCheckpoint> checkpoints;  // as written (by seq)
};

// Parses witness (or export) lines. A line that does not parse and either
// lacks its newline (the last) or does not end with '}' is a write cut short
// by a crash and is ignored; any other bad line is kBadEncoding naming its
// line number.
Result<AuditWitness> parse_audit_witness(std::string_view text);

// Where the service publishes checkpoints (server/audit_witness_file.h).
class AuditWitnessSink {
 public:
  virtual ~AuditWitnessSink() = default;
  // The newest checkpoint the witness holds.
  virtual std::optional<store::AuditCheckpoint> last() const = 0;
  // Appends cp durably (synced before Ok), preceded by the key's line when
  // the witness has not seen key.key_id yet.
  virtual Status append(const store::AuditCheckpoint& cp, const store::AuditKey& key) = 0;
  // What the witness holds, read afresh (not from memory): the Admin API
  // hands it to `duet audit verify --server`.
  virtual Result<AuditWitness> read() const = 0;
};

}  // namespace duet::core
