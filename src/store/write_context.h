// What a store write carries besides its arguments, in the manner of
// LevelDB's Write(WriteOptions, ...): every state-changing call of the store
// areas takes a `const WriteContext&` first. It names the action the write
// belongs to — the pending audit event and the Business API request's
// pending nonce — explicitly, so a write means the same whichever thread
// runs it. An empty context ({}) is a write for no audited action and no
// request nonce (tests, setup, the store's own audit calls).
//
// Usage (one per request or background action):
//   store::PendingAuditEvent pending{event};
//   store::PendingNonce nonce{tenant, app, value, now};
//   store::WriteContext write{&pending, &nonce};
//   ... store calls, each given `write` ...   // each committed write carries the event
//   if (pending.appended == 0) store.append_audit_event(pending.event);
//   if (!nonce.recorded) store.insert_nonce({}, ...);   // kDuplicate: replayed
#pragma once

#include <string>
#include <string_view>

#include "store/records.h"

namespace duet::store {

// The audit event of the action in progress (store.h, section "audit": the
// fail-closed rule of docs/audit.md). Every write transaction given it that
// changed at least one row appends a copy, with outcome "ok", inside that
// transaction just before commit; if the append fails the transaction rolls
// back and the call fails.
struct PendingAuditEvent {
  AuditEvent event;   // descriptive fields; outcome is written as "ok" in a transaction
  int appended = 0;   // write transactions that committed with a copy of it
  int64_t last_seq = 0;

  // Names an object the action creates, before (or inside) the write
  // transaction that creates it: appends "name:id" to the event's target
  // (docs/audit.md), so the event committed with the row says which row it
  // was (a create request's path names no id). Naming the same object twice
  // (a transaction run again) adds it once; an empty id adds nothing.
  void name_target(std::string_view name, std::string_view id) {
    if (id.empty()) return;
    std::string token = std::string(name) + ":" + std::string(id.substr(0, 128));
    std::string& target = event.target;
    for (size_t at = target.find(token); at != std::string::npos; at = target.find(token, at + 1)) {
      const size_t end = at + token.size();
      if ((at == 0 || target[at - 1] == ' ') && (end == target.size() || target[end] == ' ')) return;
    }
    if (!target.empty()) target += ' ';
    target += token;
  }
};

// The event as a write transaction commits it: outcome "ok" (the change
// happened, whatever the request's final outcome).
inline AuditEvent committed_event(const PendingAuditEvent& pending) {
  AuditEvent e = pending.event;
  e.outcome = "ok";
  return e;
}

// A Business API request's nonce, recorded by the first write transaction
// of the request inside that same transaction: the request and its nonce
// commit together, in one write instead of two (docs/performance.md). A
// request that ends without such a write records the nonce on its own
// (NonceStore::insert_nonce) before it answers, whatever its outcome, so a
// request whose signature verified can never be replayed. A backend's write
// transaction inserts an unrecorded nonce first; a nonce seen before fails
// the transaction with ErrorCode::kUnauthenticated "nonce already used"
// (nothing of the request is written), and `recorded` is set only once the
// transaction has committed.
struct PendingNonce {
  std::string tenant_id;
  std::string app_id;
  std::string nonce;
  UnixSeconds seen_at = 0;
  bool recorded = false;  // a committed transaction holds it
};

struct WriteContext {
  PendingAuditEvent* audit = nullptr;  // null: the write is not an audited action
  PendingNonce* nonce = nullptr;       // null: no request nonce to record

  // The nonce if no committed transaction holds it yet, else nullptr.
  PendingNonce* unrecorded_nonce() const {
    return nonce != nullptr && !nonce->recorded && !nonce->nonce.empty() ? nonce : nullptr;
  }
  // PendingAuditEvent::name_target on the action's event, if there is one.
  void name_audit_target(std::string_view name, std::string_view id) const {
    if (audit != nullptr) audit->name_target(name, id);
  }
};

}  // namespace duet::store
