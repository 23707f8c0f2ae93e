// SqliteStore: metering, operator tokens, retention, leases, SLA and audit, each call one
// transaction around the backend's sqlite_<area>.cc functions.
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Status SqliteStore::add_package(const WriteContext& context, const Package& p) {
  DUET_TRY_STATUS(validate_package(p));
  return write(context, [&](Connection& c) { return sqlite::add_package(c, p); });
}

Result<std::vector<Package>> SqliteStore::list_packages(std::string_view tenant_id) {
  return read_single<std::vector<Package>>([&](Connection& c) { return sqlite::list_packages(c, tenant_id); });
}

Result<Package> SqliteStore::get_package(std::string_view tenant_id, std::string_view package_id) {
  return read_single<Package>([&](Connection& c) { return sqlite::get_package(c, tenant_id, package_id); });
}

Status SqliteStore::check_quota(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now) {
  return run<Status>(kNoWrite, Transaction::Kind::kRead, [&](Connection& c) {
    return sqlite::check_quota(c, options_.quota_order, tenant_id, kind, units, now);
  });
}

Result<std::vector<UsageRecord>> SqliteStore::list_usage_records(std::string_view tenant_id, UnixSeconds from,
                                                                 UnixSeconds to, size_t limit) {
  return read_single<std::vector<UsageRecord>>(
      [&](Connection& c) { return sqlite::list_usage_records(c, tenant_id, from, to, limit); });
}

Result<int64_t> SqliteStore::count_usage(std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                                         UnixSeconds to) {
  return read_single<int64_t>([&](Connection& c) { return sqlite::count_usage(c, tenant_id, kind, from, to); });
}

Result<size_t> SqliteStore::prune_usage_records(const WriteContext& context, UnixSeconds before, UnixSeconds now) {
  return run<Result<size_t>>(context, Transaction::Kind::kWrite,
                             [&](Connection& c) { return sqlite::prune_usage_records(c, before, now); });
}

Result<std::vector<Notice>> SqliteStore::list_notices(std::string_view tenant_id, size_t limit) {
  return read_single<std::vector<Notice>>([&](Connection& c) { return sqlite::list_notices(c, tenant_id, limit); });
}

Result<std::vector<Notice>> SqliteStore::sweep_package_notices(const WriteContext& context, UnixSeconds now,
                                                               size_t limit,
                                                               const NoticeCallbackFactory& make_callback) {
  return run<Result<std::vector<Notice>>>(context, Transaction::Kind::kWrite, [&](Connection& c) {
    return sqlite::sweep_package_notices(c, now, limit, make_callback);
  });
}

Status SqliteStore::set_tenant_notify_target(const WriteContext& context, const TenantNotifyTarget& t) {
  return write(context, [&](Connection& c) { return sqlite::set_tenant_notify_target(c, t); });
}

Result<TenantNotifyTarget> SqliteStore::get_tenant_notify_target(std::string_view tenant_id) {
  return read_single<TenantNotifyTarget>(
      [&](Connection& c) { return sqlite::get_tenant_notify_target(c, tenant_id); });
}

Result<Notice> SqliteStore::set_tenant_signature_v1_cutoff(const WriteContext& context, std::string_view tenant_id,
                                                           UnixSeconds cutoff, UnixSeconds now) {
  return run<Result<Notice>>(context, Transaction::Kind::kWrite, [&](Connection& c) {
    return sqlite::set_tenant_signature_v1_cutoff(c, tenant_id, cutoff, now);
  });
}

Status SqliteStore::create_admin_token(const WriteContext& context, const AdminToken& t) {
  if (t.token_hash.empty()) return invalid("admin token hash is empty");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO admin_tokens (token_hash, name, role, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.bind(1, t.token_hash).bind(2, t.name).bind(3, t.role).bind(4, t.created_at).bind(5, t.revoked_at);
    return st.run();
  });
}

Result<AdminToken> SqliteStore::find_admin_token(ByteView token_hash) {
  return read_single<AdminToken>([&](Connection& c) -> Result<AdminToken> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kAdminCols, "admin_tokens", "token_hash = ?1 AND revoked_at IS NULL")));
    st.bind(1, token_hash);
    return query_one<AdminToken>(st, read_admin, "admin token");
  });
}

Result<size_t> SqliteStore::purge_order_payloads(const WriteContext& context, UnixSeconds final_before, UnixSeconds now,
                                                 std::string_view actor, size_t limit) {
  return run<Result<size_t>>(context, Transaction::Kind::kWrite, [&](Connection& c) {
    return sqlite::purge_order_payloads(c, final_before, now, actor, limit);
  });
}

