// The PIN attempt rule (docs/protocol.md §5.3, "Counting") —
// the only copy. Every use of the PIN (signing step 1, both share-refresh
// calls) is counted as a failure BEFORE any work that depends on the PIN, by
// the store running this rule inside its transaction with the holder's row
// held (store.h, "PIN attempts"); a verified proof then clears the
// consecutive count, never the window count.
//
// Allowed iff the key is not locked, consecutive failures < max_consecutive
// and failures in the window < budget; counting adds one to both. The key is
// locked when a FAILED attempt leaves either count at its limit
// (locks_after_failure) — not when the attempt is counted, so the right PIN on
// the last try still signs. While a last attempt is being checked the counts
// are at the limit, so the rule already refuses every other attempt: a
// stolen phone gets at most max_consecutive guesses in a row and at most
// `budget` in any window, all of them online.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "store/records.h"

namespace duet::core {

struct PinAttemptPolicy {
  int max_consecutive = 5;
  int budget = 10;
  int64_t window_seconds = 30 * 24 * 3600;
};

// The counters after one more attempt, or ErrorCode::kLocked.
Result<store::PinAttemptCounters> count_pin_attempt(const store::PinAttemptCounters& before,
                                                    const PinAttemptPolicy& policy);

// Whether a failed attempt whose counting returned `counted` locks the key.
bool locks_after_failure(const store::PinAttemptCounters& counted, const PinAttemptPolicy& policy);

// The counters once the attempt that counting returned `counted` verified
// (accept_*): the consecutive count is reset and the attempt leaves the
// window count (an ok attempt is not a failure).
store::PinAttemptCounters counters_after_verified(const store::PinAttemptCounters& counted);

// Attempts left before the key locks, after `now_counters`.
int pin_attempts_left(const store::PinAttemptCounters& now_counters, const PinAttemptPolicy& policy);

// The rule bound to a policy, as the store takes it.
store::PinAttemptRule pin_attempt_rule(const PinAttemptPolicy& policy);

}  // namespace duet::core
