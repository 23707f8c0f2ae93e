// The statements and helpers PgStore's files share (pg_store_impl.h); the
// record decoders are both backends' (store/row_decoders.h).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

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
      DUET_ASSIGN_OR_RETURN(SignOrder o, read_order(r));
      out.push_back(std::move(o));
    }
    if (r.is_null(kOrderColCount + 3)) return corrupt("order has no items");  // item_index
    out.back().items.push_back(read_order_item(r, kOrderColCount));
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
  DUET_TRY_STATUS(complete_callback_job(job, tenant, order_id));
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
