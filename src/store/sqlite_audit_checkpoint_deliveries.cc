// SqliteStore: the audit checkpoint webhook's delivery record
// (store/audit_checkpoint_deliveries.h), each call one transaction, none audited.
#include "store/audit_checkpoint_delivery_rows.h"
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

using namespace checkpoint_delivery_rows;

Result<size_t> SqliteStore::queue_checkpoint_deliveries(UnixSeconds now) {
  return run<Result<size_t>>(WriteContext{}, Transaction::Kind::kWrite, [&](Connection& c) -> Result<size_t> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kQueue.sqlite()));
    st.bind(1, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return static_cast<size_t>(n);
  });
}

Result<std::optional<CheckpointDelivery>> SqliteStore::next_checkpoint_delivery() {
  return read_single<std::optional<CheckpointDelivery>>(
      [&](Connection& c) -> Result<std::optional<CheckpointDelivery>> {
        DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kNext.sqlite()));
        DUET_ASSIGN_OR_RETURN(std::vector<CheckpointDelivery> v, sqlite::read_rows<CheckpointDelivery>(st, read_delivery));
        if (v.empty()) return std::optional<CheckpointDelivery>();
        return std::optional<CheckpointDelivery>(std::move(v.front()));
      });
}

Status SqliteStore::record_checkpoint_delivery(int64_t seq, bool delivered, std::string_view error, UnixSeconds now,
                                               UnixSeconds next_at) {
  return write(WriteContext{}, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, delivered ? kDelivered.sqlite() : kFailed.sqlite()));
    if (delivered) st.bind(1, seq).bind(2, now);
    else st.bind(1, seq).bind(2, error.substr(0, 200)).bind(3, next_at);
    DUET_TRY_STATUS(st.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "the delivery is not pending");
    return Status::Ok();
  });
}

Result<std::vector<CheckpointDelivery>> SqliteStore::list_checkpoint_deliveries(int64_t after_seq, size_t limit) {
  return read_single<std::vector<CheckpointDelivery>>([&](Connection& c) -> Result<std::vector<CheckpointDelivery>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kList.sqlite()));
    st.bind(1, after_seq).bind(2, clamp_limit(limit));
    return sqlite::read_rows<CheckpointDelivery>(st, read_delivery);
  });
}

}  // namespace duet::store::sqlite_store