Result<std::optional<UnixSeconds>> SqliteStore::order_payload_purged_at(std::string_view tenant_id,
                                                                        std::string_view order_id) {
  return read_single<std::optional<UnixSeconds>>(
      [&](Connection& c) { return sqlite::order_payload_purged_at(c, tenant_id, order_id); });
}

Result<size_t> SqliteStore::purge_identity_attributes(const WriteContext& context, UnixSeconds issued_before,
                                                      UnixSeconds now, std::string_view actor, size_t limit) {
  return run<Result<size_t>>(context, Transaction::Kind::kWrite, [&](Connection& c) {
    return sqlite::purge_identity_attributes(c, issued_before, now, actor, limit);
  });
}

Result<size_t> SqliteStore::wipe_retired_key_shares(const WriteContext& context, UnixSeconds expired_before,
                                                    UnixSeconds now, std::string_view actor, size_t limit) {
  return run<Result<size_t>>(context, Transaction::Kind::kWrite, [&](Connection& c) {
    return sqlite::wipe_retired_key_shares(c, expired_before, now, actor, limit);
  });
}

Result<RetentionSettings> SqliteStore::get_retention_settings() {
  return read_single<RetentionSettings>([&](Connection& c) { return sqlite::get_retention_settings(c); });
}

Status SqliteStore::put_retention_settings(const WriteContext& context, const RetentionSettings& settings) {
  DUET_TRY_STATUS(validate_retention_settings(settings));
  return write(context, [&](Connection& c) { return sqlite::put_retention_settings(c, settings); });
}

Result<bool> SqliteStore::try_acquire_lease(const WriteContext& context, std::string_view name, std::string_view owner,
                                            UnixSeconds now, int64_t ttl_seconds) {
  if (name.empty() || owner.empty()) return make_error(ErrorCode::kInvalidArgument, "lease name and owner are required");
  if (ttl_seconds < 1) return make_error(ErrorCode::kInvalidArgument, "lease ttl must be >= 1 s");
  return run<Result<bool>>(context, Transaction::Kind::kWrite,
                           [&](Connection& c) { return sqlite::try_acquire_lease(c, name, owner, now, ttl_seconds); });
}

Status SqliteStore::add_availability(const WriteContext& context, const std::vector<AvailabilityMinute>& deltas) {
  DUET_TRY_STATUS(validate_availability(deltas));
  return write(context, [&](Connection& c) { return sqlite::add_availability(c, deltas); });
}

Result<std::vector<AvailabilityMinute>> SqliteStore::list_availability(std::string_view tenant_id, UnixSeconds from,
                                                                       UnixSeconds to) {
  return read_single<std::vector<AvailabilityMinute>>(
      [&](Connection& c) { return sqlite::list_availability(c, tenant_id, from, to); });
}

Result<std::optional<UnixSeconds>> SqliteStore::first_availability_minute() {
  return read_single<std::optional<UnixSeconds>>([&](Connection& c) { return sqlite::first_availability_minute(c); });
}

Status SqliteStore::create_maintenance_window(const WriteContext& context, const MaintenanceWindow& w) {
  return write(context, [&](Connection& c) { return sqlite::create_maintenance_window(c, w); });
}

Result<MaintenanceWindow> SqliteStore::get_maintenance_window(std::string_view window_id) {
  return read_single<MaintenanceWindow>([&](Connection& c) { return sqlite::get_maintenance_window(c, window_id); });
}

Result<std::vector<MaintenanceWindow>> SqliteStore::list_maintenance_windows(UnixSeconds from, UnixSeconds to) {
  return read_single<std::vector<MaintenanceWindow>>(
      [&](Connection& c) { return sqlite::list_maintenance_windows(c, from, to); });
}

Status SqliteStore::delete_maintenance_window(const WriteContext& context, std::string_view window_id,
                                              UnixSeconds now) {
  return write(context, [&](Connection& c) { return sqlite::delete_maintenance_window(c, window_id, now); });
}

Result<SlaCredit> SqliteStore::propose_sla_credit(const WriteContext& context, const SlaCredit& credit) {
  DUET_TRY_STATUS(validate_sla_credit(credit));
  return run<Result<SlaCredit>>(context, Transaction::Kind::kWrite,
                                [&](Connection& c) { return sqlite::propose_sla_credit(c, credit); });
}

Status SqliteStore::withdraw_sla_credit(const WriteContext& context, std::string_view tenant_id, std::string_view month,
                                        SlaCreditKind kind) {
  return write(context, [&](Connection& c) { return sqlite::withdraw_sla_credit(c, tenant_id, month, kind); });
}

Result<SlaCredit> SqliteStore::find_sla_credit(std::string_view credit_id) {
  return read_single<SlaCredit>([&](Connection& c) { return sqlite::find_sla_credit(c, credit_id); });
}

