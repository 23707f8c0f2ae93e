#include "core/pin_attempt_rule.h"

#include <algorithm>

namespace duet::core {

Result<store::PinAttemptCounters> count_pin_attempt(const store::PinAttemptCounters& before,
                                                    const PinAttemptPolicy& policy) {
  if (before.locked || before.consecutive_failures >= policy.max_consecutive ||
      before.failures_in_window >= policy.budget) {
    return make_error(ErrorCode::kLocked, "the holder is locked after too many failed PIN attempts");
  }
  store::PinAttemptCounters after = before;
  after.consecutive_failures += 1;
  after.failures_in_window += 1;
  return after;
}

bool locks_after_failure(const store::PinAttemptCounters& counted, const PinAttemptPolicy& policy) {
  return counted.consecutive_failures >= policy.max_consecutive || counted.failures_in_window >= policy.budget;
}

store::PinAttemptCounters counters_after_verified(const store::PinAttemptCounters& counted) {
  store::PinAttemptCounters after = counted;
  after.consecutive_failures = 0;
  after.failures_in_window = std::max(0, counted.failures_in_window - 1);
  return after;
}

int pin_attempts_left(const store::PinAttemptCounters& c, const PinAttemptPolicy& policy) {
  if (c.locked) return 0;
  return std::max(0, std::min(policy.max_consecutive - c.consecutive_failures, policy.budget - c.failures_in_window));
}

store::PinAttemptRule pin_attempt_rule(const PinAttemptPolicy& policy) {
  return [policy](const store::PinAttemptCounters& before) { return count_pin_attempt(before, policy); };
}

}  // namespace duet::core
