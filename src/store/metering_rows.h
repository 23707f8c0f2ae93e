// The rows of the metering area (packages, usage records, notices, notify
// targets) as both backends select and read them: one column list and one
// reader each. `Columns` is a row with the column readers text, get_int,
// optional_int and blob (pg::Row, sqlite::StatementRow). Private to src/store.
#pragma once

#include <string_view>

#include "base/result.h"
#include "store/record_text.h"
#include "store/records.h"

namespace duet::store {

constexpr std::string_view kPackageCols =
    "tenant_id, package_id, kind, quantity, used, starts_at, expires_at, source, note, created_at";

template <typename Columns>
Result<Package> read_package(const Columns& r) {
  Package p;
  p.tenant_id = r.text(0);
  p.package_id = r.text(1);
  DUET_ASSIGN_OR_RETURN(p.kind, record_text::parse_package_kind(r.text(2)));
  p.quantity = r.get_int(3);
  p.used = r.get_int(4);
  p.starts_at = r.get_int(5);
  p.expires_at = r.get_int(6);
  p.source = r.text(7);
  p.note = r.text(8);
  p.created_at = r.get_int(9);
  return p;
}

constexpr std::string_view kUsageCols =
    "tenant_id, usage_id, package_id, kind, order_id, item_index, holder_id, counted_at";

template <typename Columns>
Result<UsageRecord> read_usage(const Columns& r) {
  UsageRecord u;
  u.tenant_id = r.text(0);
  u.usage_id = r.text(1);
  u.package_id = r.text(2);
  DUET_ASSIGN_OR_RETURN(u.kind, record_text::parse_package_kind(r.text(3)));
  u.order_id = r.text(4);
  u.item_index = r.get_int(5);
  u.holder_id = r.text(6);
  u.counted_at = r.get_int(7);
  return u;
}

constexpr std::string_view kNoticeCols =
    "tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at";

// package_id is NULL for a tenant notice (schema v11): read as "".
template <typename Columns>
Result<Notice> read_notice(const Columns& r) {
  Notice n;
  n.tenant_id = r.text(0);
  n.notice_id = r.text(1);
  n.package_id = r.text(2);
  DUET_ASSIGN_OR_RETURN(n.kind, record_text::parse_notice_kind(r.text(3)));
  n.created_at = r.get_int(4);
  n.webhook_state = r.text(5);
  n.effective_at = r.optional_int(6);
  return n;
}

constexpr std::string_view kNotifyTargetCols = "tenant_id, url, secret_ciphertext, updated_at";

template <typename Columns>
TenantNotifyTarget read_notify_target(const Columns& r) {
  TenantNotifyTarget t;
  t.tenant_id = r.text(0);
  t.url = r.text(1);
  t.secret_ciphertext = r.blob(2);
  t.updated_at = r.get_int(3);
  return t;
}

}  // namespace duet::store
