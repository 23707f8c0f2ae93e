// Retention purges, settings and leases on SQLite (schema v10; store.h
// "retention" and "leases" sections).
#include "store/sqlite_retention.h"

#include <string>
#include <vector>

#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/retention_steps.h"
#include "store/sqlite_audit.h"
#include "store/sqlite_db.h"
#include "store/sqlite_row.h"
#include "store/store_error.h"
#include "store/validate.h"

namespace duet::store::sqlite {
namespace {

// One audit event of a purge, appended in the caller's transaction.
Status audit_purge(Connection& c, std::string_view tenant_id, std::string_view actor, std::string_view action,
                   std::string_view target, std::string details, UnixSeconds now) {
  AuditEvent e = purge_event(tenant_id, actor, action, target, std::move(details), now);
  return append_audit_event(c, e);
}

struct Row {
  std::string tenant_id;
  std::string id;
};

}  // namespace

Result<size_t> purge_order_payloads(Connection& c, UnixSeconds final_before, UnixSeconds now, std::string_view actor,
                                    size_t limit) {
  DUET_TRY_STATUS(check_purge_actor(actor));
  std::vector<Row> orders;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT tenant_id, order_id FROM sign_orders WHERE payload_purged_at IS NULL "
        "AND state IN ('signed', 'rejected', 'expired', 'cancelled', 'failed') AND updated_at <= ?1 "
        "ORDER BY updated_at, tenant_id, order_id LIMIT ?2"));
    st.bind(1, final_before).bind(2, clamp_limit(limit));
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      orders.push_back({st.column_text(0), st.column_text(1)});
    }
  }
  for (const Row& o : orders) {
    struct Item {
      int64_t index;
      Bytes digest;
    };
    std::vector<Item> items;
    int64_t count = 0;
    {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kOrderItemInputs.sqlite()));
      st.bind(1, o.tenant_id).bind(2, o.id);
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        ++count;
        if (st.column_int(2) != 0) continue;  // already a digest: kept as it is
        Bytes input = st.column_blob(1);
        items.push_back({st.column_int(0), digest_and_wipe(input)});
      }
    }
    for (const Item& it : items) {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kSetItemInput.sqlite()));
      st.bind(1, o.tenant_id).bind(2, o.id).bind(3, it.index).bind(4, it.digest);
      DUET_TRY_STATUS(st.run());
    }
    {
      // A PDF order's documents (schema v16) are payload: deleted, not digested.
      DUET_ASSIGN_OR_RETURN(Statement del, Statement::prepare(c,
          "DELETE FROM order_documents WHERE tenant_id = ?1 AND order_id = ?2"));
      del.bind(1, o.tenant_id).bind(2, o.id);
      DUET_TRY_STATUS(del.run());
      // So are a digest-only order's page previews (schema v28).
      DUET_ASSIGN_OR_RETURN(Statement del_previews, Statement::prepare(c,
          "DELETE FROM order_previews WHERE tenant_id = ?1 AND order_id = ?2"));
      del_previews.bind(1, o.tenant_id).bind(2, o.id);
      DUET_TRY_STATUS(del_previews.run());
    }
    DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c, kMarkPayloadPurged.sqlite()));
    up.bind(1, o.tenant_id).bind(2, o.id).bind(3, now);
    DUET_TRY_STATUS(up.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "order payload purged concurrently");
    DUET_TRY_STATUS(audit_purge(c, o.tenant_id, actor, kOrderPayloadPurged, o.id,
                                order_payload_purge_details(count), now));
  }
  return orders.size();
}

Result<std::optional<UnixSeconds>> order_payload_purged_at(Connection& c, std::string_view tenant_id,
                                                           std::string_view order_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kPayloadPurgedAt.sqlite()));
  st.bind(1, tenant_id).bind(2, order_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kNotFound, "order not found");
  return st.column_optional_int(0);
}

