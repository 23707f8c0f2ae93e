#include "store/pg_store.h"

#include <charconv>
#include <chrono>
#include <exception>
#include <random>
#include <thread>
#include <utility>

#include "store/audit_scope.h"
#include "store/nonce_scope.h"
#include "store/ids.h"
#include "store/pg_areas.h"
#include "store/pg_db.h"
#include "store/record_text.h"
#include "store/pg_schema.h"
#include "store/pg_util.h"
#include "store/sqlite_metering.h"  // validate_* (backend-neutral record checks)
#include "store/sqlite_retention.h"
#include "store/sqlite_sla.h"

namespace duet::store {
namespace {

using pg::Connection;
using pg::ConnectionPool;
using pg::Param;
using pg::Row;
using pg::Rows;
using pg::Transaction;
using pg::changes;
using pg::conflict;
using pg::corrupt;
using pg::exists;
using pg::invalid;
using pg::not_found;
using pg::not_found_or_conflict;
using pg::clamp_limit;

using namespace record_text;  // enum <-> text and cursors (store/record_text.h)

std::string join_r_values(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += values[i];
  }
  return out;
}

std::vector<std::string> split_r_values(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

constexpr std::string_view kCallbackExists = "SELECT 1 FROM callback_jobs WHERE tenant_id = $1 AND job_id = $2";

// --- row readers ----------------------------------------------------------------

constexpr std::string_view kTenantCols =
    "tenant_id, name, production_active_from, suspended, created_at, signature_v1_cutoff";
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

constexpr std::string_view kAppCols =
    "tenant_id, app_id, secret_ciphertext, environment, created_at, identity_mode, sms_otp_required, cms_oid_style, "
    "pin_failure_budget";
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

constexpr std::string_view kHolderCols =
    "tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, lookup_hash, "
    "status, failed_attempts, created_at, identity_verification, identity_verified_by, identity_verified_at, "
    "identity_reference, refresh_required";
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

constexpr std::string_view kKeyCols =
    "tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, created_at, revoked_at";
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

constexpr std::string_view kCodeCols =
    "tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, used_at, created_at, otp_hash, "
    "otp_attempts_left";
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

constexpr std::string_view kTokenCols = "tenant_id, token_hash, holder_id, created_at, revoked_at";
DeviceToken read_token(const Row& r) {
  DeviceToken t;
  t.tenant_id = r.text(0);
  t.token_hash = r.blob(1);
  t.holder_id = r.text(2);
  t.created_at = r.get_int(3);
  t.revoked_at = r.optional_int(4);
  return t;
}

constexpr std::string_view kSessionCols =
    "tenant_id, session_id, order_id, holder_id, r_values, state, created_at, updated_at";
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

constexpr std::string_view kRefreshCols =
    "tenant_id, refresh_id, key_id, holder_id, sealed_rho, pending_share_ciphertext, state, created_at, "
    "confirmed_at";
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

constexpr std::string_view kCallbackCols =
    "tenant_id, job_id, order_id, url, payload, attempts, next_attempt_at, delivered_at, last_error, "
    "lease_owner, lease_until, created_at";
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

constexpr std::string_view kAdminCols = "token_hash, name, role, created_at, revoked_at";
AdminToken read_admin(const Row& r) {
  AdminToken a;
  a.token_hash = r.blob(0);
  a.name = r.text(1);
  a.role = r.text(2);
  a.created_at = r.get_int(3);
  a.revoked_at = r.optional_int(4);
  return a;
}

constexpr std::string_view kCertCols =
    "tenant_id, cert_id, holder_id, key_id, serial_hex, issuer_id, der, not_before, not_after, revoked_at, "
    "revocation_reason, created_at";
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

constexpr std::string_view kCaCols = "ca_id, role, certificate_der, sealed_private_key, created_at, active";
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

// The first row of `rows` read by `read`, or kNotFound.
template <typename T, typename Reader>
Result<T> first_row(const Rows& rows, Reader read, std::string_view what) {
  if (rows.empty()) return not_found(what);
  return read(Row(rows, 0));
}

template <typename T, typename Reader>
Result<std::vector<T>> all_rows(const Rows& rows, Reader read) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    Result<T> one = read(Row(rows, i));
    if (!one.ok()) return Unexpected{one.error()};
    out.push_back(std::move(one).value());
  }
  return out;
}

Status validate_certificate(const Certificate& c) {
  if (c.tenant_id.empty() || c.cert_id.empty() || c.holder_id.empty() || c.key_id.empty() || c.issuer_id.empty())
    return invalid("certificate ids are empty");
  if (c.serial_hex.empty()) return invalid("certificate serial is empty");
  for (char ch : c.serial_hex)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return invalid("certificate serial must be lowercase hex");
  if (c.der.empty()) return invalid("certificate DER is empty");
  if (c.revoked != c.revoked_at.has_value()) return invalid("certificate revoked flag and revoked_at disagree");
  if (c.revoked && !valid_revocation_reason(c.revocation_reason)) return invalid("unknown revocation reason");
  return Status::Ok();
}

// Inserts a validated certificate: the serial must be free in every tenant
// (kConflict, also when a concurrent insert takes it first) and the key must
// be the holder's (kNotFound).
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

// Orders are read with their items in ONE statement (one snapshot, one
// round trip): order columns, then the item's input, input_is_digest and
// signature (NULL item columns: an order without items, which is corrupt).
constexpr std::string_view kOrderSelect =
    "SELECT o.tenant_id, o.order_id, o.app_id, o.holder_id, o.title, o.display_text, o.output_format, "
    "o.expires_at, o.callback_url, o.idempotency_key, o.state, o.created_at, o.updated_at, o.kind, o.key_id, "
    "o.cms_output, o.signer_cert_id, o.cms_oid_style, i.input, i.input_is_digest, i.signature, i.item_index "
    "FROM sign_orders o LEFT JOIN sign_order_items i ON i.tenant_id = o.tenant_id AND i.order_id = o.order_id ";

// Reads the orders of a kOrderSelect result; rows of one order are adjacent
// (ordered by item_index).
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

// --- PIN attempts (store.h): core's rule, run with the holder's row locked ---
// Writes run at READ COMMITTED (pg_db.h), so the counters are read with the
// holder's row locked, FOR NO KEY UPDATE: the lock an UPDATE of the row takes,
// so every PIN use of a holder waits for the one before to commit, while
// inserts that only reference the holder (orders, sessions) do not wait. The
// window's COUNT is a separate statement after the lock: its snapshot is
// taken then and sees every attempt committed by an earlier holder of the
// lock (one statement would keep the snapshot it started with, and a
// blocked FOR UPDATE re-reads only the locked row). The rule runs between
// the read and the write, and the write is a conditional update naming the
// values read.
//
// Row locks in the backend's order: the order or the refresh, the session,
// the holder, then the holder's pin_attempts rows (unlock_holder too), so PIN
// uses, their ends and unlocks cannot deadlock one another.

// The statement that counts an attempt: the holder's consecutive count as
// the rule answered, only if it is still the one read and the holder is
// active (the status stays active: only a failure locks, fail_pin_attempt),
// and the attempt's pending row. `also` is empty or one more common table
// expression ", name AS (INSERT ... SELECT ... FROM attempt)" storing what
// the attempt starts (its parameters from $7). It answers COUNT(*) of
// attempt: 1 counted, 0 not (the holder is not active). Parameters: $1
// tenant, $2 holder, $3 attempt id, $4 failed_attempts read, $5 the rule's
// failed_attempts, $6 now.
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

// Locks the holder's row, reads the counters, asks `rule` and counts the
// attempt (count_attempt_sql with `also`): three round trips. A refusal by
// the rule is returned as is, nothing written. refuse_refresh_required:
// signing, which an unlock committed meanwhile must refuse too (the caller's
// check ran before the lock).
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

// accept_*: one statement (one round trip) that applies `what` (an UPDATE
// of the session or refresh, RETURNING holder_id; $1 tenant, $2 its id, $3
// the attempt id, its own values from $4), resets that holder's consecutive
// count and ends the holder's pending attempt ok. Each step reads the one
// before, so the rows are locked in the backend's order (the session or
// refresh, the holder, the attempt). Answers (rows `what` changed, attempts
// ended); anything short of (1, 1) must roll back.
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

// Ends a pending attempt of the holder (any holder if holder_id is empty)
// with `outcome`; kConflict if it is not pending (ended before, or forgiven
// by an unlock meanwhile).
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

// --- the store ------------------------------------------------------------------

class PgStore final : public Store {
 public:
  explicit PgStore(PostgresStoreOptions options)
      : options_(std::move(options)), pool_(options_.dsn, options_.schema, options_.max_connections) {}

  Status open() {
    auto lease = pool_.acquire();
    if (!lease.ok()) return Unexpected{lease.error()};
    return pg::migrate(**lease);
  }

  Result<int> schema_version() override {
    return read_single<int>([&](Connection& c) { return pg::read_schema_version(c); });
  }

  // --- tenants ---

  Status create_tenant(const Tenant& t) override {
    if (t.tenant_id.empty()) return invalid("tenant id is empty");
    return write_single([&](Connection& c) {
      return pg::run(c,
                     "INSERT INTO tenants (tenant_id, name, production_active_from, suspended, created_at) "
                     "VALUES ($1, $2, $3, $4, $5)",
                     {t.tenant_id, t.name, t.production_active_from, t.suspended ? 1 : 0, t.created_at});
    });
  }

