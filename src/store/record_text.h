// How records' enums and list cursors are written in the database, shared by
// the SQLite and PostgreSQL backends (private to src/store): both store the
// same words, so a dump of one reads like the other.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/sla_records.h"

namespace duet::store::record_text {

std::string_view env_text(AppEnvironment e);
std::string_view holder_status_text(HolderStatus s);
// CMS outputs are stored as 'der' plus cms_output (schema version 5).
std::string_view format_text(OutputFormat f);
std::string_view cms_output_text(OutputFormat f);
// kPdf is 'der' + cms_output 'detached' + document_output 'pdf' (schema version 17).
std::string_view document_output_text(OutputFormat f);
// OrderDocument::stamped_pages as stored: "1,3,4".
std::string pages_text(const std::vector<int>& pages);
Result<std::vector<int>> parse_pages(std::string_view text);
bool is_cms(OutputFormat f);
std::string_view order_kind_text(OrderKind k);
std::string_view order_state_text(OrderState state);
std::string_view package_kind_text(PackageKind k);
std::string_view notice_kind_text(NoticeKind k);
std::string_view sla_credit_kind_text(SlaCreditKind k);

// Parsers of stored words; an unknown word is a StoreError::kCorrupt.
Result<AppEnvironment> parse_env(std::string_view t);
Result<HolderStatus> parse_holder_status(std::string_view t);
Result<OutputFormat> parse_format(std::string_view t, std::string_view cms, std::string_view document);
Result<OrderKind> parse_order_kind(std::string_view t);
Result<SessionState> parse_session_state(std::string_view t);
Result<OrderState> parse_order_state(std::string_view t);
Result<PackageKind> parse_package_kind(std::string_view t);
Result<NoticeKind> parse_notice_kind(std::string_view t);
Result<SlaCreditKind> parse_sla_credit_kind(std::string_view t);
Result<SlaCreditState> parse_sla_credit_state(std::string_view t);

bool valid_identity_mode(std::string_view m);
bool valid_cms_oid_style(std::string_view s);
bool valid_ca_role(std::string_view r);
// RFC 5280 CRLReason values a revocation may carry (7 is unused, 8
// removeFromCRL only appears in delta CRLs).
bool valid_revocation_reason(int r);

// A session's r values as stored: joined by ',' (none may contain one).
std::string join_r_values(const std::vector<std::string>& values);
std::vector<std::string> split_r_values(std::string_view text);

// list_orders cursors: "<created_at>:<order_id>" of the last order returned.
std::string make_order_cursor(const SignOrder& o);
struct OrderCursor {
  UnixSeconds created_at = 0;
  std::string order_id;
};
std::optional<OrderCursor> parse_order_cursor(std::string_view text);

}  // namespace duet::store::record_text
