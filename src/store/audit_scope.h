// Binds the audit event of the action in progress to the calling thread, so
// that the store appends it inside every write transaction it runs for that
// action (store.h, section "audit": the fail-closed rule of DESIGN.md §4).
// Light header: no store or SQL types beyond the record.
//
// Usage (one per request / background action, on the thread that calls the
// store):
//   store::PendingAuditEvent pending{event};
//   store::ScopedAuditEvent bind(pending);
//   ... store calls ...           // each committed write carries the event
//   if (pending.appended == 0) store.append_audit_event(pending.event);
#pragma once

#include <string>
#include <string_view>

#include "store/records.h"

namespace duet::store {

struct PendingAuditEvent {
  AuditEvent event;   // descriptive fields; outcome is written as "ok" in a transaction
  int appended = 0;   // write transactions that committed with a copy of it
  int64_t last_seq = 0;
};

namespace detail {
inline PendingAuditEvent*& bound_audit_event() {
  thread_local PendingAuditEvent* bound = nullptr;
  return bound;
}
}  // namespace detail

// Binds `pending` on this thread until destruction (restores the previous
// binding, so scopes nest).
class ScopedAuditEvent {
 public:
  explicit ScopedAuditEvent(PendingAuditEvent& pending) : previous_(detail::bound_audit_event()) {
    detail::bound_audit_event() = &pending;
  }
  ~ScopedAuditEvent() { detail::bound_audit_event() = previous_; }
  ScopedAuditEvent(const ScopedAuditEvent&) = delete;
  ScopedAuditEvent& operator=(const ScopedAuditEvent&) = delete;

  // The event bound on this thread, or nullptr.
  static PendingAuditEvent* current() { return detail::bound_audit_event(); }

 private:
  PendingAuditEvent* previous_;
};

// The bound event as a write transaction commits it: outcome "ok" (the
// change happened, whatever the request's final outcome).
inline AuditEvent committed_event(const PendingAuditEvent& pending) {
  AuditEvent e = pending.event;
  e.outcome = "ok";
  return e;
}

// Names an object the bound action creates, before (or inside) the write
// transaction that creates it: appends "name:id" to the bound event's target
// (docs/audit.md), so the event committed with the row says which row it was
// (a create request's path names no id). No-op when no event is bound.
// Naming the same object twice (a transaction run again) adds it once.
inline void name_audit_target(std::string_view name, std::string_view id) {
  PendingAuditEvent* pending = ScopedAuditEvent::current();
  if (pending == nullptr || id.empty()) return;
  std::string token = std::string(name) + ":" + std::string(id.substr(0, 128));
  std::string& target = pending->event.target;
  for (size_t at = target.find(token); at != std::string::npos; at = target.find(token, at + 1)) {
    const size_t end = at + token.size();
    if ((at == 0 || target[at - 1] == ' ') && (end == target.size() || target[end] == ' ')) return;
  }
  if (!target.empty()) target += ' ';
  target += token;
}

// Unbinds for its lifetime (store writes that are not the audited action,
// and the store's own audit calls).
class ScopedAuditSuspend {
 public:
  ScopedAuditSuspend() : previous_(detail::bound_audit_event()) { detail::bound_audit_event() = nullptr; }
  ~ScopedAuditSuspend() { detail::bound_audit_event() = previous_; }
  ScopedAuditSuspend(const ScopedAuditSuspend&) = delete;
  ScopedAuditSuspend& operator=(const ScopedAuditSuspend&) = delete;

 private:
  PendingAuditEvent* previous_;
};

}  // namespace duet::store