Result<size_t> purge_identity_attributes(Connection& c, UnixSeconds issued_before, UnixSeconds now,
                                         std::string_view actor, size_t limit) {
  DUET_TRY_STATUS(check_purge_actor(actor));
  std::vector<Row> holders;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT h.tenant_id, h.holder_id FROM holders h WHERE h.identity_purged_at IS NULL AND EXISTS "
        "(SELECT 1 FROM certificates c WHERE c.tenant_id = h.tenant_id AND c.holder_id = h.holder_id "
        "AND c.created_at <= ?1) ORDER BY h.tenant_id, h.holder_id LIMIT ?2"));
    st.bind(1, issued_before).bind(2, clamp_limit(limit));
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      holders.push_back({st.column_text(0), st.column_text(1)});
    }
  }
  for (const Row& h : holders) {
    DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
        "UPDATE holders SET id_number_ciphertext = X'', phone_ciphertext = X'', identity_purged_at = ?3 "
        "WHERE tenant_id = ?1 AND holder_id = ?2 AND identity_purged_at IS NULL"));
    up.bind(1, h.tenant_id).bind(2, h.id).bind(3, now);
    DUET_TRY_STATUS(up.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "holder identity purged concurrently");
    DUET_TRY_STATUS(audit_purge(c, h.tenant_id, actor, kIdentityPurged, h.id,
                                std::string(kIdentityPurgeDetails), now));
  }
  return holders.size();
}

Result<size_t> wipe_retired_key_shares(Connection& c, UnixSeconds expired_before, UnixSeconds now,
                                       std::string_view actor, size_t limit) {
  DUET_TRY_STATUS(check_purge_actor(actor));
  struct Key {
    std::string tenant_id, key_id;
    bool revoked;
  };
  std::vector<Key> keys;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT k.tenant_id, k.key_id, k.revoked_at IS NOT NULL FROM holder_keys k "
        "WHERE length(k.service_share_ciphertext) > 0 AND (k.revoked_at IS NOT NULL OR "
        "(SELECT MAX(c.not_after) FROM certificates c WHERE c.tenant_id = k.tenant_id AND c.key_id = k.key_id) "
        "<= ?1) ORDER BY k.tenant_id, k.key_id LIMIT ?2"));
    st.bind(1, expired_before).bind(2, clamp_limit(limit));
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      keys.push_back({st.column_text(0), st.column_text(1), st.column_int(2) != 0});
    }
  }
  for (const Key& k : keys) {
    DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
        "UPDATE holder_keys SET service_share_ciphertext = X'', revoked_at = COALESCE(revoked_at, ?3) "
        "WHERE tenant_id = ?1 AND key_id = ?2 AND length(service_share_ciphertext) > 0"));
    up.bind(1, k.tenant_id).bind(2, k.key_id).bind(3, now);
    DUET_TRY_STATUS(up.run());
    if (c.changes() != 1) return store_error(StoreError::kConflict, "key share wiped concurrently");
    DUET_ASSIGN_OR_RETURN(Statement rf, Statement::prepare(c,
        "UPDATE share_refreshes SET state = 'abandoned', sealed_rho = X'', pending_share_ciphertext = X'' "
        "WHERE tenant_id = ?1 AND key_id = ?2 AND state = 'open'"));
    rf.bind(1, k.tenant_id).bind(2, k.key_id);
    DUET_TRY_STATUS(rf.run());
    DUET_TRY_STATUS(audit_purge(c, k.tenant_id, actor, kKeyShareWiped, k.key_id,
                                key_share_wipe_details(k.revoked), now));
  }
  return keys.size();
}

Result<RetentionSettings> get_retention_settings(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kRetentionSettingsCols) + " FROM retention_settings WHERE id = 1"));
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kNotFound, "retention settings not found");
  return read_retention_settings(as_row(st));
}


Status put_retention_settings(Connection& c, const RetentionSettings& s) {
  DUET_TRY_STATUS(validate_retention_settings(s));
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kUpsertRetentionSettings.sqlite()));
  st.bind(1, s.order_payload_days).bind(2, s.identity_days).bind(3, s.expired_key_days).bind(4, s.interval_seconds)
      .bind(5, s.updated_at).bind(6, s.updated_by);
  return st.run();
}

Result<bool> try_acquire_lease(Connection& c, std::string_view name, std::string_view owner, UnixSeconds now,
                               int64_t ttl_seconds) {
  DUET_TRY_STATUS(check_lease_args(name, owner, ttl_seconds));
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "INSERT INTO leases (name, owner, expires_at) VALUES (?1, ?2, ?3 + ?4) ON CONFLICT (name) DO UPDATE SET "
      "owner = excluded.owner, expires_at = excluded.expires_at "
      "WHERE leases.owner = excluded.owner OR leases.expires_at <= ?3"));
  st.bind(1, name).bind(2, owner).bind(3, now).bind(4, ttl_seconds);
  DUET_TRY_STATUS(st.run());
  return c.changes() == 1;
}

}  // namespace duet::store::sqlite
