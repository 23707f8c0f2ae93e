#include "store/record_text.h"

#include <charconv>
#include <utility>

#include "store/store_error.h"

namespace duet::store::record_text {
std::string_view env_text(AppEnvironment e) { return e == AppEnvironment::kProduction ? "production" : "sandbox"; }
std::string_view holder_status_text(HolderStatus s) { return s == HolderStatus::kLocked ? "locked" : "active"; }
std::string_view format_text(OutputFormat f) { return f == OutputFormat::kRaw ? "raw" : "der"; }
std::string_view cms_output_text(OutputFormat f) {
  return f == OutputFormat::kCmsDetached ? "detached" : f == OutputFormat::kCmsAttached ? "attached" : "";
}
bool is_cms(OutputFormat f) { return f == OutputFormat::kCmsDetached || f == OutputFormat::kCmsAttached; }

Result<AppEnvironment> parse_env(std::string_view t) {
  if (t == "sandbox") return AppEnvironment::kSandbox;
  if (t == "production") return AppEnvironment::kProduction;
  return store_error(StoreError::kCorrupt, "unknown app environment");
}
Result<HolderStatus> parse_holder_status(std::string_view t) {
  if (t == "active") return HolderStatus::kActive;
  if (t == "locked") return HolderStatus::kLocked;
  return store_error(StoreError::kCorrupt, "unknown holder status");
}
Result<OutputFormat> parse_format(std::string_view t, std::string_view cms) {
  if (t == "raw" && cms.empty()) return OutputFormat::kRaw;
  if (t == "der" && cms.empty()) return OutputFormat::kDer;
  if (t == "der" && cms == "detached") return OutputFormat::kCmsDetached;
  if (t == "der" && cms == "attached") return OutputFormat::kCmsAttached;
  return store_error(StoreError::kCorrupt, "unknown output format");
}
Result<OrderKind> parse_order_kind(std::string_view t) {
  if (t == "sign") return OrderKind::kSign;
  if (t == "csr") return OrderKind::kCsr;
  return store_error(StoreError::kCorrupt, "unknown order kind");
}
std::string_view order_kind_text(OrderKind k) { return k == OrderKind::kCsr ? "csr" : "sign"; }

bool valid_identity_mode(std::string_view m) { return m == "attested" || m == "identity_source"; }
bool valid_cms_oid_style(std::string_view s) { return s == "pkcs7" || s == "gmt"; }
bool valid_ca_role(std::string_view r) { return r == "root" || r == "issuing" || r == "ocsp" || r == "tsa"; }
bool valid_revocation_reason(int r) { return (r >= 0 && r <= 6) || r == 9 || r == 10; }

Result<SessionState> parse_session_state(std::string_view t) {
  if (t == "open") return SessionState::kOpen;
  if (t == "finished") return SessionState::kFinished;
  if (t == "failed") return SessionState::kFailed;
  return store_error(StoreError::kCorrupt, "unknown session state");
}

constexpr std::pair<OrderState, std::string_view> kOrderStates[] = {
    {OrderState::kPending, "pending"},     {OrderState::kSigning, "signing"},
    {OrderState::kSigned, "signed"},       {OrderState::kRejected, "rejected"},
    {OrderState::kExpired, "expired"},     {OrderState::kCancelled, "cancelled"},
    {OrderState::kFailed, "failed"}};

Result<OrderState> parse_order_state(std::string_view t) {
  for (const auto& [s, name] : kOrderStates)
    if (name == t) return s;
  return store_error(StoreError::kCorrupt, "unknown order state");
}

std::string_view order_state_text(OrderState state) {
  for (const auto& [s, name] : kOrderStates)
    if (s == state) return name;
  return "pending";
}

std::string_view package_kind_text(PackageKind k) {
  switch (k) {
    case PackageKind::kPerSignature: return "per_signature";
    case PackageKind::kPerUser: return "per_user";
    case PackageKind::kUnlimited: return "unlimited";
  }
  return "per_signature";
}

Result<PackageKind> parse_package_kind(std::string_view t) {
  if (t == "per_signature") return PackageKind::kPerSignature;
  if (t == "per_user") return PackageKind::kPerUser;
  if (t == "unlimited") return PackageKind::kUnlimited;
  return store_error(StoreError::kCorrupt, "unknown package kind");
}

constexpr std::pair<NoticeKind, std::string_view> kNoticeKinds[] = {
    {NoticeKind::kUsed80, "used_80"},          {NoticeKind::kUsed90, "used_90"},
    {NoticeKind::kUsed100, "used_100"},        {NoticeKind::kExpiring30Days, "expiring_30d"},
    {NoticeKind::kExpiring7Days, "expiring_7d"}, {NoticeKind::kEnded, "ended"},
    {NoticeKind::kSignatureV1Cutoff, "signature_v1_cutoff"}};

std::string_view notice_kind_text(NoticeKind k) {
  for (const auto& [kind, name] : kNoticeKinds)
    if (kind == k) return name;
  return "used_80";
}

Result<NoticeKind> parse_notice_kind(std::string_view t) {
  for (const auto& [kind, name] : kNoticeKinds)
    if (name == t) return kind;
  return store_error(StoreError::kCorrupt, "unknown notice kind");
}

std::string_view sla_credit_kind_text(SlaCreditKind k) { return k == SlaCreditKind::kDays ? "days" : "signatures"; }

Result<SlaCreditKind> parse_sla_credit_kind(std::string_view t) {
  if (t == "signatures") return SlaCreditKind::kSignatures;
  if (t == "days") return SlaCreditKind::kDays;
  return store_error(StoreError::kCorrupt, "unknown credit kind");
}

Result<SlaCreditState> parse_sla_credit_state(std::string_view t) {
  if (t == "proposed") return SlaCreditState::kProposed;
  if (t == "approved") return SlaCreditState::kApproved;
  return store_error(StoreError::kCorrupt, "unknown credit state");
}

std::string make_order_cursor(const SignOrder& o) { return std::to_string(o.created_at) + ":" + o.order_id; }

std::optional<OrderCursor> parse_order_cursor(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  OrderCursor c;
  const char* first = text.data();
  const char* last = text.data() + colon;
  auto [end, ec] = std::from_chars(first, last, c.created_at);
  if (ec != std::errc() || end != last) return std::nullopt;
  c.order_id = std::string(text.substr(colon + 1));
  return c;
}

std::string join_r_values(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += values[i];
  }
  return out;
}

std::vector<std::string> split_r_values(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace duet::store::record_text
