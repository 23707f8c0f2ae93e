// The rows of audit_checkpoint_deliveries (store/audit_checkpoint_deliveries.h)
// as both backends read them. Private to src/store.
#pragma once

#include "store/audit_checkpoint_deliveries.h"
#include "store/row_reader.h"
#include "store/sql_text.h"

namespace duet::store::checkpoint_delivery_rows {

inline CheckpointDelivery read_delivery(const RowReader& r) {
  CheckpointDelivery d;
  d.seq = r.get_int(0);
  d.delivered = r.text(1) == "delivered";
  d.attempts = r.get_int(2);
  d.next_at = r.get_int(3);
  d.last_error = r.text(4);
  d.delivered_at = r.optional_int(5);
  d.created_at = r.get_int(6);
  return d;
}

#define DUET_DELIVERY_COLS "seq, state, attempts, next_at, last_error, delivered_at, created_at"

// Every checkpoint after the newest queued one; the newest only when none was.
// (The casts: PostgreSQL cannot infer a parameter's type in a SELECT list.)
inline constexpr SqlText kQueue{
    "INSERT INTO audit_checkpoint_deliveries (seq, state, attempts, next_at, last_error, created_at) "
    "SELECT seq, 'pending', 0, CAST(?1 AS BIGINT), '', CAST(?1 AS BIGINT) FROM audit_checkpoints "
    "WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint_deliveries) "
    "AND (EXISTS (SELECT 1 FROM audit_checkpoint_deliveries) "
    "OR seq = (SELECT MAX(seq) FROM audit_checkpoints)) "
    "ON CONFLICT (seq) DO NOTHING"};
inline constexpr SqlText kNext{"SELECT " DUET_DELIVERY_COLS
                               " FROM audit_checkpoint_deliveries WHERE state = 'pending' ORDER BY seq LIMIT 1"};
inline constexpr SqlText kDelivered{
    "UPDATE audit_checkpoint_deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?2, "
    "last_error = '' WHERE seq = ?1 AND state = 'pending'"};
inline constexpr SqlText kFailed{
    "UPDATE audit_checkpoint_deliveries SET attempts = attempts + 1, last_error = ?2, next_at = ?3 "
    "WHERE seq = ?1 AND state = 'pending'"};
inline constexpr SqlText kList{"SELECT " DUET_DELIVERY_COLS
                               " FROM audit_checkpoint_deliveries WHERE seq > ?1 ORDER BY seq LIMIT ?2"};

#undef DUET_DELIVERY_COLS

}  // namespace duet::store::checkpoint_delivery_rows
