// The rows of the area functions (metering, SLA, audit, retention: the
// pg_<area>.cc and sqlite_<area>.cc files) as both backends select and read
// them: one column list and one reader per record, so a column added to a
// table is added once. They read a RowReader (store/row_reader.h: pg::Row, or
// a stepped sqlite::Statement), like the decoders of store/row_decoders.h.
// Private to src/store.
#pragma once

#include <string_view>

#include "base/result.h"
#include "store/audit_encoding.h"
#include "store/record_text.h"
#include "store/records.h"
#include "store/row_reader.h"
#include "store/sla_records.h"
#include "store/store_error.h"

namespace duet::store {

// --- metering -------------------------------------------------------------------

constexpr std::string_view kPackageCols =
    "tenant_id, package_id, kind, quantity, used, starts_at, expires_at, source, note, created_at";

inline Result<Package> read_package(const RowReader& r) {
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

inline Result<UsageRecord> read_usage(const RowReader& r) {
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
    "tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at, subject_id";

// package_id is NULL for a tenant notice (schema v11): read as "".
inline Result<Notice> read_notice(const RowReader& r) {
  Notice n;
  n.tenant_id = r.text(0);
  n.notice_id = r.text(1);
  n.package_id = r.text(2);
  DUET_ASSIGN_OR_RETURN(n.kind, record_text::parse_notice_kind(r.text(3)));
  n.created_at = r.get_int(4);
  n.webhook_state = r.text(5);
  n.effective_at = r.optional_int(6);
  n.subject_id = r.text(7);
  return n;
}

constexpr std::string_view kNotifyTargetCols = "tenant_id, url, secret_ciphertext, updated_at";

inline TenantNotifyTarget read_notify_target(const RowReader& r) {
  TenantNotifyTarget t;
  t.tenant_id = r.text(0);
  t.url = r.text(1);
  t.secret_ciphertext = r.blob(2);
  t.updated_at = r.get_int(3);
  return t;
}

// --- SLA ------------------------------------------------------------------------

constexpr std::string_view kMinuteCols =
    "tenant_id, minute, requests, normal, total_us, max_us, probes_ok, probes_failed";

inline AvailabilityMinute read_minute(const RowReader& r) {
  AvailabilityMinute m;
  m.tenant_id = r.text(0);
  m.minute = r.get_int(1);
  m.requests = r.get_int(2);
  m.normal = r.get_int(3);
  m.total_us = r.get_int(4);
  m.max_us = r.get_int(5);
  m.probes_ok = r.get_int(6);
  m.probes_failed = r.get_int(7);
  return m;
}

constexpr std::string_view kWindowCols = "window_id, starts_at, ends_at, announced_at, description, created_by, kind";

inline MaintenanceWindow read_window(const RowReader& r) {
  MaintenanceWindow w;
  w.window_id = r.text(0);
  w.starts_at = r.get_int(1);
  w.ends_at = r.get_int(2);
  w.announced_at = r.get_int(3);
  w.description = r.text(4);
  w.created_by = r.text(5);
  w.kind = r.text(6);
  return w;
}

constexpr std::string_view kCreditCols =
    "tenant_id, credit_id, month, kind, band, amount, basis, state, created_at, updated_at, approved_at, "
    "approved_by, package_id";

inline Result<SlaCredit> read_credit(const RowReader& r) {
  SlaCredit c;
  c.tenant_id = r.text(0);
  c.credit_id = r.text(1);
  c.month = r.text(2);
  DUET_ASSIGN_OR_RETURN(c.kind, record_text::parse_sla_credit_kind(r.text(3)));
  c.band = r.text(4);
  c.amount = r.get_int(5);
  c.basis = r.text(6);
  DUET_ASSIGN_OR_RETURN(c.state, record_text::parse_sla_credit_state(r.text(7)));
  c.created_at = r.get_int(8);
  c.updated_at = r.get_int(9);
  c.approved_at = r.optional_int(10);
  c.approved_by = r.text(11);
  c.package_id = r.text(12);
  return c;
}

constexpr std::string_view kRateLimitCols = "tenant_id, requests_per_second, updated_at";

inline TenantRateLimit read_rate_limit(const RowReader& r) {
  return TenantRateLimit{r.text(0), r.get_int(1), r.get_int(2)};
}

// --- audit ----------------------------------------------------------------------

constexpr std::string_view kEventCols =
    "seq, at, tenant_id, actor_type, actor_id, action, target, outcome, address, request_id, details, prev_hash, "
    "hash";

inline AuditEvent read_event(const RowReader& r) {
  AuditEvent e;
  e.seq = r.get_int(0);
  e.at = r.get_int(1);
  e.tenant_id = r.text(2);
  e.actor_type = r.text(3);
  e.actor_id = r.text(4);
  e.action = r.text(5);
  e.target = r.text(6);
  e.outcome = r.text(7);
  e.address = r.text(8);
  e.request_id = r.text(9);
  e.details = r.text(10);
  e.prev_hash = r.blob(11);
  e.hash = r.blob(12);
  return e;
}

// The chain head row ("SELECT seq, hash FROM audit_head"); its hash must be
// a whole hash.
inline Result<AuditCheckpoint> read_audit_head_row(const RowReader& r) {
  AuditCheckpoint head;
  head.seq = r.get_int(0);
  head.hash = r.blob(1);
  if (head.hash.size() != kAuditHashSize) return store_error(StoreError::kCorrupt, "audit chain head malformed");
  return head;
}

constexpr std::string_view kCheckpointCols = "seq, hash, signed_at, key_id, signature, prev_hash";

inline AuditCheckpoint read_checkpoint(const RowReader& r) {
  AuditCheckpoint cp;
  cp.seq = r.get_int(0);
  cp.hash = r.blob(1);
  cp.signed_at = r.get_int(2);
  cp.key_id = r.text(3);
  cp.signature = r.blob(4);
  cp.prev_hash = r.blob(5);  // NULL (a v1 checkpoint) reads as empty
  return cp;
}

constexpr std::string_view kAuditKeyCols = "key_id, public_key_der, sealed_private_key, created_at";

inline AuditKey read_audit_key(const RowReader& r) {
  AuditKey k;
  k.key_id = r.text(0);
  k.public_key_der = r.blob(1);
  k.sealed_private_key = r.blob(2);
  k.created_at = r.get_int(3);
  return k;
}

// --- retention ------------------------------------------------------------------

constexpr std::string_view kRetentionSettingsCols =
    "order_payload_days, identity_days, expired_key_days, interval_seconds, updated_at, updated_by";

inline RetentionSettings read_retention_settings(const RowReader& r) {
  RetentionSettings s;
  s.order_payload_days = r.get_int(0);
  s.identity_days = r.get_int(1);
  s.expired_key_days = r.get_int(2);
  s.interval_seconds = r.get_int(3);
  s.updated_at = r.get_int(4);
  s.updated_by = r.text(5);
  return s;
}

}  // namespace duet::store
