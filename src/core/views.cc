#include "core/views.h"

namespace duet::core {

std::string_view order_state_name(store::OrderState s) {
  switch (s) {
    case store::OrderState::kPending: return "pending";
    case store::OrderState::kSigning: return "signing";
    case store::OrderState::kSigned: return "signed";
    case store::OrderState::kRejected: return "rejected";
    case store::OrderState::kExpired: return "expired";
    case store::OrderState::kCancelled: return "cancelled";
    case store::OrderState::kFailed: return "failed";
  }
  return "failed";
}

std::optional<store::OrderState> order_state_from_name(std::string_view n) {
  for (auto s : {store::OrderState::kPending, store::OrderState::kSigning, store::OrderState::kSigned,
                 store::OrderState::kRejected, store::OrderState::kExpired, store::OrderState::kCancelled,
                 store::OrderState::kFailed}) {
    if (order_state_name(s) == n) return s;
  }
  return std::nullopt;
}

std::string_view output_format_name(store::OutputFormat f) {
  switch (f) {
    case store::OutputFormat::kDer: return "der";
    case store::OutputFormat::kCmsDetached: return "cms-detached";
    case store::OutputFormat::kCmsAttached: return "cms-attached";
    case store::OutputFormat::kPdf: return "pdf";
    case store::OutputFormat::kRaw: break;
  }
  return "raw";
}

std::optional<store::OutputFormat> output_format_from_name(std::string_view n) {
  if (n == "raw") return store::OutputFormat::kRaw;
  if (n == "der") return store::OutputFormat::kDer;
  if (n == "cms-detached") return store::OutputFormat::kCmsDetached;
  if (n == "cms-attached") return store::OutputFormat::kCmsAttached;
  if (n == "pdf") return store::OutputFormat::kPdf;
  return std::nullopt;
}

std::string_view holder_status_name(store::HolderStatus s) { return s == store::HolderStatus::kLocked ? "locked" : "active"; }

std::string_view environment_name(store::AppEnvironment e) {
  return e == store::AppEnvironment::kProduction ? "production" : "sandbox";
}

}  // namespace duet::core
