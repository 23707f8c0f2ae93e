// Binds a Business API request's nonce to the calling thread, so that the
// first write transaction the request makes records the nonce inside that
// same transaction: the request and its nonce commit together, in one write
// instead of two (docs/performance.md). A request that ends without such a
// write records the nonce on its own (Store::insert_nonce) before it
// answers, whatever its outcome, so a request whose signature verified can
// never be replayed.
//
// Usage (server/api_routes.cc, one per request, on the thread that calls
// the store):
//   store::PendingNonce nonce{tenant, app, value, now};
//   { store::ScopedRequestNonce bind(nonce); ... store calls ... }
//   if (!nonce.recorded) store.insert_nonce(...);   // kDuplicate: replayed
//
// A backend's write transaction inserts a bound, unrecorded nonce first; a
// nonce seen before fails the transaction with ErrorCode::kUnauthenticated
// "nonce already used" (nothing of the request is written), and `recorded`
// is set only once the transaction has committed.
#pragma once

#include <string>

#include "store/records.h"

namespace duet::store {

struct PendingNonce {
  std::string tenant_id;
  std::string app_id;
  std::string nonce;
  UnixSeconds seen_at = 0;
  bool recorded = false;  // a committed transaction holds it
};

namespace detail {
inline PendingNonce*& bound_request_nonce() {
  thread_local PendingNonce* bound = nullptr;
  return bound;
}
}  // namespace detail

// Binds `nonce` on this thread until destruction (restores the previous
// binding).
class ScopedRequestNonce {
 public:
  explicit ScopedRequestNonce(PendingNonce& nonce) : previous_(detail::bound_request_nonce()) {
    detail::bound_request_nonce() = &nonce;
  }
  ~ScopedRequestNonce() { detail::bound_request_nonce() = previous_; }
  ScopedRequestNonce(const ScopedRequestNonce&) = delete;
  ScopedRequestNonce& operator=(const ScopedRequestNonce&) = delete;

  // The bound nonce that no committed transaction holds yet, or nullptr.
  static PendingNonce* unrecorded() {
    PendingNonce* n = detail::bound_request_nonce();
    return n != nullptr && !n->recorded && !n->nonce.empty() ? n : nullptr;
  }

 private:
  PendingNonce* previous_;
};

}  // namespace duet::store
