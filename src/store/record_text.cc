#include "store/record_text.h"

#include <charconv>
#include <cstddef>
#include <string>
#include <utility>

#include "store/store_error.h"

namespace duet::store::record_text {
namespace {

// An enum's stored words; the first is the word of a value the table lacks.
template <typename E, size_t N>
using Words = std::pair<E, std::string_view>[N];

template <typename E, size_t N>
std::string_view word_of(const Words<E, N>& words, E value) {
  for (const auto& [v, word] : words)
    if (v == value) return word;
  return words[0].second;
}

template <typename E, size_t N>
Result<E> parse_word(const Words<E, N>& words, std::string_view text, std::string_view what) {
  for (const auto& [v, word] : words)
    if (word == text) return v;
  return store_error(StoreError::kCorrupt, "unknown " + std::string(what));
}

}  // namespace

std::string_view env_text(AppEnvironment e) { return e == AppEnvironment::kProduction ? "production" : "sandbox"; }
std::string_view holder_status_text(HolderStatus s) { return s == HolderStatus::kLocked ? "locked" : "active"; }
std::string_view format_text(OutputFormat f) { return f == OutputFormat::kRaw ? "raw" : "der"; }
std::string_view cms_output_text(OutputFormat f) {
  return f == OutputFormat::kCmsDetached || f == OutputFormat::kPdf ? "detached"
         : f == OutputFormat::kCmsAttached                          ? "attached"
                                                                    : "";
}
std::string_view document_output_text(OutputFormat f) { return f == OutputFormat::kPdf ? "pdf" : ""; }
std::string pages_text(const std::vector<int>& pages) {
  std::string out;
  for (int p : pages) {
    if (!out.empty()) out += ',';
    out += std::to_string(p);
  }
  return out;
}

Result<std::vector<int>> parse_pages(std::string_view text) {
  std::vector<int> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    int v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || end != part.data() + part.size() || v < 1)
      return store_error(StoreError::kCorrupt, "bad stamped pages");
    out.push_back(v);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

bool is_cms(OutputFormat f) {
  return f == OutputFormat::kCmsDetached || f == OutputFormat::kCmsAttached || f == OutputFormat::kPdf;
}

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
Result<OutputFormat> parse_format(std::string_view t, std::string_view cms, std::string_view document) {
  if (document == "pdf") {
    if (t == "der" && cms == "detached") return OutputFormat::kPdf;
    return store_error(StoreError::kCorrupt, "unknown output format");
  }
  if (!document.empty()) return store_error(StoreError::kCorrupt, "unknown output format");
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

Result<OrderState> parse_order_state(std::string_view t) { return parse_word(kOrderStates, t, "order state"); }

std::string_view order_state_text(OrderState state) { return word_of(kOrderStates, state); }

constexpr std::pair<PackageKind, std::string_view> kPackageKinds[] = {
    {PackageKind::kPerSignature, "per_signature"}, {PackageKind::kPerUser, "per_user"},
    {PackageKind::kUnlimited, "unlimited"}};

std::string_view package_kind_text(PackageKind k) { return word_of(kPackageKinds, k); }

Result<PackageKind> parse_package_kind(std::string_view t) { return parse_word(kPackageKinds, t, "package kind"); }

constexpr std::pair<NoticeKind, std::string_view> kNoticeKinds[] = {
    {NoticeKind::kUsed80, "used_80"},          {NoticeKind::kUsed90, "used_90"},
    {NoticeKind::kUsed100, "used_100"},        {NoticeKind::kExpiring30Days, "expiring_30d"},
    {NoticeKind::kExpiring7Days, "expiring_7d"}, {NoticeKind::kEnded, "ended"},
    {NoticeKind::kSignatureV1Cutoff, "signature_v1_cutoff"}, {NoticeKind::kMaintenancePlanned, "maintenance_planned"},
    {NoticeKind::kMaintenanceCancelled, "maintenance_cancelled"}, {NoticeKind::kMaintenanceChanged, "maintenance_changed"},
    {NoticeKind::kTenantSuspended, "tenant_suspended"},       {NoticeKind::kTenantResumed, "tenant_resumed"},
    {NoticeKind::kSlaTermsChanged, "sla_terms_changed"}};

std::string_view notice_kind_text(NoticeKind k) { return word_of(kNoticeKinds, k); }

Result<NoticeKind> parse_notice_kind(std::string_view t) { return parse_word(kNoticeKinds, t, "notice kind"); }

constexpr std::pair<SlaCreditKind, std::string_view> kSlaCreditKinds[] = {{SlaCreditKind::kSignatures, "signatures"},
                                                                      {SlaCreditKind::kDays, "days"}};
constexpr std::pair<SlaCreditState, std::string_view> kSlaCreditStates[] = {{SlaCreditState::kProposed, "proposed"},
                                                                        {SlaCreditState::kApproved, "approved"}};

std::string_view sla_credit_kind_text(SlaCreditKind k) { return word_of(kSlaCreditKinds, k); }

Result<SlaCreditKind> parse_sla_credit_kind(std::string_view t) { return parse_word(kSlaCreditKinds, t, "credit kind"); }

Result<SlaCreditState> parse_sla_credit_state(std::string_view t) {
  return parse_word(kSlaCreditStates, t, "credit state");
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