  Result<Tenant> get_tenant(std::string_view tenant_id) override {
    return read_single<Tenant>([&](Connection& c) -> Result<Tenant> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kTenantCols, "tenants", "tenant_id = $1"), {tenant_id}));
      return first_row<Tenant>(r, [](const Row& row) -> Result<Tenant> { return read_tenant(row); }, "tenant");
    });
  }

  Status set_tenant_suspended(std::string_view tenant_id, bool suspended) override {
    return update_one("UPDATE tenants SET suspended = $2 WHERE tenant_id = $1", tenant_id, suspended ? 1 : 0,
                      "tenant");
  }

  Status set_tenant_production_active_from(std::string_view tenant_id, UnixSeconds from) override {
    return update_one("UPDATE tenants SET production_active_from = $2 WHERE tenant_id = $1", tenant_id, from,
                      "tenant");
  }

  Result<std::vector<Tenant>> list_tenants() override {
    return read_single<std::vector<Tenant>>([&](Connection& c) -> Result<std::vector<Tenant>> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kTenantCols) + " FROM tenants ORDER BY tenant_id"));
      return all_rows<Tenant>(r, [](const Row& row) -> Result<Tenant> { return read_tenant(row); });
    });
  }

  // --- apps ---

  Status create_app(const App& a) override {
    if (a.tenant_id.empty() || a.app_id.empty()) return invalid("app ids are empty");
    if (!valid_identity_mode(a.identity_mode)) return invalid("unknown identity mode");
    if (!valid_cms_oid_style(a.cms_oid_style)) return invalid("unknown CMS OID style");
    return write_single([&](Connection& c) {
      return pg::run(c,
                     "INSERT INTO apps (tenant_id, app_id, secret_ciphertext, environment, created_at, identity_mode, "
                     "sms_otp_required, cms_oid_style) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     {a.tenant_id, a.app_id, a.secret_ciphertext, env_text(a.environment), a.created_at,
                      a.identity_mode, a.sms_otp_required ? 1 : 0, a.cms_oid_style});
    });
  }

  Result<App> get_app(std::string_view tenant_id, std::string_view app_id) override {
    return read_single<App>([&](Connection& c) -> Result<App> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kAppCols, "apps", "tenant_id = $1 AND app_id = $2"),
                                            {tenant_id, app_id}));
      return first_row<App>(r, read_app, "app");
    });
  }

  Result<App> find_app(std::string_view app_id) override {
    return read_single<App>([&](Connection& c) -> Result<App> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kAppCols, "apps", "app_id = $1"), {app_id}));
      return first_row<App>(r, read_app, "app");
    });
  }

  Result<std::vector<App>> list_apps(std::string_view tenant_id) override {
    return read_single<std::vector<App>>([&](Connection& c) -> Result<std::vector<App>> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kAppCols, "apps", "tenant_id = $1 ORDER BY app_id"),
                                            {tenant_id}));
      return all_rows<App>(r, read_app);
    });
  }

  Status update_app_secret(std::string_view tenant_id, std::string_view app_id,
                           ByteView secret_ciphertext) override {
    if (secret_ciphertext.empty()) return invalid("app secret is empty");
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE apps SET secret_ciphertext = $3 WHERE tenant_id = $1 AND app_id = $2",
          {tenant_id, app_id, secret_ciphertext}));
      return n == 1 ? Status::Ok() : not_found("app");
    });
  }

  Status set_app_pin_failure_budget(std::string_view tenant_id, std::string_view app_id,
                                    std::optional<int> budget) override {
    if (budget && *budget < 1) return invalid("the PIN failure budget must be at least 1");
    std::optional<int64_t> value;
    if (budget) value = *budget;
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE apps SET pin_failure_budget = $3 WHERE tenant_id = $1 AND app_id = $2", {tenant_id, app_id, value}));
      return n == 1 ? Status::Ok() : not_found("app");
    });
  }

  Status update_app_settings(std::string_view tenant_id, std::string_view app_id, std::string_view identity_mode,
                             bool sms_otp_required, std::string_view cms_oid_style) override {
    if (!valid_identity_mode(identity_mode)) return invalid("unknown identity mode");
    if (!valid_cms_oid_style(cms_oid_style)) return invalid("unknown CMS OID style");
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE apps SET identity_mode = $3, sms_otp_required = $4, cms_oid_style = $5 "
          "WHERE tenant_id = $1 AND app_id = $2",
          {tenant_id, app_id, identity_mode, sms_otp_required ? 1 : 0, cms_oid_style}));
      return n == 1 ? Status::Ok() : not_found("app");
    });
  }

  // --- holders ---

  Status create_holder(const Holder& h) override {
    if (h.tenant_id.empty() || h.holder_id.empty()) return invalid("holder ids are empty");
    if (h.lookup_hash.empty()) return invalid("holder lookup hash is empty");
    if (!h.identity_verification.empty() && !valid_identity_mode(h.identity_verification))
      return invalid("unknown identity verification");
    return write([&](Connection& c) -> Status {
      DUET_TRY_STATUS(pg::run(c,
          "INSERT INTO holders (tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, "
          "lookup_hash, status, failed_attempts, created_at, identity_verification, identity_verified_by, "
          "identity_verified_at, identity_reference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
          {h.tenant_id, h.holder_id, h.name_ciphertext, h.id_number_ciphertext, h.phone_ciphertext, h.lookup_hash,
           holder_status_text(h.status), h.failed_attempts, h.created_at, h.identity_verification,
           h.identity_verified_by, h.identity_verified_at, h.identity_reference}));
      return pg::meter_new_holder(c, h);  // per-user metering, same transaction (store.h)
    });
  }

  Result<Holder> get_holder(std::string_view tenant_id, std::string_view holder_id) override {
    return read_single<Holder>([&](Connection& c) { return load_holder(c, tenant_id, holder_id); });
  }

  Result<Holder> find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) override {
    return read_single<Holder>([&](Connection& c) -> Result<Holder> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kHolderCols, "holders", "tenant_id = $1 AND lookup_hash = $2"),
                                            {tenant_id, lookup_hash}));
      return first_row<Holder>(r, read_holder, "holder");
    });
  }

  Status unlock_holder(std::string_view tenant_id, std::string_view holder_id) override {
    return write([&](Connection& c) -> Status {
      // The holder's row first, then its attempts (the backend's lock
      // order): an attempt counted by a PIN use that held the row before is
      // committed by then and forgiven with the others.
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = CASE WHEN EXISTS "
          "(SELECT 1 FROM holder_keys k WHERE k.tenant_id = $1 AND k.holder_id = $2 AND k.revoked_at IS NULL) "
          "THEN 1 ELSE 0 END WHERE tenant_id = $1 AND holder_id = $2",
          {tenant_id, holder_id}));
      if (n != 1) return not_found("holder");
      return pg::run(c,
          "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = $1 AND holder_id = $2 "
          "AND outcome IN ('pending', 'failed')",
          {tenant_id, holder_id});
    });
  }

  Status lock_holder(std::string_view tenant_id, std::string_view holder_id) override {
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE holders SET status = 'locked' WHERE tenant_id = $1 AND holder_id = $2", {tenant_id, holder_id}));
      return n == 1 ? Status::Ok() : not_found("holder");
    });
  }

  Result<std::vector<Holder>> list_holders(std::string_view tenant_id, std::string_view after_holder_id,
                                           size_t limit) override {
    return read_single<std::vector<Holder>>([&](Connection& c) -> Result<std::vector<Holder>> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kHolderCols, "holders", "tenant_id = $1 AND holder_id > $2 ORDER BY holder_id LIMIT $3"),
          {tenant_id, after_holder_id, clamp_limit(limit)}));
      return all_rows<Holder>(r, read_holder);
    });
  }

  // --- holder keys ---

  Status add_holder_key(const HolderKeyShare& k) override {
    if (k.tenant_id.empty() || k.key_id.empty() || k.holder_id.empty()) return invalid("key ids are empty");
    if (k.public_key_hex.empty() || k.service_share_ciphertext.empty()) return invalid("key material is empty");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(bool has_active, exists(c,
          "SELECT 1 FROM holder_keys WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
          k.tenant_id, k.holder_id));
      if (has_active) return conflict("holder already has an active key");
      auto ins = c.query(
          "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
          "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
          {k.tenant_id, k.key_id, k.holder_id, k.public_key_hex, k.service_share_ciphertext, k.created_at});
      if (!ins.ok()) {
        if (pg::violated(c, ins.error(), "holder_keys_one_active")) return conflict("holder already has an active key");
        return Unexpected{ins.error()};
      }
      return Status::Ok();
    });
  }

  Result<HolderKeyShare> get_active_holder_key(std::string_view tenant_id, std::string_view holder_id) override {
    return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kKeyCols, "holder_keys", "tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL"),
          {tenant_id, holder_id}));
      return first_row<HolderKeyShare>(r, [](const Row& row) -> Result<HolderKeyShare> { return read_key(row); },
                                       "active holder key");
    });
  }

  Status revoke_holder_key(std::string_view tenant_id, std::string_view key_id, UnixSeconds now) override {
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE holder_keys SET revoked_at = $3, service_share_ciphertext = '\\x'::bytea "
          "WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL",
          {tenant_id, key_id, now}));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, "SELECT 1 FROM holder_keys WHERE tenant_id = $1 AND key_id = $2", tenant_id,
                                   key_id, "holder key");
    });
  }

  Result<HolderKeyShare> get_holder_key(std::string_view tenant_id, std::string_view key_id) override {
    return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kKeyCols, "holder_keys", "tenant_id = $1 AND key_id = $2"),
                                            {tenant_id, key_id}));
      return first_row<HolderKeyShare>(r, [](const Row& row) -> Result<HolderKeyShare> { return read_key(row); },
                                       "holder key");
    });
  }

  // --- activation codes ---

  Status create_activation_code(const ActivationCode& a) override {
    if (a.tenant_id.empty() || a.code_id.empty() || a.holder_id.empty()) return invalid("code ids are empty");
    if (a.code_hash.empty()) return invalid("code hash is empty");
    if (a.otp_attempts_left < 0) return invalid("negative one-time-code attempts");
    return write_single([&](Connection& c) {
      return pg::run(c,
          "INSERT INTO activation_codes (tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, "
          "used_at, created_at, otp_hash, otp_attempts_left) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          {a.tenant_id, a.code_id, a.holder_id, a.code_hash, a.expires_at, a.attempts_left, a.used_at, a.created_at,
           a.otp_hash, a.otp_attempts_left});
    });
  }

  Result<ActivationCode> find_activation_code(ByteView code_hash) override {
    return read_single<ActivationCode>([&](Connection& c) -> Result<ActivationCode> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kCodeCols, "activation_codes", "code_hash = $1"), {code_hash}));
      return first_row<ActivationCode>(r, [](const Row& row) -> Result<ActivationCode> { return read_code(row); },
                                       "activation code");
    });
  }

  Status use_activation_code(std::string_view tenant_id, std::string_view code_id, UnixSeconds now) override {
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE activation_codes SET used_at = $3 WHERE tenant_id = $1 AND code_id = $2 "
          "AND used_at IS NULL AND expires_at > $3 AND attempts_left > 0",
          {tenant_id, code_id, now}));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, kCodeExists, tenant_id, code_id, "activation code");
    });
  }

  Result<int> spend_activation_attempt(std::string_view tenant_id, std::string_view code_id) override {
    return spend("UPDATE activation_codes SET attempts_left = attempts_left - 1 WHERE tenant_id = $1 AND code_id = $2 "
                 "AND used_at IS NULL AND attempts_left > 0 RETURNING attempts_left",
                 tenant_id, code_id);
  }

  Result<int> spend_otp_attempt(std::string_view tenant_id, std::string_view code_id) override {
    return spend("UPDATE activation_codes SET otp_attempts_left = otp_attempts_left - 1 WHERE tenant_id = $1 "
                 "AND code_id = $2 AND used_at IS NULL AND otp_attempts_left > 0 RETURNING otp_attempts_left",
                 tenant_id, code_id);
  }

  Status complete_activation(const ActivationCompletion& a) override {
    const HolderKeyShare& k = a.key;
    const DeviceToken& t = a.token;
    if (a.tenant_id.empty() || a.code_id.empty()) return invalid("activation ids are empty");
    if (k.key_id.empty() || k.holder_id.empty()) return invalid("key ids are empty");
    if (k.public_key_hex.empty() || k.service_share_ciphertext.empty()) return invalid("key material is empty");
    if (t.token_hash.empty()) return invalid("device token is incomplete");
    if (k.tenant_id != a.tenant_id || t.tenant_id != a.tenant_id || t.holder_id != k.holder_id)
      return invalid("key and device token must name the activation's tenant and holder");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE activation_codes SET used_at = $3 WHERE tenant_id = $1 AND code_id = $2 AND holder_id = $4 "
          "AND used_at IS NULL AND expires_at > $3 AND attempts_left > 0",
          {a.tenant_id, a.code_id, a.now, k.holder_id}));
      if (n != 1) return not_found_or_conflict(c, kCodeExists, a.tenant_id, a.code_id, "activation code");
      hook("complete_activation:after_code_used");

      DUET_TRY_STATUS(pg::run(c,
          "UPDATE holder_keys SET revoked_at = $3, service_share_ciphertext = '\\x'::bytea "
          "WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
          {a.tenant_id, k.holder_id, a.now}));
      DUET_TRY_STATUS(pg::run(c,
          "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
          {a.tenant_id, k.holder_id, a.now}));
      hook("complete_activation:after_revocations");

      DUET_TRY_STATUS(pg::run(c,
          "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
          "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
          {a.tenant_id, k.key_id, k.holder_id, k.public_key_hex, k.service_share_ciphertext, k.created_at}));
      DUET_TRY_STATUS(pg::run(c,
          "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES ($1, $2, $3, $4)",
          {a.tenant_id, t.token_hash, t.holder_id, t.created_at}));
      hook("complete_activation:before_holder_update");

      DUET_ASSIGN_OR_RETURN(n, changes(c,
          "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = 0 "
          "WHERE tenant_id = $1 AND holder_id = $2",
          {a.tenant_id, k.holder_id}));
      if (n != 1) return corrupt("activation code's holder missing");
      // A new key: failures against the old one (whose shares are revoked)
      // leave the failure budget, as an unlock's do.
      return pg::run(c,
          "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = $1 AND holder_id = $2 "
          "AND outcome IN ('pending', 'failed')",
          {a.tenant_id, k.holder_id});
    });
  }

  // --- device tokens ---

  Status create_device_token(const DeviceToken& t) override {
    if (t.tenant_id.empty() || t.holder_id.empty() || t.token_hash.empty()) return invalid("device token is incomplete");
    return write_single([&](Connection& c) {
      return pg::run(c,
                     "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at, revoked_at) "
                     "VALUES ($1, $2, $3, $4, $5)",
                     {t.tenant_id, t.token_hash, t.holder_id, t.created_at, t.revoked_at});
    });
  }

  Result<DeviceToken> find_device_token(ByteView token_hash) override {
    return read_single<DeviceToken>([&](Connection& c) -> Result<DeviceToken> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kTokenCols, "device_tokens", "token_hash = $1 AND revoked_at IS NULL"), {token_hash}));
      return first_row<DeviceToken>(r, [](const Row& row) -> Result<DeviceToken> { return read_token(row); },
                                    "device token");
    });
  }

  Status revoke_device_token(std::string_view tenant_id, ByteView token_hash, UnixSeconds now) override {
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL",
          {tenant_id, token_hash, now}));
      return n == 1 ? Status::Ok() : not_found("unrevoked device token");
    });
  }

  Status reseal_key_share(std::string_view tenant_id, std::string_view key_id, ByteView expected,
                          ByteView replacement) override {
    if (replacement.empty()) return invalid("sealed share is empty");
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE holder_keys SET service_share_ciphertext = $4 WHERE tenant_id = $1 AND key_id = $2 "
          "AND service_share_ciphertext = $3 AND revoked_at IS NULL",
          {tenant_id, key_id, expected, replacement}));
      return n == 1 ? Status::Ok() : conflict("holder key share changed");
    });
  }

  // --- orders ---

  Result<SignOrder> create_order(const SignOrder& o) override {
    if (o.tenant_id.empty() || o.order_id.empty() || o.app_id.empty() || o.holder_id.empty())
      return invalid("order ids are empty");
    if (o.items.empty()) return invalid("order has no items");
    for (const SignItem& item : o.items)
      if (item.input.empty()) return invalid("order item input is empty");
    if (o.kind == OrderKind::kCsr && o.key_id.empty()) return invalid("a certificate request order names its key");
    if (o.kind == OrderKind::kSign && !o.key_id.empty()) return invalid("a sign order names no key");
    if (is_cms(o.output_format) != !o.signer_cert_id.empty() || is_cms(o.output_format) != !o.cms_oid_style.empty())
      return invalid("a CMS order names its signer certificate and OID style (and only a CMS order)");
    if (!o.cms_oid_style.empty() && o.cms_oid_style != "pkcs7" && o.cms_oid_style != "gmt")
      return invalid("unknown CMS OID style");
    return run<Result<SignOrder>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<SignOrder> {
      constexpr std::string_view kByKey =
          "SELECT order_id FROM sign_orders WHERE tenant_id = $1 AND app_id = $2 AND idempotency_key = $3";
      // The order already made under this idempotency key (NULL: none; a
      // NULL key matches nothing) and the app's environment (NULL: no such
      // app) in one statement (one round trip).
      DUET_ASSIGN_OR_RETURN(Rows pre, c.query(
          "SELECT (SELECT order_id FROM sign_orders WHERE tenant_id = $1 AND app_id = $2 AND idempotency_key = $3), "
          "(SELECT environment FROM apps WHERE tenant_id = $1 AND app_id = $2)",
          {o.tenant_id, o.app_id, o.idempotency_key.empty() ? Param::null() : Param(o.idempotency_key)}));
      if (pre.empty()) return corrupt("order pre-check returned no row");
      if (!pre.is_null(0, 0)) return load_order(c, o.tenant_id, pre.text(0, 0));
      const bool app_found = !pre.is_null(0, 1);
      const AppEnvironment app_env =
          pre.text(0, 1) == "production" ? AppEnvironment::kProduction : AppEnvironment::kSandbox;
      if (o.kind == OrderKind::kCsr) {
        DUET_ASSIGN_OR_RETURN(Rows key, c.query(
            "SELECT revoked_at FROM holder_keys WHERE tenant_id = $1 AND key_id = $2 AND holder_id = $3",
            {o.tenant_id, o.key_id, o.holder_id}));
        if (key.empty()) return not_found("holder key");
        if (!key.is_null(0, 0)) return conflict("holder key is revoked");
      }
      // production kSign orders need quota (store.h)
      DUET_TRY_STATUS(pg::check_order_quota(c, o, app_found, app_env));
      // A concurrent create under the same idempotency key: this insert
      // waits for it and then inserts nothing; the order it made is returned.
      DUET_ASSIGN_OR_RETURN(int64_t inserted, changes(c,
          "INSERT INTO sign_orders (tenant_id, order_id, app_id, holder_id, title, display_text, output_format, "
          "expires_at, callback_url, idempotency_key, state, created_at, updated_at, kind, key_id, cms_output, "
          "signer_cert_id, cms_oid_style) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11, $12, $13, $14, $15, $16) "
          "ON CONFLICT (tenant_id, app_id, idempotency_key) DO NOTHING",
          {o.tenant_id, o.order_id, o.app_id, o.holder_id, o.title, o.display_text, format_text(o.output_format),
           o.expires_at, o.callback_url, o.idempotency_key.empty() ? Param::null() : Param(o.idempotency_key),
           o.created_at, order_kind_text(o.kind), o.key_id, cms_output_text(o.output_format), o.signer_cert_id,
           o.cms_oid_style}));
      if (inserted == 0) {
        DUET_ASSIGN_OR_RETURN(Rows found, c.query(kByKey, {o.tenant_id, o.app_id, o.idempotency_key}));
        if (found.empty()) return corrupt("idempotent order vanished");
        return load_order(c, o.tenant_id, found.text(0, 0));
      }
      name_audit_target("order_id", o.order_id);  // (not on the idempotent path above)
      hook("create_order:after_order_insert");
      for (size_t i = 0; i < o.items.size(); ++i) {
        DUET_TRY_STATUS(pg::run(c,
            "INSERT INTO sign_order_items (tenant_id, order_id, item_index, input, input_is_digest) "
            "VALUES ($1, $2, $3, $4, $5)",
            {o.tenant_id, o.order_id, static_cast<int64_t>(i), o.items[i].input, o.items[i].input_is_digest ? 1 : 0}));
      }
      // The order as stored (what load_order would read back).
      SignOrder stored = o;
      stored.state = OrderState::kPending;
      stored.updated_at = o.created_at;
      for (SignItem& item : stored.items) item.signature.clear();
      return stored;
    });
  }

  Result<SignOrder> get_order(std::string_view tenant_id, std::string_view order_id) override {
    return read_single<SignOrder>([&](Connection& c) { return load_order(c, tenant_id, order_id); });
  }

  Result<OrderPage> list_orders(std::string_view tenant_id, const OrderFilter& filter) override {
    if (filter.limit == 0) return invalid("list limit must be at least 1");
    std::optional<OrderCursor> cursor;
    if (!filter.cursor.empty()) {
      cursor = parse_order_cursor(filter.cursor);
      if (!cursor) return invalid("malformed order cursor");
    }
    return read_single<OrderPage>([&](Connection& c) -> Result<OrderPage> {
      std::vector<Param> params;
      params.emplace_back(tenant_id);
      std::string where = "tenant_id = $1 AND kind = 'sign'";
      auto next = [&] { return "$" + std::to_string(params.size()); };
      std::string state_text;
      if (filter.holder_id) {
        params.emplace_back(*filter.holder_id);
        where += " AND holder_id = " + next();
      }
      if (filter.state) {
        state_text = std::string(order_state_text(*filter.state));
        params.emplace_back(state_text);
        where += " AND state = " + next();
      }
      if (cursor) {
        params.emplace_back(cursor->created_at);
        std::string at = next();
        params.emplace_back(cursor->order_id);
        where += " AND (created_at < " + at + " OR (created_at = " + at + " AND order_id < " + next() + "))";
      }
      // One more than asked for tells whether another page follows.
      const int64_t want = clamp_limit(filter.limit);
      params.emplace_back(want + 1);
      std::string sql = std::string(kOrderSelect) +
                        "WHERE (o.tenant_id, o.order_id) IN (SELECT tenant_id, order_id FROM sign_orders WHERE " +
                        where + " ORDER BY created_at DESC, order_id DESC LIMIT " + next() +
                        ") ORDER BY o.created_at DESC, o.order_id DESC, i.item_index";
      DUET_ASSIGN_OR_RETURN(Rows rows, c.query(sql, params));
      DUET_ASSIGN_OR_RETURN(std::vector<SignOrder> orders, read_orders(rows));
      OrderPage page;
      const bool more = static_cast<int64_t>(orders.size()) > want;
      if (more) orders.resize(static_cast<size_t>(want));
      page.orders = std::move(orders);
      if (more && !page.orders.empty()) page.next_cursor = make_order_cursor(page.orders.back());
      return page;
    });
  }

  Result<std::vector<SignOrder>> list_open_orders(std::string_view tenant_id, std::string_view holder_id,
                                                  UnixSeconds now, size_t limit) override {
    return read_single<std::vector<SignOrder>>([&](Connection& c) -> Result<std::vector<SignOrder>> {
      DUET_ASSIGN_OR_RETURN(Rows rows, c.query(std::string(kOrderSelect) +
          "WHERE (o.tenant_id, o.order_id) IN (SELECT tenant_id, order_id FROM sign_orders WHERE tenant_id = $1 "
          "AND holder_id = $2 AND state IN ('pending', 'signing') AND expires_at > $3 "
          "ORDER BY created_at, order_id LIMIT $4) ORDER BY o.created_at, o.order_id, i.item_index",
          {tenant_id, holder_id, now, clamp_limit(limit)}));
      return read_orders(rows);
    });
  }

  // --- PIN attempts (store.h; the helpers above say how they lock) ---

  Result<PinAttemptCounters> begin_sign_attempt(const SignSession& s, std::string_view attempt_id,
                                                UnixSeconds window_since, const PinAttemptRule& rule,
                                                UnixSeconds now) override {
    if (s.tenant_id.empty() || s.session_id.empty() || s.order_id.empty() || s.holder_id.empty())
      return invalid("session ids are empty");
    if (attempt_id.empty()) return invalid("attempt id is empty");
    if (!rule) return invalid("PIN attempt rule is missing");
    return run<Result<PinAttemptCounters>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
      // One statement (one round trip, with BEGIN): the order moves to
      // signing (its row lock first, the backend's order) and what store.h
      // refuses before the rule is read; any refusal rolls the move back.
      DUET_ASSIGN_OR_RETURN(Rows pre, c.query(
          "WITH moved AS (UPDATE sign_orders SET state = 'signing', updated_at = $5 WHERE tenant_id = $1 "
          "AND order_id = $3 AND holder_id = $4 AND state IN ('pending', 'signing') AND expires_at > $5 RETURNING 1) "
          "SELECT EXISTS (SELECT 1 FROM sign_sessions WHERE tenant_id = $1 AND session_id = $2), "
          "(SELECT holder_id FROM sign_orders WHERE tenant_id = $1 AND order_id = $3), "
          "(SELECT refresh_required FROM holders WHERE tenant_id = $1 AND holder_id = $4), "
          "(SELECT COUNT(*) FROM moved), "
          "(SELECT status FROM holders WHERE tenant_id = $1 AND holder_id = $4)",
          {s.tenant_id, s.session_id, s.order_id, s.holder_id, now}));
      if (pre.empty()) return corrupt("sign attempt pre-check returned no row");
      if (pre.get_int(0, 0) != 0) return store_error(StoreError::kDuplicate, "session id already used");
      if (pre.is_null(0, 1) || pre.text(0, 1) != s.holder_id) return not_found("order");
      if (pre.is_null(0, 2)) return not_found("holder");
      if (pre.get_int(0, 2) != 0)
        return make_error(ErrorCode::kRefreshRequired, "a share refresh must run before the next signature");
      // A locked holder is refused as locked, also when the lockout failed
      // the order meanwhile (the subqueries above read the statement's
      // snapshot, so the status is read again once the move has failed).
      if (pre.text(0, 4) == "locked") return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
      if (pre.get_int(0, 3) != 1) {
        DUET_ASSIGN_OR_RETURN(Rows now_status, c.query(
            "SELECT status FROM holders WHERE tenant_id = $1 AND holder_id = $2", {s.tenant_id, s.holder_id}));
        if (!now_status.empty() && now_status.text(0, 0) == "locked")
          return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
        return conflict("order is not open for signing");
      }
      // The session is stored open with no r values, with the attempt.
      DUET_ASSIGN_OR_RETURN(PinAttemptCounters after, count_pin_attempt(c, s.tenant_id, s.holder_id, attempt_id,
          window_since, rule, now, /*refuse_refresh_required=*/true,
          ", stored AS (INSERT INTO sign_sessions (tenant_id, session_id, order_id, holder_id, r_values, state, "
          "created_at, updated_at) SELECT $1::text, $7::text, $8::text, $2::text, '', 'open', $6::bigint, "
          "$6::bigint FROM attempt)",
          {s.session_id, s.order_id}));
      hook("begin_sign_attempt:after_attempt_counted");
      return after;
    });
  }

  // The key the caller used is still the holder's, unrevoked, with the same
  // share (store.h, accept_sign_attempt). FOR SHARE: a refresh, re-key or
  // revocation that updates the key row waits for this transaction, or has
  // committed and then fails the comparison.
  static Status check_key_unchanged(Connection& c, std::string_view tenant_id, std::string_view key_id,
                                    ByteView expected_share) {
    if (key_id.empty()) return Status::Ok();
    DUET_ASSIGN_OR_RETURN(Rows same, c.query(
        "SELECT 1 FROM holder_keys WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL "
        "AND service_share_ciphertext = $3 FOR SHARE",
        {tenant_id, key_id, expected_share}));
    return same.empty() ? Status(conflict("the holder's key share changed")) : Status::Ok();
  }

  Status accept_sign_attempt(std::string_view tenant_id, std::string_view session_id, std::string_view attempt_id,
                             const std::vector<std::string>& r_values, UnixSeconds now, std::string_view key_id,
                             ByteView expected_share) override {
    if (r_values.empty()) return invalid("r values are required");
    for (const std::string& r : r_values)
      if (r.empty() || r.find(',') != std::string::npos) return invalid("malformed r value");
    return write([&](Connection& c) -> Status {
      DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
      // One statement (kAcceptAttempt): the session gets its r values, the
      // holder's consecutive count is reset, the attempt ends ok. No order
      // lock: after the session this waits only for the holder and the
      // attempt, which no writer of the order's sessions holds while it
      // waits for a session.
      DUET_ASSIGN_OR_RETURN(Rows done, c.query(accept_attempt_sql(
          "UPDATE sign_sessions SET r_values = $4, updated_at = $5 WHERE tenant_id = $1 AND session_id = $2 "
          "AND state = 'open' AND r_values = '' RETURNING holder_id"),
          {tenant_id, session_id, attempt_id, join_r_values(r_values), now}));
      if (done.empty() || done.get_int(0, 0) != 1) return conflict("sign session is not open");
      if (done.get_int(0, 1) != 1) return conflict("PIN attempt is not pending");
      return Status::Ok();
    });
  }

  Result<PinAttemptCounters> begin_refresh_attempt(const ShareRefresh& r, std::string_view attempt_id,
                                                   UnixSeconds window_since, const PinAttemptRule& rule,
                                                   UnixSeconds now) override {
    if (r.tenant_id.empty() || r.refresh_id.empty() || r.key_id.empty() || r.holder_id.empty())
      return invalid("share refresh ids are empty");
    if (attempt_id.empty()) return invalid("attempt id is empty");
    if (!rule) return invalid("PIN attempt rule is missing");
    return run<Result<PinAttemptCounters>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
      // What store.h refuses before the rule, in one statement: the refresh
      // id taken, the key not the holder's, the key revoked.
      DUET_ASSIGN_OR_RETURN(Rows pre, c.query(
          "SELECT EXISTS (SELECT 1 FROM share_refreshes WHERE tenant_id = $1 AND refresh_id = $2), "
          "(SELECT COUNT(*) FROM holder_keys WHERE tenant_id = $1 AND key_id = $3 AND holder_id = $4), "
          "(SELECT COUNT(*) FROM holder_keys WHERE tenant_id = $1 AND key_id = $3 AND holder_id = $4 "
          "AND revoked_at IS NULL)",
          {r.tenant_id, r.refresh_id, r.key_id, r.holder_id}));
      if (pre.empty()) return corrupt("refresh attempt pre-check returned no row");
      if (pre.get_int(0, 0) != 0) return store_error(StoreError::kDuplicate, "refresh id already used");
      if (pre.get_int(0, 1) == 0) return not_found("holder key");
      if (pre.get_int(0, 2) == 0) return conflict("holder key is revoked");
      // Stored abandoned with no sealed values: only accept_refresh_attempt
      // opens it, so a crash in between leaves nothing usable.
      return count_pin_attempt(c, r.tenant_id, r.holder_id, attempt_id, window_since, rule, now,
          /*refuse_refresh_required=*/false,
          ", stored AS (INSERT INTO share_refreshes (tenant_id, refresh_id, key_id, holder_id, sealed_rho, "
          "pending_share_ciphertext, state, created_at) SELECT $1::text, $7::text, $8::text, $2::text, "
          "'\\x'::bytea, '\\x'::bytea, 'abandoned', $6::bigint FROM attempt)",
          {r.refresh_id, r.key_id});
    });
  }

  Status accept_refresh_attempt(std::string_view tenant_id, std::string_view refresh_id, std::string_view attempt_id,
                                ByteView pending_share_ciphertext, UnixSeconds now, std::string_view key_id,
                                ByteView expected_share) override {
    (void)now;
    if (pending_share_ciphertext.empty()) return invalid("an open share refresh needs its pending share");
    return write([&](Connection& c) -> Status {
      DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
      // One statement (accept_attempt_sql): the refresh opens with its
      // pending share, the holder's consecutive count is reset, the attempt
      // ends ok.
      DUET_ASSIGN_OR_RETURN(Rows done, c.query(accept_attempt_sql(
          "UPDATE share_refreshes SET state = 'open', pending_share_ciphertext = $4 WHERE tenant_id = $1 "
          "AND refresh_id = $2 AND state = 'abandoned' AND pending_share_ciphertext = '\\x'::bytea "
          "RETURNING holder_id"),
          {tenant_id, refresh_id, attempt_id, pending_share_ciphertext}));
      if (done.empty() || done.get_int(0, 0) != 1) return conflict("share refresh is not being verified");
      if (done.get_int(0, 1) != 1) return conflict("PIN attempt is not pending");
      return Status::Ok();
    });
  }

  Result<PinAttemptCounters> begin_confirm_attempt(std::string_view tenant_id, std::string_view holder_id,
                                                   std::string_view refresh_id, std::string_view attempt_id,
                                                   UnixSeconds open_since, UnixSeconds window_since,
                                                   const PinAttemptRule& rule, UnixSeconds now) override {
    if (tenant_id.empty() || holder_id.empty() || refresh_id.empty()) return invalid("share refresh ids are empty");
    if (attempt_id.empty()) return invalid("attempt id is empty");
    if (!rule) return invalid("PIN attempt rule is missing");
    // An expired refresh is abandoned (its pending share wiped) although the
    // call fails, so that refusal commits instead of rolling back.
    bool expired = false;
    auto result = run<Result<PinAttemptCounters>>(Transaction::Kind::kWrite,
                                                  [&](Connection& c) -> Result<PinAttemptCounters> {
      expired = false;  // (a transaction run again starts over)
      DUET_ASSIGN_OR_RETURN(Rows sel, c.query(
          "SELECT holder_id, state, created_at FROM share_refreshes WHERE tenant_id = $1 AND refresh_id = $2",
          {tenant_id, refresh_id}));
      if (sel.empty() || sel.text(0, 0) != holder_id) return not_found("share refresh");
      const std::string state = sel.text(0, 1);
      if (state == "confirmed") return conflict("share refresh already confirmed");
      if (state != "open") return conflict("share refresh is not open");
      if (sel.get_int(0, 2) <= open_since) {
        DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
            "UPDATE share_refreshes SET state = 'abandoned', pending_share_ciphertext = '\\x'::bytea, "
            "sealed_rho = '\\x'::bytea WHERE tenant_id = $1 AND refresh_id = $2 AND state = 'open'",
            {tenant_id, refresh_id}));
        // Zero: a concurrent confirm or expiry ended it first.
        if (n != 1) return conflict("share refresh is not open");
        expired = true;
        return PinAttemptCounters{};
      }
      return count_pin_attempt(c, tenant_id, holder_id, attempt_id, window_since, rule, now,
                               /*refuse_refresh_required=*/false, "", {});
    });
    if (result.ok() && expired) return make_error(ErrorCode::kExpired, "the share refresh has expired");
    return result;
  }

  Status fail_pin_attempt(std::string_view tenant_id, std::string_view attempt_id, bool lock_holder,
                          std::string_view session_id, const std::vector<CallbackJob>& alarms,
                          const std::optional<CallbackJob>& callback_if_order_fails, UnixSeconds now) override {
    if (tenant_id.empty() || attempt_id.empty()) return invalid("PIN attempt ids are empty");
    return write([&](Connection& c) -> Status {
      // Row locks in the backend's order: the session's order (as every
      // writer of an order's sessions), the session, the holder, then the
      // attempt.
      std::string order_id;
      bool locked = false;
      if (!session_id.empty()) {
        DUET_ASSIGN_OR_RETURN(Rows order, c.query(
            "SELECT o.order_id FROM sign_sessions s JOIN sign_orders o ON o.tenant_id = s.tenant_id "
            "AND o.order_id = s.order_id WHERE s.tenant_id = $1 AND s.session_id = $2 FOR UPDATE OF o",
            {tenant_id, session_id}));
        if (order.empty()) return conflict("sign session is not open");
        order_id = order.text(0, 0);
        // The session fails; its holder's status comes back (read, not
        // locked: a lock is set below or was committed before).
        DUET_ASSIGN_OR_RETURN(Rows failed, c.query(
            "UPDATE sign_sessions s SET state = 'failed', updated_at = $3 WHERE s.tenant_id = $1 "
            "AND s.session_id = $2 AND s.state = 'open' RETURNING (SELECT h.status FROM holders h "
            "WHERE h.tenant_id = s.tenant_id AND h.holder_id = s.holder_id)",
            {tenant_id, session_id, now}));
        // Empty: the session ended meanwhile (another attempt's lockout, or
        // expiry, failed the order's open sessions). The attempt still ends
        // failed below: a concurrent lockout must not turn this answer into
        // a conflict.
        if (!failed.empty()) {
          DUET_ASSIGN_OR_RETURN(HolderStatus status, parse_holder_status(failed.text(0, 0)));
          locked = status == HolderStatus::kLocked;
        }
      }
      if (lock_holder) {
        // The attempt's holder (the subquery reads the attempt, it does not
        // lock it: the holder's row comes first).
        DUET_TRY_STATUS(pg::run(c,
            "UPDATE holders SET status = 'locked' WHERE (tenant_id, holder_id) IN (SELECT tenant_id, holder_id "
            "FROM pin_attempts WHERE tenant_id = $1 AND attempt_id = $2 AND outcome = 'pending')",
            {tenant_id, attempt_id}));
        locked = true;
      }
      if (!session_id.empty() && locked) {
        DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
            "UPDATE sign_orders SET state = 'failed', updated_at = $3 WHERE tenant_id = $1 AND order_id = $2 "
            "AND state IN ('pending', 'signing') AND expires_at > $3",
            {tenant_id, order_id, now}));
        if (n == 1) {
          DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
          if (callback_if_order_fails)
            DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
        }
      }
      // Not pending (ended before, forgiven, unknown): everything above rolls back.
      DUET_TRY_STATUS(end_pin_attempt(c, tenant_id, attempt_id, "", "failed"));
      for (const CallbackJob& job : alarms) DUET_TRY_STATUS(insert_callback(c, job, tenant_id, job.order_id, now));
      return Status::Ok();
    });
  }

  // --- share refresh ---

  Status confirm_share_refresh(std::string_view tenant_id, std::string_view refresh_id, std::string_view attempt_id,
                               const DeviceToken& t, UnixSeconds now) override {
    if (tenant_id.empty() || refresh_id.empty()) return invalid("share refresh ids are empty");
    if (t.token_hash.empty() || t.tenant_id != tenant_id) return invalid("device token is incomplete");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Rows sel, c.query(
          select_from(kRefreshCols, "share_refreshes", "tenant_id = $1 AND refresh_id = $2"), {tenant_id, refresh_id}));
      DUET_ASSIGN_OR_RETURN(ShareRefresh r, first_row<ShareRefresh>(sel, read_refresh, "share refresh"));
      if (r.state == RefreshState::kConfirmed) return conflict("share refresh already confirmed");
      if (r.state != RefreshState::kOpen) return conflict("share refresh is not open");
      if (t.holder_id != r.holder_id) return invalid("device token must name the refresh's holder");

      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE share_refreshes SET state = 'confirmed', confirmed_at = $3 "
          "WHERE tenant_id = $1 AND refresh_id = $2 AND state = 'open'",
          {tenant_id, refresh_id, now}));
      if (n != 1) {
        // A concurrent confirm won: answer as if this one came second.
        DUET_ASSIGN_OR_RETURN(Rows again, c.query(
            "SELECT state FROM share_refreshes WHERE tenant_id = $1 AND refresh_id = $2", {tenant_id, refresh_id}));
        if (!again.empty() && again.text(0, 0) == "confirmed") return conflict("share refresh already confirmed");
        return conflict("share refresh is not open");
      }

      DUET_ASSIGN_OR_RETURN(n, changes(c,
          "UPDATE holder_keys SET service_share_ciphertext = $4 "
          "WHERE tenant_id = $1 AND key_id = $2 AND holder_id = $3 AND revoked_at IS NULL",
          {tenant_id, r.key_id, r.holder_id, r.pending_share_ciphertext}));
      if (n != 1) return conflict("holder key is revoked");

      DUET_TRY_STATUS(pg::run(c,
          "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
          {tenant_id, r.holder_id, now}));
      DUET_TRY_STATUS(pg::run(c,
          "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES ($1, $2, $3, $4)",
          {tenant_id, t.token_hash, r.holder_id, t.created_at}));

      DUET_ASSIGN_OR_RETURN(n, changes(c,
          "UPDATE holders SET failed_attempts = 0, refresh_required = 0 WHERE tenant_id = $1 AND holder_id = $2",
          {tenant_id, r.holder_id}));
      if (n != 1) return corrupt("share refresh's holder missing");
      return end_pin_attempt(c, tenant_id, attempt_id, r.holder_id, "ok");
    });
  }

  Result<ShareRefresh> get_share_refresh(std::string_view tenant_id, std::string_view refresh_id) override {
    return read_single<ShareRefresh>([&](Connection& c) -> Result<ShareRefresh> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kRefreshCols, "share_refreshes", "tenant_id = $1 AND refresh_id = $2"), {tenant_id, refresh_id}));
      return first_row<ShareRefresh>(r, read_refresh, "share refresh");
    });
  }

  Result<SignSession> get_sign_session(std::string_view tenant_id, std::string_view session_id) override {
    return read_single<SignSession>([&](Connection& c) -> Result<SignSession> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kSessionCols, "sign_sessions", "tenant_id = $1 AND session_id = $2"), {tenant_id, session_id}));
      return first_row<SignSession>(r, read_session, "sign session");
    });
  }

  Result<OrderState> fail_sign_session(std::string_view tenant_id, std::string_view session_id,
                                       const std::optional<CallbackJob>& callback_if_order_fails,
                                       UnixSeconds now) override {
    return run<Result<OrderState>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<OrderState> {
      DUET_ASSIGN_OR_RETURN(Rows sess, c.query(
          "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = $1 AND session_id = $2",
          {tenant_id, session_id}));
      if (sess.empty()) return not_found("sign session");
      const std::string order_id = sess.text(0, 0);
      const std::string holder_id = sess.text(0, 1);

      // Row locks in the backend's order: the order first, then its session.
      DUET_ASSIGN_OR_RETURN(Rows locked, c.query(
          "SELECT 1 FROM sign_orders WHERE tenant_id = $1 AND order_id = $2 FOR UPDATE", {tenant_id, order_id}));
      if (locked.empty()) return corrupt("sign session's order missing");

      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE sign_sessions SET state = 'failed', updated_at = $3 "
          "WHERE tenant_id = $1 AND session_id = $2 AND state = 'open'",
          {tenant_id, session_id, now}));
      if (n != 1) return conflict("sign session is not open");
      hook("fail_sign_session:after_session_failed");

      DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
      if (holder.status == HolderStatus::kLocked) {
        DUET_ASSIGN_OR_RETURN(n, changes(c,
            "UPDATE sign_orders SET state = 'failed', updated_at = $3 WHERE tenant_id = $1 AND order_id = $2 "
            "AND state IN ('pending', 'signing') AND expires_at > $3",
            {tenant_id, order_id, now}));
        if (n == 1) {
          DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
          hook("fail_sign_session:before_callback");
          if (callback_if_order_fails)
            DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
        }
      }
      DUET_ASSIGN_OR_RETURN(Rows state, c.query(
          "SELECT state FROM sign_orders WHERE tenant_id = $1 AND order_id = $2", {tenant_id, order_id}));
      if (state.empty()) return corrupt("sign session's order missing");
      return parse_order_state(state.text(0, 0));
    });
  }

  Status finish_order(std::string_view tenant_id, std::string_view order_id, std::string_view session_id,
                      const std::vector<Bytes>& signatures, const std::optional<CallbackJob>& callback,
                      UnixSeconds now) override {
    for (const Bytes& sig : signatures)
      if (sig.empty()) return invalid("empty signature");
    return write([&](Connection& c) -> Status {
      MeterInput m;
      DUET_TRY_STATUS(
          finish_in_tx(c, tenant_id, order_id, session_id, signatures, OrderKind::kSign, nullptr, now, &m));
      // Exactly-once metering in the transaction that completes the signature.
      DUET_TRY_STATUS(pg::meter_finished_order(c, tenant_id, order_id, now, m.kind, m.holder_id, m.app_environment));
      hook("finish_order:before_callback");
      if (callback) DUET_TRY_STATUS(insert_callback(c, *callback, tenant_id, order_id, now));
      return Status::Ok();
    });
  }

  Status finish_csr_order(std::string_view tenant_id, std::string_view order_id, std::string_view session_id,
                          const std::vector<Bytes>& signatures, const Certificate& certificate,
                          UnixSeconds now) override {
    for (const Bytes& sig : signatures)
      if (sig.empty()) return invalid("empty signature");
    DUET_TRY_STATUS(validate_certificate(certificate));
    if (certificate.tenant_id != tenant_id) return invalid("the certificate must name the order's tenant");
    return write([&](Connection& c) -> Status {
      DUET_TRY_STATUS(
          finish_in_tx(c, tenant_id, order_id, session_id, signatures, OrderKind::kCsr, &certificate, now));
      hook("finish_csr_order:before_certificate");
      return insert_certificate(c, certificate);
    });
  }

  Status reject_order(std::string_view tenant_id, std::string_view order_id,
                      const std::optional<CallbackJob>& callback, UnixSeconds now) override {
    return close_order(tenant_id, order_id, "rejected", "('pending', 'signing')", callback, now);
  }

  Status cancel_order(std::string_view tenant_id, std::string_view order_id,
                      const std::optional<CallbackJob>& callback, UnixSeconds now) override {
    return close_order(tenant_id, order_id, "cancelled", "('pending')", callback, now);
  }

  Result<std::vector<SignOrder>> expire_orders(UnixSeconds now, size_t limit,
                                               const CallbackFactory& make_callback) override {
    // A bound (sweep) event is appended once per expired order, with the
    // order's tenant and id (store.h), instead of once for the transaction.
    PendingAuditEvent* pending = ScopedAuditEvent::current();
    ScopedAuditSuspend per_order;
    int appended = 0;
    int64_t last_seq = 0;
    auto result = run<Result<std::vector<SignOrder>>>(
        Transaction::Kind::kWrite, [&](Connection& c) -> Result<std::vector<SignOrder>> {
          appended = 0;
          // Orders another sweeper (node) is expiring right now are skipped,
          // not waited for; the conditional update re-checks each one.
          DUET_ASSIGN_OR_RETURN(Rows due, c.query(
              "UPDATE sign_orders SET state = 'expired', updated_at = $1 WHERE (tenant_id, order_id) IN ("
              "SELECT tenant_id, order_id FROM sign_orders WHERE state IN ('pending', 'signing') "
              "AND expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
              "AND state IN ('pending', 'signing') AND expires_at <= $1 RETURNING tenant_id, order_id",
              {now, clamp_limit(limit)}));
          std::vector<SignOrder> expired;
          for (int i = 0; i < due.size(); ++i) {
            const std::string tenant = due.text(i, 0);
            const std::string id = due.text(i, 1);
            DUET_TRY_STATUS(fail_open_sessions(c, tenant, id, now));
            DUET_ASSIGN_OR_RETURN(SignOrder order, load_order(c, tenant, id));
            if (make_callback) {
              std::optional<CallbackJob> cb = make_callback(order);
              if (cb) DUET_TRY_STATUS(insert_callback(c, *cb, tenant, id, now));
            }
            if (pending) {
              AuditEvent e = committed_event(*pending);
              e.tenant_id = tenant;
              e.target = "order_id:" + id;
              if (!pg::append_audit_event(c, e).ok())
                return store_error(StoreError::kUnavailable, "audit log unavailable: the change was not made");
              ++appended;
              last_seq = e.seq;
            }
            hook("expire_orders:after_order");
            expired.push_back(std::move(order));
          }
          return expired;
        });
    if (result.ok() && pending && appended > 0) {
      pending->appended += appended;
      pending->last_seq = last_seq;
    }
    return result;
  }

  // --- certificates ---

  Status add_certificate(const Certificate& cert) override {
    DUET_TRY_STATUS(validate_certificate(cert));
    return write([&](Connection& c) { return insert_certificate(c, cert); });
  }

  Result<Certificate> get_certificate(std::string_view tenant_id, std::string_view cert_id) override {
    return read_single<Certificate>([&](Connection& c) -> Result<Certificate> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kCertCols, "certificates", "tenant_id = $1 AND cert_id = $2"),
                                            {tenant_id, cert_id}));
      return first_row<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); },
                                    "certificate");
    });
  }

  Result<Certificate> find_certificate_by_serial(std::string_view serial_hex) override {
    return read_single<Certificate>([&](Connection& c) -> Result<Certificate> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kCertCols, "certificates", "serial_hex = $1"), {serial_hex}));
      return first_row<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); },
                                    "certificate");
    });
  }

  Result<std::vector<Certificate>> list_holder_certificates(std::string_view tenant_id,
                                                            std::string_view holder_id) override {
    return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kCertCols, "certificates",
                      "tenant_id = $1 AND holder_id = $2 ORDER BY created_at DESC, cert_id DESC"),
          {tenant_id, holder_id}));
      return all_rows<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); });
    });
  }

  Result<std::vector<Certificate>> list_revoked_certificates(std::string_view issuer_id) override {
    return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kCertCols, "certificates", "issuer_id = $1 AND revoked_at IS NOT NULL ORDER BY serial_hex"),
          {issuer_id}));
      return all_rows<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); });
    });
  }

  Status revoke_certificate(std::string_view tenant_id, std::string_view cert_id, int reason, bool revoke_key,
                            UnixSeconds now) override {
    if (!valid_revocation_reason(reason)) return invalid("unknown revocation reason");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          "UPDATE certificates SET revoked_at = $3, revocation_reason = $4 "
          "WHERE tenant_id = $1 AND cert_id = $2 AND revoked_at IS NULL RETURNING holder_id, key_id",
          {tenant_id, cert_id, now, reason}));
      if (r.empty())
        return not_found_or_conflict(c, "SELECT 1 FROM certificates WHERE tenant_id = $1 AND cert_id = $2",
                                     tenant_id, cert_id, "certificate");
      const std::string holder_id = r.text(0, 0);
      const std::string key_id = r.text(0, 1);
      if (!revoke_key) return Status::Ok();
      hook("revoke_certificate:after_certificate");
      DUET_TRY_STATUS(pg::run(c,
          "UPDATE holder_keys SET revoked_at = $3, service_share_ciphertext = '\\x'::bytea "
          "WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL",
          {tenant_id, key_id, now}));
      hook("revoke_certificate:after_key");
      return pg::run(c,
          "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
          {tenant_id, holder_id, now});
    });
  }

  // --- CA material ---

  Status put_ca(const CaRecord& ca) override {
    if (ca.ca_id.empty()) return invalid("CA id is empty");
    if (!valid_ca_role(ca.role)) return invalid("unknown CA role");
    if (ca.certificate_der.empty()) return invalid("CA certificate is empty");
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "INSERT INTO certificate_authorities (ca_id, role, certificate_der, sealed_private_key, created_at, active) "
          "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ca_id) DO NOTHING",
          {ca.ca_id, ca.role, ca.certificate_der, ca.sealed_private_key, ca.created_at, ca.active ? 1 : 0}));
      return n == 1 ? Status::Ok() : conflict("CA id is already in use");
    });
  }

  Result<std::vector<CaRecord>> list_cas() override {
    return read_single<std::vector<CaRecord>>([&](Connection& c) -> Result<std::vector<CaRecord>> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          "SELECT " + std::string(kCaCols) + " FROM certificate_authorities ORDER BY created_at, ca_id"));
      return all_rows<CaRecord>(r, [](const Row& row) -> Result<CaRecord> { return read_ca(row); });
    });
  }

  Status set_ca_active(std::string_view ca_id, bool active) override {
    return update_one("UPDATE certificate_authorities SET active = $2 WHERE ca_id = $1", ca_id, active ? 1 : 0, "CA");
  }

  Result<int64_t> next_crl_number(std::string_view issuer_id) override {
    if (issuer_id.empty()) return invalid("issuer id is empty");
    return write_single_value<int64_t>([&](Connection& c) -> Result<int64_t> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          "INSERT INTO crl_numbers (issuer_id, last_number) VALUES ($1, 1) "
          "ON CONFLICT (issuer_id) DO UPDATE SET last_number = crl_numbers.last_number + 1 RETURNING last_number",
          {issuer_id}));
      if (r.empty()) return corrupt("CRL number upsert returned nothing");
      return r.get_int(0, 0);
    });
  }

  // --- nonces ---

  Status insert_nonce(std::string_view tenant_id, std::string_view app_id, std::string_view nonce,
                      UnixSeconds seen_at) override {
    if (nonce.empty()) return invalid("nonce is empty");
    return write_single([&](Connection& c) { return insert_nonce_row(c, tenant_id, app_id, nonce, seen_at); });
  }

  Result<size_t> prune_nonces(UnixSeconds before) override {
    return write_single_value<size_t>([&](Connection& c) -> Result<size_t> {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, "DELETE FROM request_nonces WHERE seen_at < $1", {before}));
      return static_cast<size_t>(n);
    });
  }

  // --- callbacks ---

  Status enqueue_callback(const CallbackJob& job) override {
    if (job.tenant_id.empty() || job.order_id.empty()) return invalid("callback ids are empty");
    return write_single([&](Connection& c) {
      return insert_callback(c, job, job.tenant_id, job.order_id, job.created_at);
    });
  }

  Result<CallbackJob> get_callback(std::string_view tenant_id, std::string_view job_id) override {
    return read_single<CallbackJob>([&](Connection& c) { return load_callback(c, tenant_id, job_id); });
  }

  Result<std::vector<CallbackJob>> claim_due_callbacks(std::string_view worker, UnixSeconds now,
                                                       int lease_seconds, size_t limit) override {
    if (worker.empty() || lease_seconds < 1) return invalid("worker and a positive lease are required");
    return write_single_value<std::vector<CallbackJob>>([&](Connection& c) -> Result<std::vector<CallbackJob>> {
      // One statement: jobs locked by a concurrent claimer are skipped, and
      // the lease condition is re-checked on each row it updates.
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          "UPDATE callback_jobs SET lease_owner = $2, lease_until = $3, attempts = attempts + 1 "
          "WHERE (tenant_id, job_id) IN (SELECT tenant_id, job_id FROM callback_jobs WHERE delivered_at IS NULL "
          "AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at "
          "LIMIT $4 FOR UPDATE SKIP LOCKED) AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until <= $1) "
          "RETURNING " + std::string(kCallbackCols),
          {now, worker, now + lease_seconds, clamp_limit(limit)}));
      DUET_ASSIGN_OR_RETURN(std::vector<CallbackJob> jobs,
                            all_rows<CallbackJob>(r, [](const Row& row) -> Result<CallbackJob> {
                              return read_callback(row);
                            }));
      std::stable_sort(jobs.begin(), jobs.end(), [](const CallbackJob& a, const CallbackJob& b) {
        return a.next_attempt_at < b.next_attempt_at;
      });
      return jobs;
    });
  }

  Status mark_callback_delivered(std::string_view tenant_id, std::string_view job_id, UnixSeconds now) override {
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE callback_jobs SET delivered_at = $3, lease_owner = NULL, lease_until = NULL "
          "WHERE tenant_id = $1 AND job_id = $2 AND delivered_at IS NULL",
          {tenant_id, job_id, now}));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
    });
  }

  Status mark_callback_failed(std::string_view tenant_id, std::string_view job_id, std::string_view worker,
                              std::string_view error, UnixSeconds next_attempt_at) override {
    constexpr size_t kMaxError = 512;
    std::string_view err = error.substr(0, std::min(error.size(), kMaxError));
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE callback_jobs SET last_error = $4, next_attempt_at = $5, lease_owner = NULL, lease_until = NULL "
          "WHERE tenant_id = $1 AND job_id = $2 AND delivered_at IS NULL AND lease_owner = $3",
          {tenant_id, job_id, worker, err, next_attempt_at}));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
    });
  }

  // --- admin tokens ---

  Status create_admin_token(const AdminToken& t) override {
    if (t.token_hash.empty()) return invalid("admin token hash is empty");
    return write_single([&](Connection& c) {
      return pg::run(c,
                     "INSERT INTO admin_tokens (token_hash, name, role, created_at, revoked_at) "
                     "VALUES ($1, $2, $3, $4, $5)",
                     {t.token_hash, t.name, t.role, t.created_at, t.revoked_at});
    });
  }

  Result<AdminToken> find_admin_token(ByteView token_hash) override {
    return read_single<AdminToken>([&](Connection& c) -> Result<AdminToken> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(
          select_from(kAdminCols, "admin_tokens", "token_hash = $1 AND revoked_at IS NULL"), {token_hash}));
      return first_row<AdminToken>(r, [](const Row& row) -> Result<AdminToken> { return read_admin(row); },
                                   "admin token");
    });
  }

  // --- packages and metering (store/pg_metering.cc) ---

  Status add_package(const Package& p) override {
    DUET_TRY_STATUS(sqlite::validate_package(p));
    return write([&](Connection& c) { return pg::add_package(c, p); });
  }
  Result<std::vector<Package>> list_packages(std::string_view tenant_id) override {
    return read_single<std::vector<Package>>([&](Connection& c) { return pg::list_packages(c, tenant_id); });
  }
  Result<Package> get_package(std::string_view tenant_id, std::string_view package_id) override {
    return read_single<Package>([&](Connection& c) { return pg::get_package(c, tenant_id, package_id); });
  }
  Status check_quota(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now) override {
    return run<Status>(Transaction::Kind::kRead,
                       [&](Connection& c) { return pg::check_quota(c, tenant_id, kind, units, now); });
  }
  Result<std::vector<UsageRecord>> list_usage_records(std::string_view tenant_id, UnixSeconds from, UnixSeconds to,
                                                      size_t limit) override {
    return read_single<std::vector<UsageRecord>>(
        [&](Connection& c) { return pg::list_usage_records(c, tenant_id, from, to, limit); });
  }
  Result<int64_t> count_usage(std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                              UnixSeconds to) override {
    return read_single<int64_t>([&](Connection& c) { return pg::count_usage(c, tenant_id, kind, from, to); });
  }
  Result<size_t> prune_usage_records(UnixSeconds before, UnixSeconds now) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite,
                               [&](Connection& c) { return pg::prune_usage_records(c, before, now); });
  }
  Result<std::vector<Notice>> list_notices(std::string_view tenant_id, size_t limit) override {
    return read_single<std::vector<Notice>>([&](Connection& c) { return pg::list_notices(c, tenant_id, limit); });
  }
  Result<std::vector<Notice>> sweep_package_notices(UnixSeconds now, size_t limit,
                                                    const NoticeCallbackFactory& make_callback) override {
    return run<Result<std::vector<Notice>>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return pg::sweep_package_notices(c, now, limit, make_callback);
    });
  }
  Status set_tenant_notify_target(const TenantNotifyTarget& t) override {
    return write([&](Connection& c) { return pg::set_tenant_notify_target(c, t); });
  }
  Result<TenantNotifyTarget> get_tenant_notify_target(std::string_view tenant_id) override {
    return read_single<TenantNotifyTarget>(
        [&](Connection& c) { return pg::get_tenant_notify_target(c, tenant_id); });
  }
  Result<Notice> set_tenant_signature_v1_cutoff(std::string_view tenant_id, UnixSeconds cutoff,
                                                UnixSeconds now) override {
    return run<Result<Notice>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return pg::set_tenant_signature_v1_cutoff(c, tenant_id, cutoff, now);
    });
  }

  // --- retention and leases (store/pg_retention.cc) ---

  Result<size_t> purge_order_payloads(UnixSeconds final_before, UnixSeconds now, std::string_view actor,
                                      size_t limit) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return pg::purge_order_payloads(c, final_before, now, actor, limit);
    });
  }
  Result<std::optional<UnixSeconds>> order_payload_purged_at(std::string_view tenant_id,
                                                             std::string_view order_id) override {
    return read_single<std::optional<UnixSeconds>>(
        [&](Connection& c) { return pg::order_payload_purged_at(c, tenant_id, order_id); });
  }
  Result<size_t> purge_identity_attributes(UnixSeconds issued_before, UnixSeconds now, std::string_view actor,
                                           size_t limit) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return pg::purge_identity_attributes(c, issued_before, now, actor, limit);
    });
  }
  Result<size_t> wipe_retired_key_shares(UnixSeconds expired_before, UnixSeconds now, std::string_view actor,
                                         size_t limit) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return pg::wipe_retired_key_shares(c, expired_before, now, actor, limit);
    });
  }
  Result<RetentionSettings> get_retention_settings() override {
    return read_single<RetentionSettings>([&](Connection& c) { return pg::get_retention_settings(c); });
  }
  Status put_retention_settings(const RetentionSettings& settings) override {
    DUET_TRY_STATUS(sqlite::validate_retention_settings(settings));
    return write([&](Connection& c) { return pg::put_retention_settings(c, settings); });
  }
  Result<bool> try_acquire_lease(std::string_view name, std::string_view owner, UnixSeconds now,
                                 int64_t ttl_seconds) override {
    if (name.empty() || owner.empty()) return make_error(ErrorCode::kInvalidArgument, "lease name and owner are required");
    if (ttl_seconds < 1) return make_error(ErrorCode::kInvalidArgument, "lease ttl must be >= 1 s");
    return write_single_value<bool>([&](Connection& c) {
      return pg::try_acquire_lease(c, name, owner, now, ttl_seconds);
    });
  }

  // --- sla (store/pg_sla.cc) ---

  Status add_availability(const std::vector<AvailabilityMinute>& deltas) override {
    DUET_TRY_STATUS(sqlite::validate_availability(deltas));
    return write([&](Connection& c) { return pg::add_availability(c, deltas); });
  }
  Result<std::vector<AvailabilityMinute>> list_availability(std::string_view tenant_id, UnixSeconds from,
                                                            UnixSeconds to) override {
    return read_single<std::vector<AvailabilityMinute>>(
        [&](Connection& c) { return pg::list_availability(c, tenant_id, from, to); });
  }
  Result<std::optional<UnixSeconds>> first_availability_minute() override {
    return read_single<std::optional<UnixSeconds>>([&](Connection& c) { return pg::first_availability_minute(c); });
  }
  Status create_maintenance_window(const MaintenanceWindow& w) override {
    return write([&](Connection& c) { return pg::create_maintenance_window(c, w); });
  }
  Result<MaintenanceWindow> get_maintenance_window(std::string_view window_id) override {
    return read_single<MaintenanceWindow>([&](Connection& c) { return pg::get_maintenance_window(c, window_id); });
  }
  Result<std::vector<MaintenanceWindow>> list_maintenance_windows(UnixSeconds from, UnixSeconds to) override {
    return read_single<std::vector<MaintenanceWindow>>(
        [&](Connection& c) { return pg::list_maintenance_windows(c, from, to); });
  }
  Status delete_maintenance_window(std::string_view window_id, UnixSeconds now) override {
    return write([&](Connection& c) { return pg::delete_maintenance_window(c, window_id, now); });
  }
  Result<SlaCredit> propose_sla_credit(const SlaCredit& credit) override {
    DUET_TRY_STATUS(sqlite::validate_sla_credit(credit));
    return run<Result<SlaCredit>>(Transaction::Kind::kWrite,
                                  [&](Connection& c) { return pg::propose_sla_credit(c, credit); });
  }
  Status withdraw_sla_credit(std::string_view tenant_id, std::string_view month, SlaCreditKind kind) override {
    return write([&](Connection& c) { return pg::withdraw_sla_credit(c, tenant_id, month, kind); });
  }
  Result<SlaCredit> find_sla_credit(std::string_view credit_id) override {
    return read_single<SlaCredit>([&](Connection& c) { return pg::find_sla_credit(c, credit_id); });
  }
  Result<std::vector<SlaCredit>> list_sla_credits(std::string_view tenant_id, std::string_view month) override {
    return read_single<std::vector<SlaCredit>>(
        [&](Connection& c) { return pg::list_sla_credits(c, tenant_id, month); });
  }
  Status approve_sla_credit(std::string_view credit_id, std::string_view approved_by, UnixSeconds now,
                            const Package& bonus) override {
    return write([&](Connection& c) { return pg::approve_sla_credit(c, credit_id, approved_by, now, bonus); });
  }
  Result<int64_t> hit_rate_window(std::string_view tenant_id, std::string_view key, UnixSeconds window_start) override {
    return write_single_value<int64_t>(
        [&](Connection& c) { return pg::hit_rate_window(c, tenant_id, key, window_start); });
  }
  Result<size_t> prune_rate_windows(UnixSeconds before) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite,
                               [&](Connection& c) { return pg::prune_rate_windows(c, before); });
  }
  Status set_tenant_rate_limit(std::string_view tenant_id, int64_t requests_per_second, UnixSeconds now) override {
    return write([&](Connection& c) { return pg::set_tenant_rate_limit(c, tenant_id, requests_per_second, now); });
  }
  Result<std::vector<TenantRateLimit>> list_tenant_rate_limits() override {
    return read_single<std::vector<TenantRateLimit>>([&](Connection& c) { return pg::list_tenant_rate_limits(c); });
  }

  // --- audit (pg_audit.cc; the store's own audit calls are not bound) ---

  Result<AuditEvent> append_audit_event(const AuditEvent& event) override {
    store::ScopedAuditSuspend unbound;
    AuditEvent e = event;
    // Unbound, so run() appends nothing after it: the event's insert is the
    // transaction's last statement and carries the COMMIT.
    DUET_TRY_STATUS(write([&](Connection& c) { return pg::append_audit_event(c, e, /*then_commit=*/true); }));
    return e;
  }
  Status append_audit_events(std::vector<AuditEvent>& events) override {
    store::ScopedAuditSuspend unbound;
    return write([&](Connection& c) -> Status {
      for (size_t i = 0; i < events.size(); ++i)
        DUET_TRY_STATUS(pg::append_audit_event(c, events[i], /*then_commit=*/i + 1 == events.size()));
      return Status::Ok();
    });
  }
  Result<AuditCheckpoint> get_audit_head() override {
    return read_single<AuditCheckpoint>([&](Connection& c) { return pg::read_audit_head(c); });
  }
  Result<std::vector<AuditEvent>> list_audit_events(int64_t after_seq, size_t limit) override {
    return read_single<std::vector<AuditEvent>>(
        [&](Connection& c) { return pg::list_audit_events(c, after_seq, limit); });
  }
  Result<std::vector<AuditEvent>> list_tenant_audit_events(std::string_view tenant_id, UnixSeconds from,
                                                           UnixSeconds to, int64_t after_seq, size_t limit) override {
    return read_single<std::vector<AuditEvent>>(
        [&](Connection& c) { return pg::list_tenant_audit_events(c, tenant_id, from, to, after_seq, limit); });
  }
  Status add_audit_checkpoint(const AuditCheckpoint& cp) override {
    store::ScopedAuditSuspend unbound;
    return write([&](Connection& c) { return pg::add_audit_checkpoint(c, cp); });
  }
  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(int64_t from_seq, int64_t to_seq) override {
    return read_single<std::vector<AuditCheckpoint>>(
        [&](Connection& c) { return pg::list_audit_checkpoints(c, from_seq, to_seq); });
  }
  Status put_audit_key(const AuditKey& key) override {
    store::ScopedAuditSuspend unbound;
    return write([&](Connection& c) { return pg::put_audit_key(c, key); });
  }
  Result<std::vector<AuditKey>> list_audit_keys() override {
    return read_single<std::vector<AuditKey>>([&](Connection& c) { return pg::list_audit_keys(c); });
  }
  Result<std::vector<AdminToken>> list_admin_tokens() override {
    return read_single<std::vector<AdminToken>>([&](Connection& c) { return pg::list_admin_tokens(c); });
  }
  Result<size_t> revoke_admin_tokens(std::string_view name, UnixSeconds now) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite,
                               [&](Connection& c) { return pg::revoke_admin_tokens(c, name, now); });
  }

 private:
  static constexpr std::string_view kCodeExists =
      "SELECT 1 FROM activation_codes WHERE tenant_id = $1 AND code_id = $2";
  static constexpr int kMaxAttempts = 5;

  static void backoff(int attempt) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::uniform_int_distribution<int> jitter(1, 5 << attempt);
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
  }

  // Runs `fn` in one transaction on a pooled connection; commits only if it
  // succeeded. A transaction that failed with a serialization failure or
  // deadlock, or whose BEGIN (sent with its first statement, pg_db.h) found
  // the pooled connection lost, runs again from the start (up to
  // kMaxAttempts). Nothing escapes as an exception.
  template <typename R, typename F>
  R run(Transaction::Kind kind, F&& fn) {
    try {
      for (int attempt = 1;; ++attempt) {
        auto lease = pool_.acquire();
        if (!lease.ok()) return Unexpected{lease.error()};
        Connection& conn = **lease;
        bool begun = false;
        PendingAuditEvent* pending = kind == Transaction::Kind::kWrite ? ScopedAuditEvent::current() : nullptr;
        // The request's nonce commits with its first write (nonce_scope.h).
        PendingNonce* nonce = kind == Transaction::Kind::kWrite ? ScopedRequestNonce::unrecorded() : nullptr;
        AuditEvent audited;
        R result = [&]() -> R {
          auto tx = Transaction::begin(conn, kind);
          if (!tx.ok()) return Unexpected{tx.error()};
          begun = true;
          if (nonce) {
            Status inserted = insert_nonce_row(conn, nonce->tenant_id, nonce->app_id, nonce->nonce, nonce->seen_at);
            if (!inserted.ok() && store_error_kind(inserted.error()) == StoreError::kDuplicate)
              return make_error(ErrorCode::kUnauthenticated, "nonce already used");
            if (!inserted.ok()) return Unexpected{inserted.error()};
          }
          R r = fn(conn);
          if (!r.ok()) return r;  // tx rolls back on destruction
          // Fail-closed audit (store.h, "audit"): a write made for a bound
          // action carries its event in the same transaction, or does not
          // commit.
          if (pending) {
            audited = committed_event(*pending);
            hook("audit:before_append");
            // Whatever the cause, the caller sees "unavailable": the change
            // was not made because its audit record could not be written
            // (a deadlock on the head row is still run again, see below).
            // The event's insert carries the COMMIT (one round trip less);
            // tx->commit() below reports the COMMIT's outcome.
            if (!pg::append_audit_event(conn, audited, /*then_commit=*/true).ok())
              return store_error(StoreError::kUnavailable, "audit log unavailable: the change was not made");
          }
          Status committed = tx->commit();
          if (!committed.ok()) return Unexpected{committed.error()};
          return r;
        }();
        if (result.ok() && nonce) nonce->recorded = true;
        if (result.ok() && pending) {
          ++pending->appended;
          pending->last_seq = audited.seq;
        }
        if (result.ok() || attempt >= kMaxAttempts) return result;
        // BEGIN travels with the first statement: a connection lost before
        // it was answered committed nothing.
        const bool retry = conn.retryable_failure() || conn.ended_by_server() ||
                           ((!begun || conn.begin_unanswered()) && conn.broken());
        if (!retry) return result;
        backoff(attempt);
      }
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "store: unexpected exception");
    }
  }

  template <typename F>
  Status write(F&& fn) {
    return run<Status>(Transaction::Kind::kWrite, std::forward<F>(fn));
  }

  // One request_nonces row; kDuplicate if it was seen before.
  static Status insert_nonce_row(Connection& c, std::string_view tenant_id, std::string_view app_id,
                                 std::string_view nonce, UnixSeconds seen_at) {
    return pg::run(c, "INSERT INTO request_nonces (tenant_id, app_id, nonce, seen_at) VALUES ($1, $2, $3, $4)",
                   {tenant_id, app_id, nonce, seen_at});
  }

  // A call that is ONE statement (plus, on its failure path, read-only
  // statements that only pick the error kind): runs in autocommit, which
  // makes the statement its own transaction, without BEGIN/COMMIT round
  // trips. Run again on 40001/40P01 and when the server ended the session
  // (57P01...: the statement was rolled back); a read also when the
  // connection was simply lost. A write whose connection broke without an
  // answer is not run again: it may have committed (kUnavailable).
  template <typename R, typename F>
  R single(F&& fn, bool idempotent) {
    try {
      for (int attempt = 1;; ++attempt) {
        auto lease = pool_.acquire();
        if (!lease.ok()) return Unexpected{lease.error()};
        Connection& conn = **lease;
        conn.clear_failure();
        R result = fn(conn);
        if (result.ok() || attempt >= kMaxAttempts) return result;
        const bool retry = conn.retryable_failure() || conn.ended_by_server() || (idempotent && conn.broken());
        if (!retry) return result;
        backoff(attempt);
      }
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "store: unexpected exception");
    }
  }

  // A write of one statement; while an audit event or an unrecorded request
  // nonce is bound it needs a transaction to carry them, so it runs in one.
  template <typename F>
  Status write_single(F&& fn) {
    if (ScopedAuditEvent::current() || ScopedRequestNonce::unrecorded()) return write(std::forward<F>(fn));
    return single<Status>(std::forward<F>(fn), /*idempotent=*/false);
  }

  template <typename T, typename F>
  Result<T> write_single_value(F&& fn) {
    if (ScopedAuditEvent::current() || ScopedRequestNonce::unrecorded())
      return run<Result<T>>(Transaction::Kind::kWrite, std::forward<F>(fn));
    return single<Result<T>>(std::forward<F>(fn), /*idempotent=*/false);
  }

  // A read that is ONE statement: its own snapshot, no transaction.
  template <typename T, typename F>
  Result<T> read_single(F&& fn) {
    return single<Result<T>>(std::forward<F>(fn), /*idempotent=*/true);
  }

  Result<int> spend(std::string_view sql, std::string_view tenant_id, std::string_view code_id) {
    return write_single_value<int>([&](Connection& c) -> Result<int> {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query(sql, {tenant_id, code_id}));
      if (r.empty()) {
        Status s = not_found_or_conflict(c, kCodeExists, tenant_id, code_id, "activation code");
        return Unexpected{s.error()};
      }
      return static_cast<int>(r.get_int(0, 0));
    });
  }

  // UPDATE with ($1 = id, $2 = value) that must change exactly one row.
  Status update_one(std::string_view sql, std::string_view id, int64_t value, std::string_view what) {
    return write_single([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, sql, {id, value}));
      return n == 1 ? Status::Ok() : not_found(what);
    });
  }

  Status close_order(std::string_view tenant_id, std::string_view order_id, std::string_view to_state,
                     std::string_view from_states, const std::optional<CallbackJob>& callback, UnixSeconds now) {
    return write([&](Connection& c) -> Status {
      std::string sql = "UPDATE sign_orders SET state = $3, updated_at = $4 WHERE tenant_id = $1 AND order_id = $2 "
                        "AND expires_at > $4 AND state IN ";
      sql += from_states;
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, sql, {tenant_id, order_id, to_state, now}));
      if (n != 1)
        return not_found_or_conflict(c, "SELECT 1 FROM sign_orders WHERE tenant_id = $1 AND order_id = $2",
                                     tenant_id, order_id, "order");
      DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
      if (callback) DUET_TRY_STATUS(insert_callback(c, *callback, tenant_id, order_id, now));
      return Status::Ok();
    });
  }

  // The shared part of finish_order / finish_csr_order inside the caller's
  // transaction (see the SQLite backend). Row locks: the order (conditional
  // update), then its sessions. The holder's counters are not touched: the
  // valid PIN proof reset them at step 1 (accept_sign_attempt), and a lock
  // that came since stays.
  // `metered` (optional) receives what meter_finished_order reads (the
  // order's kind and holder, its app's environment, "" if the app is
  // missing), read here in the same statement.
  struct MeterInput {
    std::string kind, holder_id, app_environment;
  };
  Status finish_in_tx(Connection& c, std::string_view tenant_id, std::string_view order_id,
                      std::string_view session_id, const std::vector<Bytes>& signatures, OrderKind kind,
                      const Certificate* cert, UnixSeconds now, MeterInput* metered = nullptr) {
    const std::string op = kind == OrderKind::kCsr ? "finish_csr_order" : "finish_order";
    // Session, order, item count and the order's app environment in one statement.
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "SELECT s.order_id, s.holder_id, o.kind, o.key_id, o.holder_id, "
        "(SELECT COUNT(*) FROM sign_order_items i WHERE i.tenant_id = o.tenant_id AND i.order_id = o.order_id), "
        "(SELECT a.environment FROM apps a WHERE a.tenant_id = o.tenant_id AND a.app_id = o.app_id) "
        "FROM sign_sessions s LEFT JOIN sign_orders o ON o.tenant_id = s.tenant_id AND o.order_id = $2 "
        "WHERE s.tenant_id = $1 AND s.session_id = $3",
        {tenant_id, order_id, session_id}));
    if (r.empty() || r.text(0, 0) != order_id) return not_found("sign session");
    if (r.is_null(0, 2)) return not_found("order");
    DUET_ASSIGN_OR_RETURN(OrderKind order_kind, parse_order_kind(r.text(0, 2)));
    if (order_kind != kind)
      return invalid(kind == OrderKind::kCsr ? "the order is not a certificate request"
                                             : "a certificate request order is finished with its certificate");
    if (cert && (cert->holder_id != r.text(0, 4) || cert->key_id != r.text(0, 3)))
      return invalid("the certificate must name the order's holder and key");
    if (static_cast<size_t>(r.get_int(0, 5)) != signatures.size())
      return invalid("one signature per order item is required");
    if (metered) *metered = MeterInput{r.text(0, 2), r.text(0, 4), r.text(0, 6)};

    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE sign_orders SET state = 'signed', updated_at = $3 WHERE tenant_id = $1 AND order_id = $2 "
        "AND state IN ('pending', 'signing') AND expires_at > $3",
        {tenant_id, order_id, now}));
    if (n != 1) return conflict("order is no longer open for signing");
    hook(op + ":after_order_update");

    // This session finishes and the order's other open sessions fail, in one
    // statement (one round trip). Every writer of an order's sessions holds
    // the order's row lock first (taken above), so locking them together
    // cannot deadlock; if this session is not open, the transaction rolls
    // back and nothing of it stays.
    DUET_ASSIGN_OR_RETURN(Rows closed, c.query(
        "UPDATE sign_sessions SET state = CASE WHEN session_id = $2 THEN 'finished' ELSE 'failed' END, "
        "updated_at = $4 WHERE tenant_id = $1 AND order_id = $3 AND state = 'open' "
        "RETURNING session_id = $2",
        {tenant_id, session_id, order_id, now}));
    bool finished = false;
    for (int i = 0; i < closed.size(); ++i) finished = finished || closed.get_int(i, 0) != 0;
    if (!finished) return conflict("sign session is not open");

    for (size_t i = 0; i < signatures.size(); ++i) {
      DUET_ASSIGN_OR_RETURN(n, changes(c,
          "UPDATE sign_order_items SET signature = $4 WHERE tenant_id = $1 AND order_id = $2 AND item_index = $3",
          {tenant_id, order_id, static_cast<int64_t>(i), signatures[i]}));
      if (n != 1) return corrupt("order item missing");
    }
    return Status::Ok();
  }

  void hook(std::string_view point) {
    if (options_.test_hook) options_.test_hook(point);
  }

  PostgresStoreOptions options_;
  ConnectionPool pool_;
};

