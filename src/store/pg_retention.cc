// Retention purges, settings and leases on PostgreSQL (schema v10); mirrors
// sqlite_retention.cc. Each purge selects its records with FOR UPDATE SKIP
// LOCKED (a second purger, e.g. a node whose lease just expired, takes other
// records instead of waiting) and appends one audit event per record in the
// same transaction.
#include <string>
#include <vector>

#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/pg_areas.h"
#include "store/pg_db.h"
#include "store/pg_util.h"
#include "store/retention_steps.h"
#include "store/validate.h"

namespace duet::store::pg {
namespace {

// One audit event of a purge, appended in the caller's transaction.
Status audit_purge(Connection& c, std::string_view tenant_id, std::string_view actor, std::string_view action,
                   std::string_view target, std::string details, UnixSeconds now) {
  AuditEvent e = purge_event(tenant_id, actor, action, target, std::move(details), now);
  return append_audit_event(c, e);
}

}  // namespace

Result<size_t> purge_order_payloads(Connection& c, UnixSeconds final_before, UnixSeconds now, std::string_view actor,
                                    size_t limit) {
  DUET_TRY_STATUS(check_purge_actor(actor));
  DUET_ASSIGN_OR_RETURN(Rows orders, c.query(
      "SELECT tenant_id, order_id FROM sign_orders WHERE payload_purged_at IS NULL "
      "AND state IN ('signed', 'rejected', 'expired', 'cancelled', 'failed') AND updated_at <= $1 "
      "ORDER BY updated_at, tenant_id, order_id LIMIT $2 FOR UPDATE SKIP LOCKED",
      {final_before, clamp_limit(limit)}));
  for (int o = 0; o < orders.size(); ++o) {
    const std::string tenant = orders.text(o, 0), id = orders.text(o, 1);
    DUET_ASSIGN_OR_RETURN(Rows items, c.query(kOrderItemInputs.pg(), {tenant, id}));
    for (int i = 0; i < items.size(); ++i) {
      if (items.get_int(i, 2) != 0) continue;  // already a digest: kept as it is
      Bytes input = items.blob(i, 1);
      DUET_TRY_STATUS(run(c, kSetItemInput.pg(), {tenant, id, items.get_int(i, 0), digest_and_wipe(input)}));
    }
    // A PDF order's documents (schema v16) are payload: deleted, not digested.
    DUET_TRY_STATUS(pg::run(c, "DELETE FROM order_documents WHERE tenant_id = $1 AND order_id = $2", {tenant, id}));
    // So are a digest-only order's page previews (schema v28).
    DUET_TRY_STATUS(pg::run(c, "DELETE FROM order_previews WHERE tenant_id = $1 AND order_id = $2", {tenant, id}));
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kMarkPayloadPurged.pg(), {tenant, id, now}));
    if (n != 1) return conflict("order payload purged concurrently");
    DUET_TRY_STATUS(audit_purge(c, tenant, actor, kOrderPayloadPurged, id,
                                order_payload_purge_details(items.size()), now));
  }
  return static_cast<size_t>(orders.size());
}

Result<std::optional<UnixSeconds>> order_payload_purged_at(Connection& c, std::string_view tenant_id,
                                                           std::string_view order_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kPayloadPurgedAt.pg(), {tenant_id, order_id}));
  if (r.empty()) return store_error(StoreError::kNotFound, "order not found");
  return r.optional_int(0, 0);
}

