#include "core/stored_audit_check.h"

#include <cstdint>

namespace duet::core {

namespace {
constexpr int64_t kUnsignedSlack = 60;  // as the CLI's verify (cli/audit_commands.cc)
}

Result<AuditVerifyResult> verify_stored_audit_chain(store::AuditStore& store, AuditService& audit,
                                                    store::UnixSeconds now, size_t max_events) {
  AuditVerifyInput in;
  // Checkpoints and head first: events appended meanwhile only extend the chain.
  DUET_ASSIGN_OR_RETURN(in.checkpoints, store.list_audit_checkpoints(0, INT64_MAX));
  DUET_ASSIGN_OR_RETURN(store::AuditCheckpoint head, store.get_audit_head());
  DUET_ASSIGN_OR_RETURN(in.keys, audit.public_keys());
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditKey> keys, store.list_audit_keys());
  DUET_ASSIGN_OR_RETURN(in.witness, audit.witnessed());
  int64_t after = 0;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(auto page, store.list_audit_events(after, 1000));
    if (page.empty()) break;
    after = page.back().seq;
    for (auto& e : page) in.events.push_back(std::move(e));
    if (in.events.size() > max_events) {
      return make_error(ErrorCode::kUnavailable, "the chain is too long to verify here: use duet audit verify");
    }
  }
  // The head was read before the events: events past it are newer, and a
  // head past the last event means events were cut from the end.
  if (head.seq > 0) in.head = head;
  in.now = now;
  in.max_unsigned_age = audit.checkpoint_seconds() + kUnsignedSlack;
  for (const auto& k : keys)
    if (in.oldest_key_created_at == 0 || k.created_at < in.oldest_key_created_at) in.oldest_key_created_at = k.created_at;
  return verify_audit_chain(in);
}

}  // namespace duet::core
