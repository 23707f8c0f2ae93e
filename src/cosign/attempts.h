// The attempt/lockout rule (docs/protocol.md §5.3). A signing attempt counts
// against the holder when the service answers step 2, before the answer leaves;
// only a verified final signature resets the count. After `limit` consecutive
// failed attempts (default 5) the key is locked until the business system
// unlocks it. A wrong PIN yields an invalid signature, so a stolen phone gets
// at most `limit` online guesses.
#pragma once

namespace duet::cosign {

class AttemptCounter {
 public:
  static constexpr int kDefaultLimit = 5;

  explicit AttemptCounter(int consecutive_failures = 0, int limit = kDefaultLimit)
      : failures_(consecutive_failures < 0 ? 0 : consecutive_failures), limit_(limit < 1 ? 1 : limit) {}

  bool locked() const { return failures_ >= limit_; }
  int attempts_left() const { return locked() ? 0 : limit_ - failures_; }
  int consecutive_failures() const { return failures_; }

  // Counts a new attempt; false (and no change) when already locked.
  bool begin_attempt() {
    if (locked()) return false;
    ++failures_;
    return true;
  }
  // The attempt ended in a verified signature.
  void record_success() { failures_ = 0; }
  // The business system unlocked the key.
  void unlock() { failures_ = 0; }

 private:
  int failures_;
  int limit_;
};

}  // namespace duet::cosign
