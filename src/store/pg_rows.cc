// The row readers and shared statements of PgStore's files (pg_store_impl.h).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {



Tenant read_tenant(const Row& r) {
  Tenant t;
  t.tenant_id = r.text(0);
  t.name = r.text(1);
  t.production_active_from = r.optional_int(2);
  t.suspended = r.get_int(3) != 0;
  t.created_at = r.get_int(4);
  t.signature_v1_cutoff = r.optional_int(5);
  return t;
}

Result<App> read_app(const Row& r) {
  App a;
  a.tenant_id = r.text(0);
  a.app_id = r.text(1);
  a.secret_ciphertext = r.blob(2);
  DUET_ASSIGN_OR_RETURN(a.environment, parse_env(r.text(3)));
  a.created_at = r.get_int(4);
  a.identity_mode = r.text(5);
  a.sms_otp_required = r.get_int(6) != 0;
  a.cms_oid_style = r.text(7);
  if (auto b = r.optional_int(8)) a.pin_failure_budget = static_cast<int>(*b);
  return a;
}

Result<Holder> read_holder(const Row& r) {
  Holder h;
  h.tenant_id = r.text(0);
  h.holder_id = r.text(1);
  h.name_ciphertext = r.blob(2);
  h.id_number_ciphertext = r.blob(3);
  h.phone_ciphertext = r.blob(4);
  h.lookup_hash = r.blob(5);
  DUET_ASSIGN_OR_RETURN(h.status, parse_holder_status(r.text(6)));
  h.failed_attempts = static_cast<int>(r.get_int(7));
  h.created_at = r.get_int(8);
  h.identity_verification = r.text(9);
  h.identity_verified_by = r.text(10);
  h.identity_verified_at = r.get_int(11);
  h.identity_reference = r.text(12);
  h.refresh_required = r.get_int(13) != 0;
  return h;
}

HolderKeyShare read_key(const Row& r) {
  HolderKeyShare k;
  k.tenant_id = r.text(0);
  k.key_id = r.text(1);
  k.holder_id = r.text(2);
  k.public_key_hex = r.text(3);
  k.service_share_ciphertext = r.blob(4);
  k.created_at = r.get_int(5);
  k.revoked_at = r.optional_int(6);
  return k;
}

ActivationCode read_code(const Row& r) {
  ActivationCode a;
  a.tenant_id = r.text(0);
  a.code_id = r.text(1);
  a.holder_id = r.text(2);
  a.code_hash = r.blob(3);
  a.expires_at = r.get_int(4);
  a.attempts_left = static_cast<int>(r.get_int(5));
  a.used_at = r.optional_int(6);
  a.created_at = r.get_int(7);
  a.otp_hash = r.blob(8);
  a.otp_attempts_left = static_cast<int>(r.get_int(9));
  return a;
}

DeviceToken read_token(const Row& r) {
  DeviceToken t;
  t.tenant_id = r.text(0);
  t.token_hash = r.blob(1);
  t.holder_id = r.text(2);
  t.created_at = r.get_int(3);
  t.revoked_at = r.optional_int(4);
  return t;
}

Result<SignSession> read_session(const Row& r) {
  SignSession s;
  s.tenant_id = r.text(0);
  s.session_id = r.text(1);
  s.order_id = r.text(2);
  s.holder_id = r.text(3);
  s.r_values = split_r_values(r.text(4));
  DUET_ASSIGN_OR_RETURN(s.state, parse_session_state(r.text(5)));
  s.created_at = r.get_int(6);
  s.updated_at = r.get_int(7);
  return s;
}

Result<ShareRefresh> read_refresh(const Row& row) {
  ShareRefresh r;
  r.tenant_id = row.text(0);
  r.refresh_id = row.text(1);
  r.key_id = row.text(2);
  r.holder_id = row.text(3);
  r.sealed_rho = row.blob(4);
  r.pending_share_ciphertext = row.blob(5);
  std::string state = row.text(6);
  if (state == "open") r.state = RefreshState::kOpen;
  else if (state == "confirmed") r.state = RefreshState::kConfirmed;
  else if (state == "abandoned") r.state = RefreshState::kAbandoned;
  else return corrupt("unknown share refresh state");
  r.created_at = row.get_int(7);
  r.confirmed_at = row.optional_int(8);
  return r;
}

