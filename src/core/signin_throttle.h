// Admission of password checks at the portal's sign-in (docs/portal.md
// "Sign-in, sessions, CSRF, lockout"). Each check is one Argon2id
// verification (19 MiB, tens of milliseconds of CPU) run on an HTTP thread,
// and the route is open to anyone: without a bound, a flood of sign-ins from
// one address would keep every I/O thread of duetd busy and stall the
// Business API and the holders' signing with it.
//  - At most `max_concurrent` checks run at once in this process; beyond it
//    the request is refused at once (kUnavailable, kSignInBusyMessage: 503
//    with Retry-After: 1), never queued on a thread.
//  - Per source address at most `per_address_per_minute` attempts in a fixed
//    one-minute window (kRateLimited: 429, Retry-After = the seconds to the
//    window's end). The windows are kept in memory, per node; when the table
//    reaches `max_addresses` entries, ended windows are dropped, and if all
//    are current the table starts afresh (the concurrency bound still holds).
// Neither bound depends on the login, so answers tell nothing about users.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "core/clock.h"

namespace duet::core {

inline constexpr std::string_view kSignInBusyMessage = "too many sign-ins in progress; retry shortly";
bool is_signin_busy(const Error& e);

struct SignInThrottleConfig {
  int max_concurrent = 1;
  int per_address_per_minute = 30;
  size_t max_addresses = 100'000;
};

class SignInThrottle {
 public:
  // Held while one password check runs; gives the slot back when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    friend class SignInThrottle;
    explicit Slot(SignInThrottle* owner) : owner_(owner) {}
    SignInThrottle* owner_;
  };

  explicit SignInThrottle(SignInThrottleConfig config = {}) : config_(config) {}

  // Counts one attempt from `address` at `now` and takes a slot, or refuses
  // (kRateLimited with retry_after_seconds set, or kUnavailable).
  Result<Slot> admit(std::string_view address, UnixSeconds now);
  // Seconds until the caller's window ends, for Retry-After (>= 1).
  static int64_t retry_after(UnixSeconds now) { return 60 - now % 60; }

 private:
  struct Window {
    int64_t minute = 0;
    int count = 0;
  };
  void release();

  const SignInThrottleConfig config_;
  std::mutex mu_;
  int running_ = 0;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace duet::core
