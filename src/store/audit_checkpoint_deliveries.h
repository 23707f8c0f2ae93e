// store::AuditCheckpointDeliveryStore: the delivery record of the audit
// checkpoint webhook (issue 14 item 7; docs/audit.md "The checkpoint
// webhook"): one row per checkpoint handed to the external party, pending
// until it answered 2xx, with its attempts and last error. Not audited (a
// delivery is not an operation of anyone, and an audit event per delivery
// would make the next checkpoint, and so on). Rows in
// store/audit_checkpoint_delivery_rows.h; SQLite and PostgreSQL in
// store/{sqlite,pg}_audit_checkpoint_deliveries.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace duet::store {

struct CheckpointDelivery {
  int64_t seq = 0;                // the checkpoint's seq
  bool delivered = false;
  int64_t attempts = 0;
  UnixSeconds next_at = 0;        // the next attempt, while pending
  std::string last_error;         // "HTTP 500", "timeout", … (no secrets); "" when none
  std::optional<UnixSeconds> delivered_at;
  UnixSeconds created_at = 0;
};

class Store;

class AuditCheckpointDeliveryStore {
 public:
  virtual ~AuditCheckpointDeliveryStore() = default;

  // Queues a pending delivery (next_at = now) for every stored checkpoint
  // after the newest queued one; when nothing was ever queued (the webhook
  // just configured), only the newest checkpoint (it names its predecessor:
  // the party holds the head, not the history). Nodes racing queue each
  // seq once. Returns how many were queued.
  virtual Result<size_t> queue_checkpoint_deliveries(UnixSeconds now) = 0;
  // The oldest pending delivery (deliveries go out in seq order), if any.
  virtual Result<std::optional<CheckpointDelivery>> next_checkpoint_delivery() = 0;
  // One attempt: delivered (delivered_at = now) or failed (last_error,
  // next_at). attempts + 1. kConflict when it is not pending any more.
  virtual Status record_checkpoint_delivery(int64_t seq, bool delivered, std::string_view error, UnixSeconds now,
                                            UnixSeconds next_at) = 0;
  // Up to `limit` deliveries with seq > after_seq, by seq.
  virtual Result<std::vector<CheckpointDelivery>> list_checkpoint_deliveries(int64_t after_seq, size_t limit) = 0;
};

// The delivery area of `store` (both backends implement it; not a base of
// store::Store for the reason store/audit_disclosures.h gives).
Result<AuditCheckpointDeliveryStore*> audit_checkpoint_delivery_store(Store& store);

}  // namespace duet::store
