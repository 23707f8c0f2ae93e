#include "core/signin_throttle.h"

#include <iterator>

namespace duet::core {

bool is_signin_busy(const Error& e) { return e.code == ErrorCode::kUnavailable && e.message == kSignInBusyMessage; }

SignInThrottle::Slot::~Slot() {
  if (owner_ != nullptr) owner_->release();
}

void SignInThrottle::release() {
  std::lock_guard lock(mu_);
  --running_;
}

Result<SignInThrottle::Slot> SignInThrottle::admit(std::string_view address, UnixSeconds now) {
  const int64_t minute = now / 60;
  std::lock_guard lock(mu_);
  if (config_.per_address_per_minute > 0) {
    auto it = windows_.find(std::string(address));
    if (it == windows_.end()) {
      if (windows_.size() >= config_.max_addresses) {
        for (auto w = windows_.begin(); w != windows_.end();) w = w->second.minute < minute ? windows_.erase(w) : std::next(w);
        if (windows_.size() >= config_.max_addresses) windows_.clear();
      }
      it = windows_.emplace(std::string(address), Window{minute, 0}).first;
    }
    Window& w = it->second;
    if (w.minute != minute) w = Window{minute, 0};
    if (w.count >= config_.per_address_per_minute)
      return make_error(ErrorCode::kRateLimited, "too many sign-in attempts from this address; retry later");
    ++w.count;
  }
  if (config_.max_concurrent > 0 && running_ >= config_.max_concurrent)
    return make_error(ErrorCode::kUnavailable, std::string(kSignInBusyMessage));
  ++running_;
  return Slot(this);
}

}  // namespace duet::core
