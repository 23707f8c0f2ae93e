// The row readers and shared statements of SqliteStore's files (sqlite_store_impl.h).
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

Tenant read_tenant(const Statement& st) {
  Tenant t;
  t.tenant_id = st.column_text(0);
  t.name = st.column_text(1);
  t.production_active_from = st.column_optional_int(2);
  t.suspended = st.column_int(3) != 0;
  t.created_at = st.column_int(4);
  t.signature_v1_cutoff = st.column_optional_int(5);
  return t;
}

Result<App> read_app(const Statement& st) {
  App a;
  a.tenant_id = st.column_text(0);
  a.app_id = st.column_text(1);
  a.secret_ciphertext = st.column_blob(2);
  DUET_ASSIGN_OR_RETURN(a.environment, parse_env(st.column_text(3)));
  a.created_at = st.column_int(4);
  a.identity_mode = st.column_text(5);
  a.sms_otp_required = st.column_int(6) != 0;
  a.cms_oid_style = st.column_text(7);
  if (auto b = st.column_optional_int(8)) a.pin_failure_budget = static_cast<int>(*b);
  return a;
}

Result<Holder> read_holder(const Statement& st) {
  Holder h;
  h.tenant_id = st.column_text(0);
  h.holder_id = st.column_text(1);
  h.name_ciphertext = st.column_blob(2);
  h.id_number_ciphertext = st.column_blob(3);
  h.phone_ciphertext = st.column_blob(4);
  h.lookup_hash = st.column_blob(5);
  DUET_ASSIGN_OR_RETURN(h.status, parse_holder_status(st.column_text(6)));
  h.failed_attempts = static_cast<int>(st.column_int(7));
  h.created_at = st.column_int(8);
  h.identity_verification = st.column_text(9);
  h.identity_verified_by = st.column_text(10);
  h.identity_verified_at = st.column_int(11);
  h.identity_reference = st.column_text(12);
  h.refresh_required = st.column_int(13) != 0;
  return h;
}

HolderKeyShare read_key(const Statement& st) {
  HolderKeyShare k;
  k.tenant_id = st.column_text(0);
  k.key_id = st.column_text(1);
  k.holder_id = st.column_text(2);
  k.public_key_hex = st.column_text(3);
  k.service_share_ciphertext = st.column_blob(4);
  k.created_at = st.column_int(5);
  k.revoked_at = st.column_optional_int(6);
  return k;
}

ActivationCode read_code(const Statement& st) {
  ActivationCode a;
  a.tenant_id = st.column_text(0);
  a.code_id = st.column_text(1);
  a.holder_id = st.column_text(2);
  a.code_hash = st.column_blob(3);
  a.expires_at = st.column_int(4);
  a.attempts_left = static_cast<int>(st.column_int(5));
  a.used_at = st.column_optional_int(6);
  a.created_at = st.column_int(7);
  a.otp_hash = st.column_blob(8);
  a.otp_attempts_left = static_cast<int>(st.column_int(9));
  return a;
}

DeviceToken read_token(const Statement& st) {
  DeviceToken t;
  t.tenant_id = st.column_text(0);
  t.token_hash = st.column_blob(1);
  t.holder_id = st.column_text(2);
  t.created_at = st.column_int(3);
  t.revoked_at = st.column_optional_int(4);
  return t;
}

Result<SignSession> read_session(const Statement& st) {
  SignSession s;
  s.tenant_id = st.column_text(0);
  s.session_id = st.column_text(1);
  s.order_id = st.column_text(2);
  s.holder_id = st.column_text(3);
  s.r_values = split_r_values(st.column_text(4));
  DUET_ASSIGN_OR_RETURN(s.state, parse_session_state(st.column_text(5)));
  s.created_at = st.column_int(6);
  s.updated_at = st.column_int(7);
  return s;
}

Result<ShareRefresh> read_refresh(const Statement& st) {
  ShareRefresh r;
  r.tenant_id = st.column_text(0);
  r.refresh_id = st.column_text(1);
  r.key_id = st.column_text(2);
  r.holder_id = st.column_text(3);
  r.sealed_rho = st.column_blob(4);
  r.pending_share_ciphertext = st.column_blob(5);
  std::string state = st.column_text(6);
  if (state == "open") r.state = RefreshState::kOpen;
  else if (state == "confirmed") r.state = RefreshState::kConfirmed;
  else if (state == "abandoned") r.state = RefreshState::kAbandoned;
  else return corrupt("unknown share refresh state");
  r.created_at = st.column_int(7);
  r.confirmed_at = st.column_optional_int(8);
  return r;
}

