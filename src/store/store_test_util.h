// Helpers for the store's tests and its bench: PIN attempts the way core
// makes them (store.h, "PIN attempts"), for tests that only need an open
// sign session. Written against store/store.h and core's PIN attempt rule
// (the only copy of it).
#pragma once

#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "core/pin_attempt_rule.h"
#include "store/store.h"

namespace duet::store::testing {

// Core's rule (core/pin_attempt_rule.h) with a window budget that never
// binds: an attempt may start iff the holder is not locked and has fewer
// than max_consecutive consecutive failures; after it, one more (counted as
// a failure until its proof verifies; only fail_pin_attempt locks). A
// refusal is ErrorCode::kLocked.
inline PinAttemptRule simple_pin_rule(int max_consecutive = 5) {
  core::PinAttemptPolicy policy;
  policy.max_consecutive = max_consecutive;
  policy.budget = 1'000'000;
  return core::pin_attempt_rule(policy);
}

// The attempt id the helpers below give a session's PIN use.
inline std::string attempt_id_for(const SignSession& s) { return "att_" + s.session_id; }

// Signing step 1 counted (begin_sign_attempt with simple_pin_rule, the
// window from the epoch): the session is stored open without r values and
// the attempt stays pending until accept_sign_attempt or fail_pin_attempt.
inline Result<PinAttemptCounters> begin_sign(Store& store, const SignSession& s, UnixSeconds now,
                                             int max_consecutive = 5, const WriteContext& context = {}) {
  return store.begin_sign_attempt(context, s, attempt_id_for(s), 0, simple_pin_rule(max_consecutive), now);
}

// An open session with s.r_values, as core leaves one after a valid PIN
// proof: begin_sign then accept_sign_attempt (the holder's consecutive count
// is 0 afterwards).
inline Status open_session(Store& store, const SignSession& s, UnixSeconds now, int max_consecutive = 5,
                           const WriteContext& context = {}) {
  auto begun = begin_sign(store, s, now, max_consecutive, context);
  if (!begun.ok()) return Unexpected{begun.error()};
  return store.accept_sign_attempt(context, s.tenant_id, s.session_id, attempt_id_for(s), s.r_values, now);
}

// Runs body(0) … body(n - 1) on n threads released together (a latch, so
// that they race for real) and returns when all have ended.
inline void run_together(int n, const std::function<void(int)>& body) {
  std::latch go(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      body(i);
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace duet::store::testing