Result<size_t> purge_identity_attributes(Connection& c, UnixSeconds issued_before, UnixSeconds now,
                                         std::string_view actor, size_t limit) {
  DUET_TRY_STATUS(check_purge_actor(actor));
  DUET_ASSIGN_OR_RETURN(Rows holders, c.query(
      "SELECT h.tenant_id, h.holder_id FROM holders h WHERE h.identity_purged_at IS NULL AND EXISTS "
      "(SELECT 1 FROM certificates c WHERE c.tenant_id = h.tenant_id AND c.holder_id = h.holder_id "
      "AND c.created_at <= $1) ORDER BY h.tenant_id, h.holder_id LIMIT $2 FOR UPDATE OF h SKIP LOCKED",
      {issued_before, clamp_limit(limit)}));
  for (int i = 0; i < holders.size(); ++i) {
    const std::string tenant = holders.text(i, 0), id = holders.text(i, 1);
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE holders SET id_number_ciphertext = '\\x'::bytea, phone_ciphertext = '\\x'::bytea, "
        "identity_purged_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND identity_purged_at IS NULL",
        {tenant, id, now}));
    if (n != 1) return conflict("holder identity purged concurrently");
    DUET_TRY_STATUS(audit_purge(c, tenant, actor, kIdentityPurged, id,
                                std::string(kIdentityPurgeDetails), now));
  }
  return static_cast<size_t>(holders.size());
}

Result<size_t> wipe_retired_key_shares(Connection& c, UnixSeconds expired_before, UnixSeconds now,
                                       std::string_view actor, size_t limit) {
  DUET_TRY_STATUS(check_purge_actor(actor));
  DUET_ASSIGN_OR_RETURN(Rows keys, c.query(
      "SELECT k.tenant_id, k.key_id, (k.revoked_at IS NOT NULL)::int FROM holder_keys k "
      "WHERE length(k.service_share_ciphertext) > 0 AND (k.revoked_at IS NOT NULL OR "
      "(SELECT MAX(c.not_after) FROM certificates c WHERE c.tenant_id = k.tenant_id AND c.key_id = k.key_id) "
      "<= $1) ORDER BY k.tenant_id, k.key_id LIMIT $2 FOR UPDATE OF k SKIP LOCKED",
      {expired_before, clamp_limit(limit)}));
  for (int i = 0; i < keys.size(); ++i) {
    const std::string tenant = keys.text(i, 0), key_id = keys.text(i, 1);
    const bool revoked = keys.get_int(i, 2) != 0;
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE holder_keys SET service_share_ciphertext = '\\x'::bytea, revoked_at = COALESCE(revoked_at, $3) "
        "WHERE tenant_id = $1 AND key_id = $2 AND length(service_share_ciphertext) > 0",
        {tenant, key_id, now}));
    if (n != 1) return conflict("key share wiped concurrently");
    DUET_TRY_STATUS(run(c,
        "UPDATE share_refreshes SET state = 'abandoned', sealed_rho = '\\x'::bytea, "
        "pending_share_ciphertext = '\\x'::bytea WHERE tenant_id = $1 AND key_id = $2 AND state = 'open'",
        {tenant, key_id}));
    DUET_TRY_STATUS(audit_purge(c, tenant, actor, kKeyShareWiped, key_id,
                                key_share_wipe_details(revoked), now));
  }
  return static_cast<size_t>(keys.size());
}

Result<RetentionSettings> get_retention_settings(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kRetentionSettingsCols) + " FROM retention_settings WHERE id = 1"));
  if (r.empty()) return store_error(StoreError::kNotFound, "retention settings not found");
  return read_retention_settings(Row(r, 0));
}

Status put_retention_settings(Connection& c, const RetentionSettings& s) {
  DUET_TRY_STATUS(validate_retention_settings(s));
  return run(c, kUpsertRetentionSettings.pg(),
      {s.order_payload_days, s.identity_days, s.expired_key_days, s.interval_seconds, s.updated_at, s.updated_by});
}

// One conditional upsert: concurrent callers on every node serialise on the
// lease row (or on the insert of a new one); the update applies only when the
// lease is free, expired or already the caller's.
Result<bool> try_acquire_lease(Connection& c, std::string_view name, std::string_view owner, UnixSeconds now,
                               int64_t ttl_seconds) {
  DUET_TRY_STATUS(check_lease_args(name, owner, ttl_seconds));
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
      "INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3::bigint + $4::bigint) ON CONFLICT (name) "
      "DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
      "WHERE leases.owner = excluded.owner OR leases.expires_at <= $3::bigint",
      {name, owner, now, ttl_seconds}));
  return n == 1;
}

}  // namespace duet::store::pg
