// store::AuditStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). The audit log: one hash chain, its checkpoints and signing keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"

namespace duet::store {

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // --- audit (issue 5 §4, docs/audit.md; owner: audit) ------------------------
  // The audit log is ONE hash chain over all tenants (not tenant-scoped: the
  // tenant_id column serves export by tenant). Appending reads the chain
  // head (audit_head, one row) and advances it in the same transaction, so
  // concurrent appenders serialise on that row and seq is 1, 2, 3, … without
  // gaps; hash = store::audit_event_hash(prev_hash, event)
  // (store/audit_encoding.h), prev_hash of seq 1 = 32 zero bytes.
  //
  // Fail-closed, explicitly (store/write_context.h): every state-changing
  // call except the audit calls below takes a WriteContext first; when its
  // `audit` is set, EVERY write transaction of that call that changed at
  // least one row appends a copy of the event, with outcome "ok", inside
  // that transaction just before commit; if the append fails, the
  // transaction rolls back and the call fails. A write that changed nothing
  // (an empty sweep) appends nothing. PendingAuditEvent::appended and
  // last_seq count the commits that carried it. Likewise the context's
  // unrecorded `nonce` is inserted in the call's first write transaction.
  //
  // Appends `event` on its own (one transaction); assigns seq, prev_hash and
  // hash and returns the event as stored. actor_type must be "app",
  // "holder", "operator", "system" or "anonymous", action and outcome
  // non-empty (kInvalidArgument).
  virtual Result<AuditEvent> append_audit_event(const AuditEvent& event) = 0;
  // Appends several events in order in ONE transaction (a batch of
  // read-only request events); assigns their seq/hashes.
  virtual Status append_audit_events(std::vector<AuditEvent>& events) = 0;
  // The chain head: seq and hash of the last event (seq 0 and 32 zero bytes
  // when empty); signature/key_id/signed_at are empty.
  virtual Result<AuditCheckpoint> get_audit_head() = 0;
  // Up to `limit` events with seq > after_seq, by seq.
  virtual Result<std::vector<AuditEvent>> list_audit_events(int64_t after_seq, size_t limit) = 0;
  // Up to `limit` events of one tenant with from <= at < to and seq >
  // after_seq, by seq.
  virtual Result<std::vector<AuditEvent>> list_tenant_audit_events(std::string_view tenant_id, UnixSeconds from,
                                                                   UnixSeconds to, int64_t after_seq,
                                                                   size_t limit) = 0;
  // Stores a signed checkpoint. The event at cp.seq must exist (kNotFound)
  // and have cp.hash (kInvalidArgument); kDuplicate if seq has one already.
  virtual Status add_audit_checkpoint(const AuditCheckpoint& cp) = 0;
  // Checkpoints with from_seq <= seq <= to_seq, by seq.
  virtual Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(int64_t from_seq, int64_t to_seq) = 0;
  // The service's audit signing keys. put: kDuplicate if key_id exists.
  virtual Status put_audit_key(const AuditKey& key) = 0;
  // Oldest first (created_at, key_id).
  virtual Result<std::vector<AuditKey>> list_audit_keys() = 0;
};

}  // namespace duet::store