Result<std::vector<SlaCredit>> SqliteStore::list_sla_credits(std::string_view tenant_id, std::string_view month) {
  return read_single<std::vector<SlaCredit>>(
      [&](Connection& c) { return sqlite::list_sla_credits(c, tenant_id, month); });
}

Status SqliteStore::approve_sla_credit(const WriteContext& context, std::string_view credit_id,
                                       std::string_view approved_by, UnixSeconds now, const Package& bonus) {
  return write(context,
               [&](Connection& c) { return sqlite::approve_sla_credit(c, credit_id, approved_by, now, bonus); });
}

Result<int64_t> SqliteStore::hit_rate_window(const WriteContext& context, std::string_view tenant_id,
                                             std::string_view key, UnixSeconds window_start) {
  return run<Result<int64_t>>(context, Transaction::Kind::kWrite,
                              [&](Connection& c) { return sqlite::hit_rate_window(c, tenant_id, key, window_start); });
}

Result<size_t> SqliteStore::prune_rate_windows(const WriteContext& context, UnixSeconds before) {
  return run<Result<size_t>>(context, Transaction::Kind::kWrite,
                             [&](Connection& c) { return sqlite::prune_rate_windows(c, before); });
}

Status SqliteStore::set_tenant_rate_limit(const WriteContext& context, std::string_view tenant_id,
                                          int64_t requests_per_second, UnixSeconds now) {
  return write(context,
               [&](Connection& c) { return sqlite::set_tenant_rate_limit(c, tenant_id, requests_per_second, now); });
}

Result<std::vector<TenantRateLimit>> SqliteStore::list_tenant_rate_limits() {
  return read_single<std::vector<TenantRateLimit>>([&](Connection& c) { return sqlite::list_tenant_rate_limits(c); });
}

Result<AuditEvent> SqliteStore::append_audit_event(const AuditEvent& event) {
  AuditEvent e = event;
  DUET_TRY_STATUS(write(kNoWrite, [&](Connection& c) { return sqlite::append_audit_event(c, e); }));
  return e;
}

Status SqliteStore::append_audit_events(std::vector<AuditEvent>& events) {
  return write(kNoWrite, [&](Connection& c) -> Status {
    for (AuditEvent& e : events) DUET_TRY_STATUS(sqlite::append_audit_event(c, e));
    return Status::Ok();
  });
}

Result<AuditCheckpoint> SqliteStore::get_audit_head() {
  return read_single<AuditCheckpoint>([&](Connection& c) { return sqlite::read_audit_head(c); });
}

Result<std::vector<AuditEvent>> SqliteStore::list_audit_events(int64_t after_seq, size_t limit) {
  return read_single<std::vector<AuditEvent>>(
      [&](Connection& c) { return sqlite::list_audit_events(c, after_seq, limit); });
}

Result<std::vector<AuditEvent>> SqliteStore::list_tenant_audit_events(std::string_view tenant_id, UnixSeconds from,
                                                                      UnixSeconds to, int64_t after_seq, size_t limit) {
  return read_single<std::vector<AuditEvent>>(
      [&](Connection& c) { return sqlite::list_tenant_audit_events(c, tenant_id, from, to, after_seq, limit); });
}

Status SqliteStore::add_audit_checkpoint(const AuditCheckpoint& cp) {
  return write(kNoWrite, [&](Connection& c) { return sqlite::add_audit_checkpoint(c, cp); });
}

Result<std::vector<AuditCheckpoint>> SqliteStore::list_audit_checkpoints(int64_t from_seq, int64_t to_seq) {
  return read_single<std::vector<AuditCheckpoint>>(
      [&](Connection& c) { return sqlite::list_audit_checkpoints(c, from_seq, to_seq); });
}

Status SqliteStore::put_audit_key(const AuditKey& key) {
  return write(kNoWrite, [&](Connection& c) { return sqlite::put_audit_key(c, key); });
}

Result<std::vector<AuditKey>> SqliteStore::list_audit_keys() {
  return read_single<std::vector<AuditKey>>([&](Connection& c) { return sqlite::list_audit_keys(c); });
}

Result<std::vector<AdminToken>> SqliteStore::list_admin_tokens() {
  return read_single<std::vector<AdminToken>>([&](Connection& c) { return sqlite::list_admin_tokens(c); });
}

Result<size_t> SqliteStore::revoke_admin_tokens(const WriteContext& context, std::string_view name, UnixSeconds now) {
  return run<Result<size_t>>(context, Transaction::Kind::kWrite,
                             [&](Connection& c) { return sqlite::revoke_admin_tokens(c, name, now); });
}

}  // namespace duet::store::sqlite_store