CallbackJob read_callback(const Row& r) {
  CallbackJob j;
  j.tenant_id = r.text(0);
  j.job_id = r.text(1);
  j.order_id = r.text(2);
  j.url = r.text(3);
  j.payload = r.text(4);
  j.attempts = static_cast<int>(r.get_int(5));
  j.next_attempt_at = r.get_int(6);
  j.delivered_at = r.optional_int(7);
  j.last_error = r.text(8);
  j.lease_owner = r.text(9);
  j.lease_until = r.optional_int(10);
  j.created_at = r.get_int(11);
  return j;
}

AdminToken read_admin(const Row& r) {
  AdminToken a;
  a.token_hash = r.blob(0);
  a.name = r.text(1);
  a.role = r.text(2);
  a.created_at = r.get_int(3);
  a.revoked_at = r.optional_int(4);
  return a;
}

Certificate read_certificate(const Row& r) {
  Certificate c;
  c.tenant_id = r.text(0);
  c.cert_id = r.text(1);
  c.holder_id = r.text(2);
  c.key_id = r.text(3);
  c.serial_hex = r.text(4);
  c.issuer_id = r.text(5);
  c.der = r.blob(6);
  c.not_before = r.get_int(7);
  c.not_after = r.get_int(8);
  c.revoked_at = r.optional_int(9);
  c.revoked = c.revoked_at.has_value();
  c.revocation_reason = static_cast<int>(r.get_int(10));
  c.created_at = r.get_int(11);
  return c;
}

CaRecord read_ca(const Row& r) {
  CaRecord a;
  a.ca_id = r.text(0);
  a.role = r.text(1);
  a.certificate_der = r.blob(2);
  a.sealed_private_key = r.blob(3);
  a.created_at = r.get_int(4);
  a.active = r.get_int(5) != 0;
  return a;
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


Status insert_certificate(Connection& c, const Certificate& cert) {
  DUET_ASSIGN_OR_RETURN(Rows serial, c.query("SELECT 1 FROM certificates WHERE serial_hex = $1", {cert.serial_hex}));
  if (!serial.empty()) return conflict("certificate serial is already in use");
  DUET_ASSIGN_OR_RETURN(Rows key, c.query(
      "SELECT 1 FROM holder_keys WHERE tenant_id = $1 AND key_id = $2 AND holder_id = $3",
      {cert.tenant_id, cert.key_id, cert.holder_id}));
  if (key.empty()) return not_found("holder key");
  auto ins = c.query(
      "INSERT INTO certificates (tenant_id, cert_id, holder_id, key_id, serial_hex, issuer_id, der, not_before, "
      "not_after, revoked_at, revocation_reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {cert.tenant_id, cert.cert_id, cert.holder_id, cert.key_id, cert.serial_hex, cert.issuer_id, cert.der,
       cert.not_before, cert.not_after, cert.revoked_at, cert.revocation_reason, cert.created_at});
  if (!ins.ok()) {
    if (pg::violated(c, ins.error(), "certificates_serial")) return conflict("certificate serial is already in use");
    return Unexpected{ins.error()};
  }
  return Status::Ok();
}

