// Verification of the hash-chained audit log (issue 5 §4, docs/audit.md).
// The encoding and hash are in store/audit_encoding.h (the store computes
// them when it appends); this is the verifier the offline CLI, the online
// CLI and the tests share. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "core/audit_witness.h"
#include "crypto/point.h"
#include "store/audit_encoding.h"
#include "store/records.h"

namespace duet::core {

// What is wrong at the first bad event.
enum class AuditDamage {
  kNone,
  kEdited,             // the event's content (or its stored hash) was changed
  kDeleted,            // an event is missing (a gap in seq, renumbered events, a cut tail)
  kInserted,           // an event that was never appended by the service
  kReordered,          // events appear in another order than appended
  kBadCheckpoint,      // a checkpoint whose signature does not verify (forged or altered)
  kCheckpointMismatch, // a validly signed checkpoint disagrees with the chain at its seq (or with the witness)
  kCheckpointDeleted,  // a checkpoint is missing: the next one names a predecessor that is not
                       // there, or the witness saw a checkpoint the store no longer has
  kNotCheckpointed,    // events (or an audit key) older than the allowed age that no checkpoint covers
};
std::string_view audit_damage_name(AuditDamage d);  // "edited", "deleted", …

struct AuditVerifyResult {
  bool ok = true;
  int64_t events = 0;             // events examined
  int64_t last_seq = 0;           // seq of the last event
  Bytes last_hash;                // its hash (genesis when empty)
  int64_t checkpoints = 0;        // checkpoints whose signature verified
  int64_t last_checkpoint_seq = 0;
  // When !ok: the first bad event's seq and the kind of damage.
  int64_t first_bad_seq = 0;
  AuditDamage damage = AuditDamage::kNone;
  std::string detail;             // one line for people
};

struct AuditVerifyInput {
  // Every event, as stored, ordered by stored seq (a full chain from seq 1,
  // or a range whose first event's prev_hash is trusted as start_hash).
  std::vector<store::AuditEvent> events;
  std::vector<store::AuditCheckpoint> checkpoints;
  // key_id -> public key of the service's audit keys.
  std::map<std::string, crypto::Point> keys;
  // The chain head as the store records it (seq, hash), if known: a head
  // beyond the last event means events were cut from the end.
  std::optional<store::AuditCheckpoint> head;
  int64_t start_seq = 1;          // the seq the first event must have
  Bytes start_hash = store::audit_genesis_hash();
  // The witness (core/audit_witness.h), when given: its keys (if it lists
  // any) are the only ones trusted, and every checkpoint it holds must be
  // in `checkpoints` unchanged, with its events still there.
  std::optional<AuditWitness> witness;
  // When set: an event after the newest validly signed checkpoint with
  // at < now - max_unsigned_age, or (no checkpoint at all) an audit key
  // created before then, is a failure (kNotCheckpointed): the service signs
  // every checkpoint_seconds, so such a gap means checkpoints were removed.
  std::optional<store::UnixSeconds> now;
  int64_t max_unsigned_age = 0;
  store::UnixSeconds oldest_key_created_at = 0;  // 0: no key known
};

// Verifies links, hashes, seq continuity, checkpoint signatures, that each
// checkpoint matches the chain, that chained checkpoints link to each other
// (from start_seq 1 only), the witness and the unsigned age; names the first
// bad event (lowest seq).
AuditVerifyResult verify_audit_chain(const AuditVerifyInput& in);

// An export for a regulator (`duet audit export`): the tenant's events in
// full and, between them, every other event as a link (seq, prev_hash,
// digest, hash) that proves the chain without revealing its content; the
// run starts right after a signed checkpoint (or at genesis) and ends at
// one, so every exported event is tied to signed chain heads.
struct AuditExportEntry {
  store::AuditEvent event;  // for a link: seq, prev_hash and hash only
  bool link = false;
  Bytes digest;             // links: SM3(canonical(event)) as exported
};
struct AuditExportInput {
  std::vector<AuditExportEntry> entries;  // by seq
  std::vector<store::AuditCheckpoint> checkpoints;
  std::map<std::string, crypto::Point> keys;
};
// As verify_audit_chain; `detail` also notes a tail not yet covered by a
// checkpoint (ok stays true: the chain itself holds).
AuditVerifyResult verify_audit_export(const AuditExportInput& in);

// Checks one checkpoint's signature (Ok or kSignatureInvalid / kNotFound for
// an unknown key).
Status verify_audit_checkpoint(const store::AuditCheckpoint& cp, const std::map<std::string, crypto::Point>& keys);

}  // namespace duet::core
