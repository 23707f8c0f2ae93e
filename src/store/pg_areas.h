// The PostgreSQL side of the issue-5 areas (metering, audit, retention and
// leases, SLA), as free functions on a connection: PgStore (pg_store.cc)
// wraps each in its transaction, as SqliteStore does with the sqlite_<area>
// functions. Private to the PostgreSQL backend. Same contracts as store.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/quota_order.h"
#include "store/records.h"
#include "store/sla_records.h"
#include "store/store.h"

namespace duet::store::pg {

class Connection;

// --- metering (pg_metering.cc) ---
Status add_package(Connection& c, const Package& p);
Result<std::vector<Package>> list_packages(Connection& c, std::string_view tenant_id);
Result<Package> get_package(Connection& c, std::string_view tenant_id, std::string_view package_id);
// The metering functions take core's quota consumption order (`rule`,
// store/quota_order.h) and apply its plan with conditional updates.
Status check_quota(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id, PackageKind kind,
                   int64_t units, UnixSeconds now);

// create_order's check (inside its write transaction, before the insert),
// with the order's app already read by the caller (`app_found`, its
// environment): a kSign order of a production app needs `items` signature
// units available.
Status check_order_quota(Connection& c, const QuotaOrderRule& rule, const SignOrder& order, bool app_found,
                         AppEnvironment environment);
// finish_order's metering (inside its transaction, after the order became
// signed), with the order's kind, holder and its app's environment already
// read by the caller in this transaction (`app_environment` empty: the app
// is missing): one unit per item not yet recorded, for kSign orders of
// production apps. ErrorCode::kQuotaExhausted when not covered.
Status meter_finished_order(Connection& c, const QuotaOrderRule& rule, std::string_view tenant_id,
                            std::string_view order_id, UnixSeconds now, std::string_view kind,
                            std::string_view holder_id, std::string_view app_environment);
Status meter_new_holder(Connection& c, const QuotaOrderRule& rule, const Holder& holder);

Result<std::vector<UsageRecord>> list_usage_records(Connection& c, std::string_view tenant_id, UnixSeconds from,
                                                    UnixSeconds to, size_t limit);
Result<int64_t> count_usage(Connection& c, std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                            UnixSeconds to);
Result<size_t> prune_usage_records(Connection& c, UnixSeconds before, UnixSeconds now);

Result<std::vector<Notice>> list_notices(Connection& c, std::string_view tenant_id, size_t limit);
Result<std::vector<Notice>> sweep_package_notices(Connection& c, UnixSeconds now, size_t limit,
                                                  const Store::NoticeCallbackFactory& make_callback);

Status set_tenant_notify_target(Connection& c, const TenantNotifyTarget& t);
Result<Notice> set_tenant_signature_v1_cutoff(Connection& c, std::string_view tenant_id, UnixSeconds cutoff,
                                              UnixSeconds now);
Result<TenantNotifyTarget> get_tenant_notify_target(Connection& c, std::string_view tenant_id);
// A tenant notice (package_id NULL) of `kind`, created now, inside the
// caller's transaction (store/tenant_notice_rows.h; pg_notice_mail.cc).
Status insert_tenant_notice(Connection& c, std::string_view tenant_id, NoticeKind kind, UnixSeconds now,
                            std::optional<UnixSeconds> effective_at, std::string_view subject_id);


// --- audit (pg_audit.cc) ---
// With `then_commit` (inside a Transaction, as its last statement) the
// event's insert and the COMMIT travel in one round trip
// (Connection::commit_with_next); Transaction::commit() then reports the
// COMMIT's outcome.
Status append_audit_event(Connection& c, AuditEvent& event, bool then_commit = false);
Result<AuditCheckpoint> read_audit_head(Connection& c);  // seq 0 + zero hash when empty
Result<std::vector<AuditEvent>> list_audit_events(Connection& c, int64_t after_seq, size_t limit);
Result<std::vector<AuditEvent>> list_tenant_audit_events(Connection& c, std::string_view tenant_id,
                                                         UnixSeconds from, UnixSeconds to, int64_t after_seq,
                                                         size_t limit);
Status add_audit_checkpoint(Connection& c, const AuditCheckpoint& cp);
Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(Connection& c, int64_t from_seq, int64_t to_seq);
Status put_audit_key(Connection& c, const AuditKey& key);
Result<std::vector<AuditKey>> list_audit_keys(Connection& c);
Result<std::vector<AdminToken>> list_admin_tokens(Connection& c);
Result<size_t> revoke_admin_tokens(Connection& c, std::string_view name, UnixSeconds now);

// --- retention and leases (pg_retention.cc) ---
Result<size_t> purge_order_payloads(Connection& c, UnixSeconds final_before, UnixSeconds now, std::string_view actor,
                                    size_t limit);
Result<std::optional<UnixSeconds>> order_payload_purged_at(Connection& c, std::string_view tenant_id,
                                                           std::string_view order_id);
Result<size_t> purge_identity_attributes(Connection& c, UnixSeconds issued_before, UnixSeconds now,
                                         std::string_view actor, size_t limit);
Result<size_t> wipe_retired_key_shares(Connection& c, UnixSeconds expired_before, UnixSeconds now,
                                       std::string_view actor, size_t limit);
Result<RetentionSettings> get_retention_settings(Connection& c);
Status put_retention_settings(Connection& c, const RetentionSettings& s);
Result<bool> try_acquire_lease(Connection& c, std::string_view name, std::string_view owner, UnixSeconds now,
                               int64_t ttl_seconds);

// --- sla (pg_sla.cc) ---
Status add_availability(Connection& c, const std::vector<AvailabilityMinute>& deltas);
Result<std::vector<AvailabilityMinute>> list_availability(Connection& c, std::string_view tenant_id,
                                                          UnixSeconds from, UnixSeconds to);
Result<std::optional<UnixSeconds>> first_availability_minute(Connection& c);

Status create_maintenance_window(Connection& c, const MaintenanceWindow& w);
Result<MaintenanceWindow> get_maintenance_window(Connection& c, std::string_view window_id);
Result<std::vector<MaintenanceWindow>> list_maintenance_windows(Connection& c, UnixSeconds from, UnixSeconds to);
Status delete_maintenance_window(Connection& c, std::string_view window_id, UnixSeconds now);

Result<SlaCredit> propose_sla_credit(Connection& c, const SlaCredit& credit);
Status withdraw_sla_credit(Connection& c, std::string_view tenant_id, std::string_view month, SlaCreditKind kind);
Result<SlaCredit> find_sla_credit(Connection& c, std::string_view credit_id);
Result<std::vector<SlaCredit>> list_sla_credits(Connection& c, std::string_view tenant_id, std::string_view month);
Status approve_sla_credit(Connection& c, std::string_view credit_id, std::string_view approved_by, UnixSeconds now,
                          const Package& bonus);

Result<int64_t> hit_rate_window(Connection& c, std::string_view tenant_id, std::string_view key,
                                UnixSeconds window_start);
Result<size_t> prune_rate_windows(Connection& c, UnixSeconds before);
Status set_tenant_rate_limit(Connection& c, std::string_view tenant_id, int64_t requests_per_second, UnixSeconds now);
Result<std::vector<TenantRateLimit>> list_tenant_rate_limits(Connection& c);

}  // namespace duet::store::pg