// Creates the options' schema if it is set and absent (concurrent creators:
// "already exists" is success).
Status ensure_schema(const PostgresStoreOptions& options) {
  if (options.schema.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(auto conn, Connection::open(options.dsn, ""));
  Status s = conn->exec("CREATE SCHEMA IF NOT EXISTS " + options.schema, "create schema");
  if (!s.ok() && s.error().message.find("SQLSTATE 23505") == std::string::npos &&
      s.error().message.find("SQLSTATE 42P06") == std::string::npos)
    return s;
  return Status::Ok();
}

}  // namespace

int postgres_store_latest_schema_version() { return pg::latest_schema_version(); }

Result<std::unique_ptr<Store>> open_postgres_store(PostgresStoreOptions options) {
  if (options.dsn.empty()) return make_error(ErrorCode::kInvalidArgument, "postgres dsn is empty");
  if (!options.schema.empty() && !valid_schema_name(options.schema))
    return make_error(ErrorCode::kInvalidArgument, "postgres schema name must be lowercase letters, digits and _");
  if (options.max_connections < 1) return make_error(ErrorCode::kInvalidArgument, "max_connections must be >= 1");
  DUET_TRY_STATUS(ensure_schema(options));
  auto store = std::make_unique<PgStore>(std::move(options));
  DUET_TRY_STATUS(store->open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace duet::store
