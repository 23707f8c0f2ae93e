// The statements and helpers SqliteStore's files share (sqlite_store_impl.h);
// the record decoders are both backends' (store/row_decoders.h).
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Unexpected corrupt(std::string_view what) { return store_error(StoreError::kCorrupt, what); }

Status invalid(std::string_view what) { return make_error(ErrorCode::kInvalidArgument, std::string(what)); }

Status not_found(std::string_view what) { return store_error(StoreError::kNotFound, std::string(what) + " not found"); }

Status conflict(std::string_view what) { return store_error(StoreError::kConflict, what); }

Result<int> run_changes(Connection& c, Statement& st) {
  DUET_TRY_STATUS(st.run());
  return c.changes();
}

Result<bool> exists(Connection& c, std::string_view sql, std::string_view a, std::string_view b) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
  st.bind(1, a).bind(2, b);
  return st.step();
}

Result<bool> exists(Connection& c, std::string_view sql, std::string_view a, std::string_view b,
                    std::string_view d) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
  st.bind(1, a).bind(2, b).bind(3, d);
  return st.step();
}

Status not_found_or_conflict(Connection& c, std::string_view exists_sql, std::string_view tenant,
                             std::string_view id, std::string_view what) {
  DUET_ASSIGN_OR_RETURN(bool found, exists(c, exists_sql, tenant, id));
  if (!found) return not_found(what);
  return conflict(std::string(what) + " is not in a state that allows this");
}

Status insert_certificate(Connection& c, const Certificate& cert) {
  DUET_ASSIGN_OR_RETURN(Statement serial, Statement::prepare(c, "SELECT 1 FROM certificates WHERE serial_hex = ?1"));
  serial.bind(1, cert.serial_hex);
  DUET_ASSIGN_OR_RETURN(bool taken, serial.step());
  if (taken) return conflict("certificate serial is already in use");
  DUET_ASSIGN_OR_RETURN(bool key_is_holders, exists(c,
      "SELECT 1 FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2 AND holder_id = ?3", cert.tenant_id, cert.key_id,
      cert.holder_id));
  if (!key_is_holders) return not_found("holder key");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "INSERT INTO certificates (tenant_id, cert_id, holder_id, key_id, serial_hex, issuer_id, der, not_before, "
      "not_after, revoked_at, revocation_reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  st.bind(1, cert.tenant_id).bind(2, cert.cert_id).bind(3, cert.holder_id).bind(4, cert.key_id)
      .bind(5, cert.serial_hex).bind(6, cert.issuer_id).bind(7, cert.der).bind(8, cert.not_before)
      .bind(9, cert.not_after).bind(10, cert.revoked_at).bind(11, cert.revocation_reason).bind(12, cert.created_at);
  return st.run();
}

Result<SignOrder> load_order(Connection& c, std::string_view tenant, std::string_view order_id) {
  static const std::string kSelectOrder =
      select_from(kOrderCols, "sign_orders", "tenant_id = ?1 AND order_id = ?2");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kSelectOrder));
  st.bind(1, tenant).bind(2, order_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Unexpected{not_found("order").error()};
  DUET_ASSIGN_OR_RETURN(SignOrder o, read_order(st));

  DUET_ASSIGN_OR_RETURN(Statement items,
                        Statement::prepare(c,
                                           "SELECT input, input_is_digest, signature FROM sign_order_items "
                                           "WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY item_index"));
  items.bind(1, tenant).bind(2, order_id);
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool more, items.step());
    if (!more) break;
    o.items.push_back(read_order_item(items, 0));
  }
  if (o.items.empty()) return corrupt("order has no items");
  return o;
}

Status insert_callback(Connection& c, CallbackJob job, std::string_view tenant, std::string_view order_id,
                       UnixSeconds now) {
  DUET_TRY_STATUS(complete_callback_job(job, tenant, order_id));
  DUET_ASSIGN_OR_RETURN(
      Statement st,
      Statement::prepare(c,
                         "INSERT INTO callback_jobs (tenant_id, job_id, order_id, url, payload, attempts, "
                         "next_attempt_at, last_error, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, '', ?7)"));
  st.bind(1, job.tenant_id).bind(2, job.job_id).bind(4, job.url).bind(5, job.payload)
      .bind(6, job.next_attempt_at).bind(7, now);
  // A job about no order (a PIN alarm to the tenant's notify target, a
  // refresh's alarm) has order_id NULL: "" would fail the foreign key.
  if (job.order_id.empty()) st.bind_null(3); else st.bind(3, job.order_id);
  return st.run();
}

Status fail_open_sessions(Connection& c, std::string_view tenant, std::string_view order_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Statement st,
                        Statement::prepare(c,
                                           "UPDATE sign_sessions SET state = 'failed', updated_at = ?3 "
                                           "WHERE tenant_id = ?1 AND order_id = ?2 AND state = 'open'"));
  st.bind(1, tenant).bind(2, order_id).bind(3, now);
  return st.run();
}

}  // namespace duet::store::sqlite_store
