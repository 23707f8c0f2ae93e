// The audit of a sweep that changes many records in one transaction
// (expire_orders, store.h): the context's event is appended once per record,
// with the record's tenant and target, inside the transaction, instead of
// once for the transaction. Both backends run it the same way:
//   PerRecordAudit audit(context);
//   auto result = run(audit.transaction_context(), ..., [&](Connection& c) {
//     audit.restart();                       // a retried transaction starts again
//     ... for each record: audit.append(tenant, target, <append in c>) ...
//   });
//   audit.finish(result.ok());
// Private to src/store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class PerRecordAudit {
 public:
  explicit PerRecordAudit(const WriteContext& context)
      : pending_(context.audit), per_record_{nullptr, context.nonce} {}

  // The context the transaction runs with: the nonce only (the events are
  // appended here, per record).
  const WriteContext& transaction_context() const { return per_record_; }

  // At the start of each run of the transaction.
  void restart() { appended_ = 0; }

  // Appends the event for one record with `append_in_tx` (the backend's
  // append_audit_event on the transaction's connection): kUnavailable when
  // it fails, so the transaction rolls back (fail-closed). No-op without an
  // event.
  template <typename Append>
  Status append(std::string_view tenant_id, std::string target, Append&& append_in_tx) {
    if (pending_ == nullptr) return Status::Ok();
    AuditEvent e = committed_event(*pending_);
    e.tenant_id = std::string(tenant_id);
    e.target = std::move(target);
    if (!append_in_tx(e).ok())
      return store_error(StoreError::kUnavailable, "audit log unavailable: the change was not made");
    ++appended_;
    last_seq_ = e.seq;
    return Status::Ok();
  }

  // After the transaction: what it committed counts on the pending event.
  void finish(bool committed) {
    if (!committed || pending_ == nullptr || appended_ == 0) return;
    pending_->appended += appended_;
    pending_->last_seq = last_seq_;
  }

 private:
  PendingAuditEvent* pending_;
  WriteContext per_record_;
  int appended_ = 0;
  int64_t last_seq_ = 0;
};

}  // namespace duet::store