CallbackJob read_callback(const Statement& st) {
  CallbackJob j;
  j.tenant_id = st.column_text(0);
  j.job_id = st.column_text(1);
  j.order_id = st.column_text(2);
  j.url = st.column_text(3);
  j.payload = st.column_text(4);
  j.attempts = static_cast<int>(st.column_int(5));
  j.next_attempt_at = st.column_int(6);
  j.delivered_at = st.column_optional_int(7);
  j.last_error = st.column_text(8);
  j.lease_owner = st.column_text(9);
  j.lease_until = st.column_optional_int(10);
  j.created_at = st.column_int(11);
  return j;
}

AdminToken read_admin(const Statement& st) {
  AdminToken a;
  a.token_hash = st.column_blob(0);
  a.name = st.column_text(1);
  a.role = st.column_text(2);
  a.created_at = st.column_int(3);
  a.revoked_at = st.column_optional_int(4);
  return a;
}

Certificate read_certificate(const Statement& st) {
  Certificate c;
  c.tenant_id = st.column_text(0);
  c.cert_id = st.column_text(1);
  c.holder_id = st.column_text(2);
  c.key_id = st.column_text(3);
  c.serial_hex = st.column_text(4);
  c.issuer_id = st.column_text(5);
  c.der = st.column_blob(6);
  c.not_before = st.column_int(7);
  c.not_after = st.column_int(8);
  c.revoked_at = st.column_optional_int(9);
  c.revoked = c.revoked_at.has_value();
  c.revocation_reason = static_cast<int>(st.column_int(10));
  c.created_at = st.column_int(11);
  return c;
}

CaRecord read_ca(const Statement& st) {
  CaRecord a;
  a.ca_id = st.column_text(0);
  a.role = st.column_text(1);
  a.certificate_der = st.column_blob(2);
  a.sealed_private_key = st.column_blob(3);
  a.created_at = st.column_int(4);
  a.active = st.column_int(5) != 0;
  return a;
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

std::string select_from(std::string_view cols, std::string_view table, std::string_view where) {
  std::string sql = "SELECT ";
  sql += cols;
  sql += " FROM ";
  sql += table;
  sql += " WHERE ";
  sql += where;
  return sql;
}

Result<SignOrder> load_order(Connection& c, std::string_view tenant, std::string_view order_id) {
  DUET_ASSIGN_OR_RETURN(
      Statement st,
      Statement::prepare(c,
                         "SELECT tenant_id, order_id, app_id, holder_id, title, display_text, output_format, "
                         "expires_at, callback_url, idempotency_key, state, created_at, updated_at, kind, key_id, "
                         "cms_output, signer_cert_id, cms_oid_style "
                         "FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2"));
  st.bind(1, tenant).bind(2, order_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Unexpected{not_found("order").error()};
  SignOrder o;
  o.tenant_id = st.column_text(0);
  o.order_id = st.column_text(1);
  o.app_id = st.column_text(2);
  o.holder_id = st.column_text(3);
  o.title = st.column_text(4);
  o.display_text = st.column_text(5);
  DUET_ASSIGN_OR_RETURN(o.output_format, parse_format(st.column_text(6), st.column_text(15)));
  o.signer_cert_id = st.column_text(16);
  o.cms_oid_style = st.column_text(17);
  o.expires_at = st.column_int(7);
  o.callback_url = st.column_text(8);
  o.idempotency_key = st.column_text(9);
  DUET_ASSIGN_OR_RETURN(o.state, parse_order_state(st.column_text(10)));
  o.created_at = st.column_int(11);
  o.updated_at = st.column_int(12);
  DUET_ASSIGN_OR_RETURN(o.kind, parse_order_kind(st.column_text(13)));
  o.key_id = st.column_text(14);

  DUET_ASSIGN_OR_RETURN(Statement items,
                        Statement::prepare(c,
                                           "SELECT input, input_is_digest, signature FROM sign_order_items "
                                           "WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY item_index"));
  items.bind(1, tenant).bind(2, order_id);
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool more, items.step());
    if (!more) break;
    SignItem item;
    item.input = items.column_blob(0);
    item.input_is_digest = items.column_int(1) != 0;
    item.signature = items.column_blob(2);
    o.items.push_back(std::move(item));
  }
  if (o.items.empty()) return corrupt("order has no items");
  return o;
}

Status insert_callback(Connection& c, CallbackJob job, std::string_view tenant, std::string_view order_id,
                       UnixSeconds now) {
  job.tenant_id = std::string(tenant);
  job.order_id = std::string(order_id);
  if (job.job_id.empty()) job.job_id = new_id("cbk_");
  if (job.url.empty()) return invalid("callback url is empty");
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