Result<std::vector<SignOrder>> read_orders(const Rows& rows) {
  std::vector<SignOrder> out;
  for (int i = 0; i < rows.size(); ++i) {
    Row r(rows, i);
    if (out.empty() || out.back().order_id != r.text(1) || out.back().tenant_id != r.text(0)) {
      SignOrder o;
      o.tenant_id = r.text(0);
      o.order_id = r.text(1);
      o.app_id = r.text(2);
      o.holder_id = r.text(3);
      o.title = r.text(4);
      o.display_text = r.text(5);
      DUET_ASSIGN_OR_RETURN(o.output_format, parse_format(r.text(6), r.text(15)));
      o.expires_at = r.get_int(7);
      o.callback_url = r.text(8);
      o.idempotency_key = r.text(9);
      DUET_ASSIGN_OR_RETURN(o.state, parse_order_state(r.text(10)));
      o.created_at = r.get_int(11);
      o.updated_at = r.get_int(12);
      DUET_ASSIGN_OR_RETURN(o.kind, parse_order_kind(r.text(13)));
      o.key_id = r.text(14);
      o.signer_cert_id = r.text(16);
      o.cms_oid_style = r.text(17);
      out.push_back(std::move(o));
    }
    if (r.is_null(21)) return corrupt("order has no items");
    SignItem item;
    item.input = r.blob(18);
    item.input_is_digest = r.get_int(19) != 0;
    item.signature = r.blob(20);
    out.back().items.push_back(std::move(item));
  }
  return out;
}

Result<SignOrder> load_order(Connection& c, std::string_view tenant, std::string_view order_id) {
  DUET_ASSIGN_OR_RETURN(Rows rows, c.query(std::string(kOrderSelect) +
                                               "WHERE o.tenant_id = $1 AND o.order_id = $2 ORDER BY i.item_index",
                                           {tenant, order_id}));
  if (rows.empty()) return not_found("order");
  DUET_ASSIGN_OR_RETURN(std::vector<SignOrder> orders, read_orders(rows));
  return std::move(orders.front());
}

Status insert_callback(Connection& c, CallbackJob job, std::string_view tenant, std::string_view order_id,
                       UnixSeconds now) {
  job.tenant_id = std::string(tenant);
  job.order_id = std::string(order_id);
  if (job.job_id.empty()) job.job_id = new_id("cbk_");
  if (job.url.empty()) return invalid("callback url is empty");
  // A job about no order (a PIN alarm to the tenant's notify target, a
  // refresh's alarm) has order_id NULL: "" would fail the foreign key.
  return pg::run(c,
                 "INSERT INTO callback_jobs (tenant_id, job_id, order_id, url, payload, attempts, "
                 "next_attempt_at, last_error, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, '', $7)",
                 {job.tenant_id, job.job_id, job.order_id.empty() ? Param::null() : Param(job.order_id), job.url,
                  job.payload, job.next_attempt_at, now});
}

Status fail_open_sessions(Connection& c, std::string_view tenant, std::string_view order_id, UnixSeconds now) {
  return pg::run(c,
                 "UPDATE sign_sessions SET state = 'failed', updated_at = $3 "
                 "WHERE tenant_id = $1 AND order_id = $2 AND state = 'open'",
                 {tenant, order_id, now});
}

Result<Holder> load_holder(Connection& c, std::string_view tenant_id, std::string_view holder_id) {
  DUET_ASSIGN_OR_RETURN(Rows rows, c.query(select_from(kHolderCols, "holders", "tenant_id = $1 AND holder_id = $2"),
                                           {tenant_id, holder_id}));
  return first_row<Holder>(rows, read_holder, "holder");
}

std::string count_attempt_sql(std::string_view also) {
  std::string sql =
      "WITH counted AS (UPDATE holders SET failed_attempts = $5 "
      "WHERE tenant_id = $1 AND holder_id = $2 AND failed_attempts = $4 AND status = 'active' RETURNING 1), "
      "attempt AS (INSERT INTO pin_attempts (tenant_id, attempt_id, holder_id, started_at, outcome) "
      "SELECT $1::text, $3::text, $2::text, $6::bigint, 'pending' FROM counted RETURNING 1)";
  sql += also;
  sql += " SELECT COUNT(*) FROM attempt";
  return sql;
}

