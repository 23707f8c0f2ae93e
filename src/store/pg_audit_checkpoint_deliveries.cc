// PgStore: the audit checkpoint webhook's delivery record
// (store/audit_checkpoint_deliveries.h); mirrors
// sqlite_audit_checkpoint_deliveries.cc. Nodes queueing at once queue each
// seq once (ON CONFLICT DO NOTHING); two nodes may both send a pending
// delivery (at least once: the party keys on seq).
#include "store/audit_checkpoint_delivery_rows.h"
#include "store/pg_areas.h"
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

using namespace checkpoint_delivery_rows;

Result<size_t> PgStore::queue_checkpoint_deliveries(UnixSeconds now) {
  return write_single_value<size_t>(WriteContext{}, [&](Connection& c) -> Result<size_t> {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kQueue.pg(), {now}));
    return static_cast<size_t>(n);
  });
}

Result<std::optional<CheckpointDelivery>> PgStore::next_checkpoint_delivery() {
  return read_single<std::optional<CheckpointDelivery>>(
      [&](Connection& c) -> Result<std::optional<CheckpointDelivery>> {
        DUET_ASSIGN_OR_RETURN(Rows r, c.query(kNext.pg()));
        DUET_ASSIGN_OR_RETURN(std::vector<CheckpointDelivery> v, pg::read_rows<CheckpointDelivery>(r, read_delivery));
        if (v.empty()) return std::optional<CheckpointDelivery>();
        return std::optional<CheckpointDelivery>(std::move(v.front()));
      });
}

Status PgStore::record_checkpoint_delivery(int64_t seq, bool delivered, std::string_view error, UnixSeconds now,
                                           UnixSeconds next_at) {
  return write(WriteContext{}, [&](Connection& c) -> Status {
    std::string_view short_error = error.substr(0, 200);
    DUET_ASSIGN_OR_RETURN(int64_t n, delivered ? changes(c, kDelivered.pg(), {seq, now})
                                               : changes(c, kFailed.pg(), {seq, short_error, next_at}));
    if (n != 1) return conflict("the delivery is not pending");
    return Status::Ok();
  });
}

Result<std::vector<CheckpointDelivery>> PgStore::list_checkpoint_deliveries(int64_t after_seq, size_t limit) {
  return read_single<std::vector<CheckpointDelivery>>([&](Connection& c) -> Result<std::vector<CheckpointDelivery>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kList.pg(), {after_seq, clamp_limit(limit)}));
    return pg::read_rows<CheckpointDelivery>(r, read_delivery);
  });
}

}  // namespace duet::store::pg_store
