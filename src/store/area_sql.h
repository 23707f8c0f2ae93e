// The statements of the area functions (metering, SLA, audit, retention)
// that the SQLite and PostgreSQL backends run alike, written once (see
// store/sql_text.h; kX.sqlite() and kX.pg()). The comment of each names its
// parameters in order. A statement whose dialects differ (locking, casts,
// upserts of counters, RETURNING) stays in its backend's file. Private to
// src/store.
#pragma once

#include "store/sql_text.h"

namespace duet::store {

// --- metering (pg_metering.cc, sqlite_metering.cc) -------------------------
// (tenant, notice, package, kind, created_at): a no-op if the package has the notice
inline constexpr SqlText kInsertPackageNotice{
    "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, webhook_state) VALUES (?1, ?2, ?3, ?4, "
    "?5, 'pending') ON CONFLICT (tenant_id, package_id, kind) DO NOTHING"};
// (tenant, kind, now)
inline constexpr SqlText kAnyUsablePackage{
    "SELECT 1 FROM packages WHERE tenant_id = ?1 AND kind = ?2 AND starts_at <= ?3 AND expires_at > ?3 LIMIT 1"};
// (tenant, package, units, used as read): the conditional update of one take
inline constexpr SqlText kTakeUnits{
    "UPDATE packages SET used = used + ?3 WHERE tenant_id = ?1 AND package_id = ?2 AND used = ?4 AND used + ?3 <= "
    "quantity"};
// (the usage record's columns in kUsageCols order)
inline constexpr SqlText kInsertUsage{
    "INSERT INTO usage_records (tenant_id, usage_id, package_id, kind, order_id, item_index, holder_id, counted_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"};
// (tenant, app)
inline constexpr SqlText kAppEnvironment{
    "SELECT environment FROM apps WHERE tenant_id = ?1 AND app_id = ?2"};
// (tenant)
inline constexpr SqlText kTenantExists{
    "SELECT 1 FROM tenants WHERE tenant_id = ?1"};
// (tenant, package, kind, quantity, starts_at, expires_at, source, note, created_at)
inline constexpr SqlText kInsertPackage{
    "INSERT INTO packages (tenant_id, package_id, kind, quantity, used, starts_at, expires_at, source, note, "
    "created_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9)"};
// (tenant, order): the item indexes without a per-signature usage record
inline constexpr SqlText kItemsNotCounted{
    "SELECT i.item_index FROM sign_order_items i WHERE i.tenant_id = ?1 AND i.order_id = ?2 AND NOT EXISTS (SELECT 1 "
    "FROM usage_records u WHERE u.tenant_id = i.tenant_id AND u.order_id = i.order_id AND u.item_index = "
    "i.item_index AND u.kind = 'per_signature') ORDER BY i.item_index"};
// (tenant, kind, from, to)
inline constexpr SqlText kCountUsage{
    "SELECT COUNT(*) FROM usage_records WHERE tenant_id = ?1 AND kind = ?2 AND counted_at >= ?3 AND counted_at < ?4"};
// (before)
inline constexpr SqlText kPruneUsage{
    "DELETE FROM usage_records WHERE counted_at < ?1"};
// (tenant, notice, new state): only a pending notice moves
inline constexpr SqlText kClaimNotice{
    "UPDATE notices SET webhook_state = ?3 WHERE tenant_id = ?1 AND notice_id = ?2 AND webhook_state = 'pending'"};
// (tenant, job, url, payload, next_attempt_at, created_at)
inline constexpr SqlText kInsertNoticeCallback{
    "INSERT INTO callback_jobs (tenant_id, job_id, order_id, url, payload, attempts, next_attempt_at, last_error, "
    "created_at) VALUES (?1, ?2, NULL, ?3, ?4, 0, ?5, '', ?6)"};
// (tenant)
inline constexpr SqlText kDeleteNotifyTarget{
    "DELETE FROM tenant_notify_targets WHERE tenant_id = ?1"};
// (tenant, url, secret, updated_at)
inline constexpr SqlText kUpsertNotifyTarget{
    "INSERT INTO tenant_notify_targets (tenant_id, url, secret_ciphertext, updated_at) VALUES (?1, ?2, ?3, ?4) ON "
    "CONFLICT (tenant_id) DO UPDATE SET url = excluded.url, secret_ciphertext = excluded.secret_ciphertext, "
    "updated_at = excluded.updated_at"};
// (tenant, cutoff)
inline constexpr SqlText kSetSignatureV1Cutoff{
    "UPDATE tenants SET signature_v1_cutoff = ?2 WHERE tenant_id = ?1"};
// (tenant, notice, kind, created_at, effective_at)
inline constexpr SqlText kInsertTenantNotice{
    "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at) VALUES "
    "(?1, ?2, NULL, ?3, ?4, 'pending', ?5)"};

// --- SLA (pg_sla.cc, sqlite_sla.cc) ----------------------------------------
inline constexpr SqlText kFirstAvailabilityMinute{
    "SELECT MIN(minute) FROM availability_minutes WHERE tenant_id = ''"};
// (the window's columns in kWindowCols order)
inline constexpr SqlText kInsertMaintenanceWindow{
    "INSERT INTO maintenance_windows (window_id, starts_at, ends_at, announced_at, description, created_by, kind) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"};
// (window, now): only a window that has not started
inline constexpr SqlText kDeleteFutureWindow{
    "DELETE FROM maintenance_windows WHERE window_id = ?1 AND starts_at > ?2"};
// (tenant, month, kind): only a proposed credit
inline constexpr SqlText kWithdrawCredit{
    "DELETE FROM sla_credits WHERE tenant_id = ?1 AND month = ?2 AND kind = ?3 AND state = 'proposed'"};
// (tenant, credit, now, approved_by, package): only a proposed credit
inline constexpr SqlText kApproveCredit{
    "UPDATE sla_credits SET state = 'approved', approved_at = ?3, approved_by = ?4, package_id = ?5, updated_at = ?3 "
    "WHERE tenant_id = ?1 AND credit_id = ?2 AND state = 'proposed'"};
// (before)
inline constexpr SqlText kPruneRateWindows{
    "DELETE FROM rate_windows WHERE window_start < ?1"};
// (tenant)
inline constexpr SqlText kDeleteTenantRateLimit{
    "DELETE FROM tenant_rate_limits WHERE tenant_id = ?1"};
// (tenant, requests_per_second, updated_at)
inline constexpr SqlText kUpsertTenantRateLimit{
    "INSERT INTO tenant_rate_limits (tenant_id, requests_per_second, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT "
    "(tenant_id) DO UPDATE SET requests_per_second = excluded.requests_per_second, updated_at = excluded.updated_at"};

// --- audit (pg_audit.cc, sqlite_audit.cc) ----------------------------------
inline constexpr SqlText kAuditHead{
    "SELECT seq, hash FROM audit_head WHERE id = 1"};
// (seq)
inline constexpr SqlText kAuditEventHash{
    "SELECT hash FROM audit_events WHERE seq = ?1"};
// (the checkpoint's columns in kCheckpointCols order)
inline constexpr SqlText kInsertAuditCheckpoint{
    "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature, prev_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"};
// The newest checkpoint (the one a new checkpoint must name as prev).
inline constexpr SqlText kLatestAuditCheckpoint{
    "SELECT seq, hash, signed_at, key_id, signature, prev_hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"};
// (the key's columns in kAuditKeyCols order)
inline constexpr SqlText kInsertAuditKey{
    "INSERT INTO audit_keys (key_id, public_key_der, sealed_private_key, created_at) VALUES (?1, ?2, ?3, ?4)"};
// (name, now)
inline constexpr SqlText kRevokeAdminTokens{
    "UPDATE admin_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL"};

// --- retention (pg_retention.cc, sqlite_retention.cc) ----------------------
// (tenant, order)
inline constexpr SqlText kOrderItemInputs{
    "SELECT item_index, input, input_is_digest FROM sign_order_items WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY "
    "item_index"};
// (tenant, order, item, input)
inline constexpr SqlText kSetItemInput{
    "UPDATE sign_order_items SET input = ?4 WHERE tenant_id = ?1 AND order_id = ?2 AND item_index = ?3"};
// (tenant, order, now): only an order not purged yet
inline constexpr SqlText kMarkPayloadPurged{
    "UPDATE sign_orders SET display_text = '', payload_purged_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 AND "
    "payload_purged_at IS NULL"};
// (tenant, order)
inline constexpr SqlText kPayloadPurgedAt{
    "SELECT payload_purged_at FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2"};
// (the settings' columns in kRetentionSettingsCols order)
inline constexpr SqlText kUpsertRetentionSettings{
    "INSERT INTO retention_settings (id, order_payload_days, identity_days, expired_key_days, interval_seconds, "
    "updated_at, updated_by) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET order_payload_days = "
    "excluded.order_payload_days, identity_days = excluded.identity_days, expired_key_days = "
    "excluded.expired_key_days, interval_seconds = excluded.interval_seconds, updated_at = excluded.updated_at, "
    "updated_by = excluded.updated_by"};

}  // namespace duet::store