Result<PinAttemptCounters> count_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                                             std::string_view attempt_id, UnixSeconds window_since,
                                             const PinAttemptRule& rule, UnixSeconds now,
                                             bool refuse_refresh_required, std::string_view also,
                                             std::initializer_list<Param> also_params) {
  DUET_ASSIGN_OR_RETURN(Rows held, c.query(
      "SELECT failed_attempts, status, refresh_required FROM holders WHERE tenant_id = $1 AND holder_id = $2 "
      "FOR NO KEY UPDATE",
      {tenant_id, holder_id}));
  if (held.empty()) return not_found("holder");
  if (refuse_refresh_required && held.get_int(0, 2) != 0)
    return make_error(ErrorCode::kRefreshRequired, "a share refresh must run before the next signature");
  PinAttemptCounters before;
  before.consecutive_failures = static_cast<int>(held.get_int(0, 0));
  DUET_ASSIGN_OR_RETURN(HolderStatus status, parse_holder_status(held.text(0, 1)));
  before.locked = status == HolderStatus::kLocked;
  DUET_ASSIGN_OR_RETURN(Rows window, c.query(
      "SELECT COUNT(*) FROM pin_attempts WHERE tenant_id = $1 AND holder_id = $2 "
      "AND outcome IN ('pending', 'failed') AND started_at > $3",
      {tenant_id, holder_id, window_since}));
  before.failures_in_window = static_cast<int>(window.get_int(0, 0));
  DUET_ASSIGN_OR_RETURN(PinAttemptCounters after, rule(before));
  std::vector<Param> params{tenant_id, holder_id, attempt_id, before.consecutive_failures,
                            after.consecutive_failures, now};
  params.insert(params.end(), also_params);
  DUET_ASSIGN_OR_RETURN(Rows counted, c.query(count_attempt_sql(also), params));
  if (counted.empty() || counted.get_int(0, 0) != 1)
    return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
  return after;
}

std::string accept_attempt_sql(std::string_view what) {
  std::string sql = "WITH target AS (";
  sql += what;
  sql +=
      "), reset AS (UPDATE holders h SET failed_attempts = 0 FROM target t WHERE h.tenant_id = $1 "
      "AND h.holder_id = t.holder_id RETURNING h.holder_id), "
      "ended AS (UPDATE pin_attempts SET outcome = 'ok' WHERE tenant_id = $1 AND attempt_id = $3 "
      "AND outcome = 'pending' AND holder_id IN (SELECT holder_id FROM reset) RETURNING 1) "
      "SELECT (SELECT COUNT(*) FROM target), (SELECT COUNT(*) FROM ended)";
  return sql;
}

Status end_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view attempt_id,
                       std::string_view holder_id, std::string_view outcome) {
  int64_t n = 0;
  if (holder_id.empty()) {
    DUET_ASSIGN_OR_RETURN(n, changes(c,
        "UPDATE pin_attempts SET outcome = $3 WHERE tenant_id = $1 AND attempt_id = $2 AND outcome = 'pending'",
        {tenant_id, attempt_id, outcome}));
  } else {
    DUET_ASSIGN_OR_RETURN(n, changes(c,
        "UPDATE pin_attempts SET outcome = $3 WHERE tenant_id = $1 AND attempt_id = $2 AND outcome = 'pending' "
        "AND holder_id = $4",
        {tenant_id, attempt_id, outcome, holder_id}));
  }
  return n == 1 ? Status::Ok() : conflict("PIN attempt is not pending");
}

Result<CallbackJob> load_callback(Connection& c, std::string_view tenant_id, std::string_view job_id) {
  DUET_ASSIGN_OR_RETURN(Rows rows, c.query(select_from(kCallbackCols, "callback_jobs", "tenant_id = $1 AND job_id = $2"),
                                           {tenant_id, job_id}));
  return first_row<CallbackJob>(rows, [](const Row& r) -> Result<CallbackJob> { return read_callback(r); },
                                "callback");
}

bool valid_schema_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  return !(s[0] >= '0' && s[0] <= '9');
}

}  // namespace duet::store::pg_store
