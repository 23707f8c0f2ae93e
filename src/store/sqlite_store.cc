#include "store/sqlite_store.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <utility>

#include "store/audit_scope.h"
#include "store/nonce_scope.h"
#include "store/ids.h"
#include "store/sqlite_audit.h"
#include "store/sqlite_db.h"
#include "store/sqlite_metering.h"
#include "store/record_text.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_sla.h"
#include "store/sqlite_retention.h"

namespace duet::store {
namespace {

using sqlite::Connection;
using sqlite::ConnectionPool;
using sqlite::Statement;
using sqlite::Transaction;

// --- enum <-> text ------------------------------------------------------------

Unexpected corrupt(std::string_view what) { return store_error(StoreError::kCorrupt, what); }

using namespace record_text;  // enum <-> text and cursors (store/record_text.h)

Status invalid(std::string_view what) { return make_error(ErrorCode::kInvalidArgument, std::string(what)); }

Status not_found(std::string_view what) { return store_error(StoreError::kNotFound, std::string(what) + " not found"); }

Status conflict(std::string_view what) { return store_error(StoreError::kConflict, what); }

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

// Runs a statement that changes rows; returns the number changed.
Result<int> run_changes(Connection& c, Statement& st) {
  DUET_TRY_STATUS(st.run());
  return c.changes();
}

// Does a row exist? `sql` selects with the given two text parameters.
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

// After a conditional update changed nothing: kNotFound if the row is not
// there (for this tenant), else kConflict.
Status not_found_or_conflict(Connection& c, std::string_view exists_sql, std::string_view tenant,
                             std::string_view id, std::string_view what) {
  DUET_ASSIGN_OR_RETURN(bool found, exists(c, exists_sql, tenant, id));
  if (!found) return not_found(what);
  return conflict(std::string(what) + " is not in a state that allows this");
}

constexpr std::string_view kOrderExists = "SELECT 1 FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2";
constexpr std::string_view kCallbackExists = "SELECT 1 FROM callback_jobs WHERE tenant_id = ?1 AND job_id = ?2";

// --- row readers ----------------------------------------------------------------

constexpr std::string_view kTenantCols =
    "tenant_id, name, production_active_from, suspended, created_at, signature_v1_cutoff";
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

constexpr std::string_view kAppCols =
    "tenant_id, app_id, secret_ciphertext, environment, created_at, identity_mode, sms_otp_required, cms_oid_style, "
    "pin_failure_budget";
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

constexpr std::string_view kHolderCols =
    "tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, lookup_hash, "
    "status, failed_attempts, created_at, identity_verification, identity_verified_by, identity_verified_at, "
    "identity_reference, refresh_required";
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

constexpr std::string_view kKeyCols =
    "tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, created_at, revoked_at";
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

constexpr std::string_view kCodeCols =
    "tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, used_at, created_at, otp_hash, "
    "otp_attempts_left";
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

constexpr std::string_view kTokenCols = "tenant_id, token_hash, holder_id, created_at, revoked_at";
DeviceToken read_token(const Statement& st) {
  DeviceToken t;
  t.tenant_id = st.column_text(0);
  t.token_hash = st.column_blob(1);
  t.holder_id = st.column_text(2);
  t.created_at = st.column_int(3);
  t.revoked_at = st.column_optional_int(4);
  return t;
}

constexpr std::string_view kSessionCols =
    "tenant_id, session_id, order_id, holder_id, r_values, state, created_at, updated_at";
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

constexpr std::string_view kRefreshCols =
    "tenant_id, refresh_id, key_id, holder_id, sealed_rho, pending_share_ciphertext, state, created_at, "
    "confirmed_at";
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

constexpr std::string_view kCallbackCols =
    "tenant_id, job_id, order_id, url, payload, attempts, next_attempt_at, delivered_at, last_error, "
    "lease_owner, lease_until, created_at";
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

constexpr std::string_view kAdminCols = "token_hash, name, role, created_at, revoked_at";
AdminToken read_admin(const Statement& st) {
  AdminToken a;
  a.token_hash = st.column_blob(0);
  a.name = st.column_text(1);
  a.role = st.column_text(2);
  a.created_at = st.column_int(3);
  a.revoked_at = st.column_optional_int(4);
  return a;
}

constexpr std::string_view kCertCols =
    "tenant_id, cert_id, holder_id, key_id, serial_hex, issuer_id, der, not_before, not_after, revoked_at, "
    "revocation_reason, created_at";
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

constexpr std::string_view kCaCols = "ca_id, role, certificate_der, sealed_private_key, created_at, active";
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

// A certificate record the store accepts (ids, serial, DER; revoked flag
// consistent with revoked_at).
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
// (kConflict) and the key must be the holder's (kNotFound).
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

// Runs a query expected to yield at most one row and reads it.
template <typename T, typename Reader>
Result<T> query_one(Statement& st, Reader read, std::string_view what) {
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Unexpected{not_found(what).error()};
  return read(st);  // T or Result<T>
}

// Reads every remaining row of a query.
template <typename T, typename Reader>
Result<std::vector<T>> read_all(Statement& st, Reader read) {
  std::vector<T> out;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read(st));
  }
  return out;
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

// Marks the open sessions of an order failed (when the order reaches a final state).
Status fail_open_sessions(Connection& c, std::string_view tenant, std::string_view order_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Statement st,
                        Statement::prepare(c,
                                           "UPDATE sign_sessions SET state = 'failed', updated_at = ?3 "
                                           "WHERE tenant_id = ?1 AND order_id = ?2 AND state = 'open'"));
  st.bind(1, tenant).bind(2, order_id).bind(3, now);
  return st.run();
}

// --- the store ------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteStoreOptions options)
      : options_(std::move(options)),
        pool_(options_.path, static_cast<int>(options_.busy_timeout.count()), options_.max_connections,
              options_.checkpoint_pages) {}

  Status migrate() {
    return run<Status>(Transaction::Kind::kWrite, [&](Connection& c) -> Status {
      DUET_TRY_STATUS(c.exec(
          "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, "
          "applied_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)))",
          "create schema_version"));
      DUET_ASSIGN_OR_RETURN(int current, read_version(c));
      if (current > sqlite_store_latest_schema_version())
        return corrupt("database schema is newer than this binary");
      for (const sqlite::Migration& m : sqlite::migrations()) {
        if (m.version <= current) continue;
        DUET_TRY_STATUS(c.exec(m.sql, "apply migration"));
        DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "INSERT INTO schema_version (version) VALUES (?1)"));
        st.bind(1, m.version);
        DUET_TRY_STATUS(st.run());
      }
      return Status::Ok();
    });
  }

  Result<int> schema_version() override {
    return run<Result<int>>(Transaction::Kind::kRead, [&](Connection& c) { return read_version(c); });
  }

  // --- tenants ---

  Status create_tenant(const Tenant& t) override {
    if (t.tenant_id.empty()) return invalid("tenant id is empty");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO tenants (tenant_id, name, production_active_from, suspended, created_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5)"));
      st.bind(1, t.tenant_id).bind(2, t.name).bind(3, t.production_active_from).bind(4, t.suspended ? 1 : 0)
          .bind(5, t.created_at);
      return st.run();
    });
  }

  Result<Tenant> get_tenant(std::string_view tenant_id) override {
    return read_single<Tenant>([&](Connection& c) -> Result<Tenant> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, select_from(kTenantCols, "tenants", "tenant_id = ?1")));
      st.bind(1, tenant_id);
      return query_one<Tenant>(st, read_tenant, "tenant");
    });
  }

  Status set_tenant_suspended(std::string_view tenant_id, bool suspended) override {
    return update_one("UPDATE tenants SET suspended = ?2 WHERE tenant_id = ?1", tenant_id, suspended ? 1 : 0,
                      "tenant");
  }

  Status set_tenant_production_active_from(std::string_view tenant_id, UnixSeconds from) override {
    return update_one("UPDATE tenants SET production_active_from = ?2 WHERE tenant_id = ?1", tenant_id, from,
                      "tenant");
  }

  Result<std::vector<Tenant>> list_tenants() override {
    return read_single<std::vector<Tenant>>([&](Connection& c) -> Result<std::vector<Tenant>> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "SELECT " + std::string(kTenantCols) + " FROM tenants ORDER BY tenant_id"));
      std::vector<Tenant> out;
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        out.push_back(read_tenant(st));
      }
      return out;
    });
  }

  // --- apps ---

  Status create_app(const App& a) override {
    if (a.tenant_id.empty() || a.app_id.empty()) return invalid("app ids are empty");
    if (!valid_identity_mode(a.identity_mode)) return invalid("unknown identity mode");
    if (!valid_cms_oid_style(a.cms_oid_style)) return invalid("unknown CMS OID style");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO apps (tenant_id, app_id, secret_ciphertext, environment, created_at, identity_mode, "
          "sms_otp_required, cms_oid_style) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
      st.bind(1, a.tenant_id).bind(2, a.app_id).bind(3, a.secret_ciphertext).bind(4, env_text(a.environment))
          .bind(5, a.created_at).bind(6, a.identity_mode).bind(7, a.sms_otp_required ? 1 : 0)
          .bind(8, a.cms_oid_style);
      return st.run();
    });
  }

  Result<App> get_app(std::string_view tenant_id, std::string_view app_id) override {
    return read_single<App>([&](Connection& c) -> Result<App> {
      DUET_ASSIGN_OR_RETURN(Statement st,
                            Statement::prepare(c, select_from(kAppCols, "apps", "tenant_id = ?1 AND app_id = ?2")));
      st.bind(1, tenant_id).bind(2, app_id);
      return query_one<App>(st, read_app, "app");
    });
  }

  Result<App> find_app(std::string_view app_id) override {
    return read_single<App>([&](Connection& c) -> Result<App> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, select_from(kAppCols, "apps", "app_id = ?1")));
      st.bind(1, app_id);
      return query_one<App>(st, read_app, "app");
    });
  }

  Result<std::vector<App>> list_apps(std::string_view tenant_id) override {
    return read_single<std::vector<App>>([&](Connection& c) -> Result<std::vector<App>> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kAppCols, "apps", "tenant_id = ?1 ORDER BY app_id")));
      st.bind(1, tenant_id);
      std::vector<App> out;
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        DUET_ASSIGN_OR_RETURN(App a, read_app(st));
        out.push_back(std::move(a));
      }
      return out;
    });
  }

  Status update_app_secret(std::string_view tenant_id, std::string_view app_id,
                           ByteView secret_ciphertext) override {
    if (secret_ciphertext.empty()) return invalid("app secret is empty");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE apps SET secret_ciphertext = ?3 WHERE tenant_id = ?1 AND app_id = ?2"));
      st.bind(1, tenant_id).bind(2, app_id).bind(3, secret_ciphertext);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      return n == 1 ? Status::Ok() : not_found("app");
    });
  }

  Status set_app_pin_failure_budget(std::string_view tenant_id, std::string_view app_id,
                                    std::optional<int> budget) override {
    if (budget && *budget < 1) return invalid("the PIN failure budget must be at least 1");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE apps SET pin_failure_budget = ?3 WHERE tenant_id = ?1 AND app_id = ?2"));
      st.bind(1, tenant_id).bind(2, app_id);
      if (budget) st.bind(3, *budget);
      else st.bind_null(3);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      return n == 1 ? Status::Ok() : not_found("app");
    });
  }

  Status update_app_settings(std::string_view tenant_id, std::string_view app_id, std::string_view identity_mode,
                             bool sms_otp_required, std::string_view cms_oid_style) override {
    if (!valid_identity_mode(identity_mode)) return invalid("unknown identity mode");
    if (!valid_cms_oid_style(cms_oid_style)) return invalid("unknown CMS OID style");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE apps SET identity_mode = ?3, sms_otp_required = ?4, cms_oid_style = ?5 "
          "WHERE tenant_id = ?1 AND app_id = ?2"));
      st.bind(1, tenant_id).bind(2, app_id).bind(3, identity_mode).bind(4, sms_otp_required ? 1 : 0)
          .bind(5, cms_oid_style);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
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
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO holders (tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, "
          "lookup_hash, status, failed_attempts, created_at, identity_verification, identity_verified_by, "
          "identity_verified_at, identity_reference) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
      st.bind(1, h.tenant_id).bind(2, h.holder_id).bind(3, h.name_ciphertext).bind(4, h.id_number_ciphertext)
          .bind(5, h.phone_ciphertext).bind(6, h.lookup_hash).bind(7, holder_status_text(h.status))
          .bind(8, h.failed_attempts).bind(9, h.created_at).bind(10, h.identity_verification)
          .bind(11, h.identity_verified_by).bind(12, h.identity_verified_at).bind(13, h.identity_reference);
      DUET_TRY_STATUS(st.run());
      return sqlite::meter_new_holder(c, h);  // per-user metering, same transaction (store.h)
    });
  }

  Result<Holder> get_holder(std::string_view tenant_id, std::string_view holder_id) override {
    return read_single<Holder>([&](Connection& c) { return load_holder(c, tenant_id, holder_id); });
  }

  Result<Holder> find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) override {
    return read_single<Holder>([&](Connection& c) -> Result<Holder> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kHolderCols, "holders", "tenant_id = ?1 AND lookup_hash = ?2")));
      st.bind(1, tenant_id).bind(2, lookup_hash);
      return query_one<Holder>(st, read_holder, "holder");
    });
  }

  Status unlock_holder(std::string_view tenant_id, std::string_view holder_id) override {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = EXISTS (SELECT 1 FROM "
          "holder_keys k WHERE k.tenant_id = ?1 AND k.holder_id = ?2 AND k.revoked_at IS NULL) "
          "WHERE tenant_id = ?1 AND holder_id = ?2"));
      st.bind(1, tenant_id).bind(2, holder_id);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n != 1) return not_found("holder");
      DUET_ASSIGN_OR_RETURN(Statement forgive, Statement::prepare(c,
          "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = ?1 AND holder_id = ?2 "
          "AND outcome IN ('pending', 'failed')"));
      forgive.bind(1, tenant_id).bind(2, holder_id);
      return forgive.run();
    });
  }

  Status lock_holder(std::string_view tenant_id, std::string_view holder_id) override {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE holders SET status = 'locked' WHERE tenant_id = ?1 AND holder_id = ?2"));
      st.bind(1, tenant_id).bind(2, holder_id);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      return n == 1 ? Status::Ok() : not_found("holder");
    });
  }

  Result<std::vector<Holder>> list_holders(std::string_view tenant_id, std::string_view after_holder_id,
                                           size_t limit) override {
    return read_single<std::vector<Holder>>([&](Connection& c) -> Result<std::vector<Holder>> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kHolderCols, "holders", "tenant_id = ?1 AND holder_id > ?2 ORDER BY holder_id LIMIT ?3")));
      st.bind(1, tenant_id).bind(2, after_holder_id).bind(3, clamp_limit(limit));
      std::vector<Holder> out;
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        DUET_ASSIGN_OR_RETURN(Holder h, read_holder(st));
        out.push_back(std::move(h));
      }
      return out;
    });
  }

  // --- holder keys ---

  Status add_holder_key(const HolderKeyShare& k) override {
    if (k.tenant_id.empty() || k.key_id.empty() || k.holder_id.empty()) return invalid("key ids are empty");
    if (k.public_key_hex.empty() || k.service_share_ciphertext.empty()) return invalid("key material is empty");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(bool has_active, exists(c,
          "SELECT 1 FROM holder_keys WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL",
          k.tenant_id, k.holder_id));
      if (has_active) return conflict("holder already has an active key");
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      st.bind(1, k.tenant_id).bind(2, k.key_id).bind(3, k.holder_id).bind(4, k.public_key_hex)
          .bind(5, k.service_share_ciphertext).bind(6, k.created_at);
      return st.run();
    });
  }

  Result<HolderKeyShare> get_active_holder_key(std::string_view tenant_id, std::string_view holder_id) override {
    return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kKeyCols, "holder_keys", "tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL")));
      st.bind(1, tenant_id).bind(2, holder_id);
      return query_one<HolderKeyShare>(st, read_key, "active holder key");
    });
  }

  Status revoke_holder_key(std::string_view tenant_id, std::string_view key_id, UnixSeconds now) override {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE holder_keys SET revoked_at = ?3, service_share_ciphertext = X'' "
          "WHERE tenant_id = ?1 AND key_id = ?2 AND revoked_at IS NULL"));
      st.bind(1, tenant_id).bind(2, key_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, "SELECT 1 FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2",
                                   tenant_id, key_id, "holder key");
    });
  }

  Result<HolderKeyShare> get_holder_key(std::string_view tenant_id, std::string_view key_id) override {
    return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kKeyCols, "holder_keys", "tenant_id = ?1 AND key_id = ?2")));
      st.bind(1, tenant_id).bind(2, key_id);
      return query_one<HolderKeyShare>(st, read_key, "holder key");
    });
  }

  // --- activation codes ---

  Status create_activation_code(const ActivationCode& a) override {
    if (a.tenant_id.empty() || a.code_id.empty() || a.holder_id.empty()) return invalid("code ids are empty");
    if (a.code_hash.empty()) return invalid("code hash is empty");
    if (a.otp_attempts_left < 0) return invalid("negative one-time-code attempts");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO activation_codes (tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, "
          "used_at, created_at, otp_hash, otp_attempts_left) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
      st.bind(1, a.tenant_id).bind(2, a.code_id).bind(3, a.holder_id).bind(4, a.code_hash).bind(5, a.expires_at)
          .bind(6, a.attempts_left).bind(7, a.used_at).bind(8, a.created_at).bind(9, a.otp_hash)
          .bind(10, a.otp_attempts_left);
      return st.run();
    });
  }

  Result<ActivationCode> find_activation_code(ByteView code_hash) override {
    return read_single<ActivationCode>([&](Connection& c) -> Result<ActivationCode> {
      DUET_ASSIGN_OR_RETURN(Statement st,
                            Statement::prepare(c, select_from(kCodeCols, "activation_codes", "code_hash = ?1")));
      st.bind(1, code_hash);
      return query_one<ActivationCode>(st, read_code, "activation code");
    });
  }

  Status use_activation_code(std::string_view tenant_id, std::string_view code_id, UnixSeconds now) override {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE activation_codes SET used_at = ?3 WHERE tenant_id = ?1 AND code_id = ?2 "
          "AND used_at IS NULL AND expires_at > ?3 AND attempts_left > 0"));
      st.bind(1, tenant_id).bind(2, code_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, "SELECT 1 FROM activation_codes WHERE tenant_id = ?1 AND code_id = ?2",
                                   tenant_id, code_id, "activation code");
    });
  }

  Result<int> spend_activation_attempt(std::string_view tenant_id, std::string_view code_id) override {
    return run<Result<int>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<int> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE activation_codes SET attempts_left = attempts_left - 1 WHERE tenant_id = ?1 AND code_id = ?2 "
          "AND used_at IS NULL AND attempts_left > 0 RETURNING attempts_left"));
      st.bind(1, tenant_id).bind(2, code_id);
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) {
        Status s = not_found_or_conflict(c, "SELECT 1 FROM activation_codes WHERE tenant_id = ?1 AND code_id = ?2",
                                         tenant_id, code_id, "activation code");
        return Unexpected{s.error()};
      }
      int left = static_cast<int>(st.column_int(0));
      DUET_TRY_STATUS(st.run());
      return left;
    });
  }

  Result<int> spend_otp_attempt(std::string_view tenant_id, std::string_view code_id) override {
    return run<Result<int>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<int> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE activation_codes SET otp_attempts_left = otp_attempts_left - 1 WHERE tenant_id = ?1 "
          "AND code_id = ?2 AND used_at IS NULL AND otp_attempts_left > 0 RETURNING otp_attempts_left"));
      st.bind(1, tenant_id).bind(2, code_id);
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) {
        Status s = not_found_or_conflict(c, "SELECT 1 FROM activation_codes WHERE tenant_id = ?1 AND code_id = ?2",
                                         tenant_id, code_id, "activation code");
        return Unexpected{s.error()};
      }
      int left = static_cast<int>(st.column_int(0));
      DUET_TRY_STATUS(st.run());
      return left;
    });
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
      DUET_ASSIGN_OR_RETURN(Statement use, Statement::prepare(c,
          "UPDATE activation_codes SET used_at = ?3 WHERE tenant_id = ?1 AND code_id = ?2 AND holder_id = ?4 "
          "AND used_at IS NULL AND expires_at > ?3 AND attempts_left > 0"));
      use.bind(1, a.tenant_id).bind(2, a.code_id).bind(3, a.now).bind(4, k.holder_id);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, use));
      if (n != 1)
        return not_found_or_conflict(c, "SELECT 1 FROM activation_codes WHERE tenant_id = ?1 AND code_id = ?2",
                                     a.tenant_id, a.code_id, "activation code");
      hook("complete_activation:after_code_used");

      DUET_ASSIGN_OR_RETURN(Statement keys, Statement::prepare(c,
          "UPDATE holder_keys SET revoked_at = ?3, service_share_ciphertext = X'' "
          "WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
      keys.bind(1, a.tenant_id).bind(2, k.holder_id).bind(3, a.now);
      DUET_TRY_STATUS(keys.run());
      DUET_ASSIGN_OR_RETURN(Statement tokens, Statement::prepare(c,
          "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
      tokens.bind(1, a.tenant_id).bind(2, k.holder_id).bind(3, a.now);
      DUET_TRY_STATUS(tokens.run());
      hook("complete_activation:after_revocations");

      DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
          "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      key.bind(1, a.tenant_id).bind(2, k.key_id).bind(3, k.holder_id).bind(4, k.public_key_hex)
          .bind(5, k.service_share_ciphertext).bind(6, k.created_at);
      DUET_TRY_STATUS(key.run());
      DUET_ASSIGN_OR_RETURN(Statement token, Statement::prepare(c,
          "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES (?1, ?2, ?3, ?4)"));
      token.bind(1, a.tenant_id).bind(2, t.token_hash).bind(3, t.holder_id).bind(4, t.created_at);
      DUET_TRY_STATUS(token.run());
      hook("complete_activation:before_holder_update");

      DUET_ASSIGN_OR_RETURN(Statement holder, Statement::prepare(c,
          "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = 0 "
          "WHERE tenant_id = ?1 AND holder_id = ?2"));
      holder.bind(1, a.tenant_id).bind(2, k.holder_id);
      DUET_ASSIGN_OR_RETURN(n, run_changes(c, holder));
      if (n != 1) return corrupt("activation code's holder missing");
      // A new key: failures against the old one (whose shares are revoked)
      // leave the failure budget, as an unlock's do.
      DUET_ASSIGN_OR_RETURN(Statement forgive, Statement::prepare(c,
          "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = ?1 AND holder_id = ?2 "
          "AND outcome IN ('pending', 'failed')"));
      forgive.bind(1, a.tenant_id).bind(2, k.holder_id);
      return forgive.run();
    });
  }

  // --- device tokens ---

  Status create_device_token(const DeviceToken& t) override {
    if (t.tenant_id.empty() || t.holder_id.empty() || t.token_hash.empty()) return invalid("device token is incomplete");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at, revoked_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5)"));
      st.bind(1, t.tenant_id).bind(2, t.token_hash).bind(3, t.holder_id).bind(4, t.created_at).bind(5, t.revoked_at);
      return st.run();
    });
  }

  Result<DeviceToken> find_device_token(ByteView token_hash) override {
    return read_single<DeviceToken>([&](Connection& c) -> Result<DeviceToken> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kTokenCols, "device_tokens", "token_hash = ?1 AND revoked_at IS NULL")));
      st.bind(1, token_hash);
      return query_one<DeviceToken>(st, read_token, "device token");
    });
  }

  Status revoke_device_token(std::string_view tenant_id, ByteView token_hash, UnixSeconds now) override {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND token_hash = ?2 AND revoked_at IS NULL"));
      st.bind(1, tenant_id).bind(2, token_hash).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      return n == 1 ? Status::Ok() : not_found("unrevoked device token");
    });
  }

  // --- orders ---

  Result<SignOrder> create_order(const SignOrder& o) override {
    if (o.tenant_id.empty() || o.order_id.empty() || o.app_id.empty() || o.holder_id.empty())
      return Unexpected{invalid("order ids are empty").error()};
    if (o.items.empty()) return Unexpected{invalid("order has no items").error()};
    for (const SignItem& item : o.items)
      if (item.input.empty()) return Unexpected{invalid("order item input is empty").error()};
    if (o.kind == OrderKind::kCsr && o.key_id.empty())
      return Unexpected{invalid("a certificate request order names its key").error()};
    if (o.kind == OrderKind::kSign && !o.key_id.empty())
      return Unexpected{invalid("a sign order names no key").error()};
    if (is_cms(o.output_format) != !o.signer_cert_id.empty() || is_cms(o.output_format) != !o.cms_oid_style.empty())
      return Unexpected{invalid("a CMS order names its signer certificate and OID style (and only a CMS order)").error()};
    if (!o.cms_oid_style.empty() && o.cms_oid_style != "pkcs7" && o.cms_oid_style != "gmt")
      return Unexpected{invalid("unknown CMS OID style").error()};
    return run<Result<SignOrder>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<SignOrder> {
      if (!o.idempotency_key.empty()) {
        DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
            "SELECT order_id FROM sign_orders WHERE tenant_id = ?1 AND app_id = ?2 AND idempotency_key = ?3"));
        st.bind(1, o.tenant_id).bind(2, o.app_id).bind(3, o.idempotency_key);
        DUET_ASSIGN_OR_RETURN(bool found, st.step());
        if (found) return load_order(c, o.tenant_id, st.column_text(0));
      }
      if (o.kind == OrderKind::kCsr) {
        DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
            "SELECT revoked_at FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2 AND holder_id = ?3"));
        key.bind(1, o.tenant_id).bind(2, o.key_id).bind(3, o.holder_id);
        DUET_ASSIGN_OR_RETURN(bool found, key.step());
        if (!found) return Unexpected{not_found("holder key").error()};
        if (!key.column_is_null(0)) return Unexpected{conflict("holder key is revoked").error()};
      }
      DUET_TRY_STATUS(sqlite::check_order_quota(c, o));  // production kSign orders need quota (store.h)
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO sign_orders (tenant_id, order_id, app_id, holder_id, title, display_text, output_format, "
          "expires_at, callback_url, idempotency_key, state, created_at, updated_at, kind, key_id, cms_output, "
          "signer_cert_id, cms_oid_style) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?11, ?12, ?13, ?14, ?15, ?16)"));
      st.bind(1, o.tenant_id).bind(2, o.order_id).bind(3, o.app_id).bind(4, o.holder_id).bind(5, o.title)
          .bind(6, o.display_text).bind(7, format_text(o.output_format)).bind(8, o.expires_at)
          .bind(9, o.callback_url).bind(11, o.created_at).bind(12, order_kind_text(o.kind)).bind(13, o.key_id)
          .bind(14, cms_output_text(o.output_format)).bind(15, o.signer_cert_id).bind(16, o.cms_oid_style);
      if (o.idempotency_key.empty()) st.bind_null(10); else st.bind(10, o.idempotency_key);
      DUET_TRY_STATUS(st.run());
      name_audit_target("order_id", o.order_id);  // (not on the idempotent path above)
      hook("create_order:after_order_insert");
      for (size_t i = 0; i < o.items.size(); ++i) {
        DUET_ASSIGN_OR_RETURN(Statement item, Statement::prepare(c,
            "INSERT INTO sign_order_items (tenant_id, order_id, item_index, input, input_is_digest) "
            "VALUES (?1, ?2, ?3, ?4, ?5)"));
        item.bind(1, o.tenant_id).bind(2, o.order_id).bind(3, static_cast<int64_t>(i)).bind(4, o.items[i].input)
            .bind(5, o.items[i].input_is_digest ? 1 : 0);
        DUET_TRY_STATUS(item.run());
      }
      return load_order(c, o.tenant_id, o.order_id);
    });
  }

  Result<SignOrder> get_order(std::string_view tenant_id, std::string_view order_id) override {
    return read<SignOrder>([&](Connection& c) { return load_order(c, tenant_id, order_id); });
  }

  Result<OrderPage> list_orders(std::string_view tenant_id, const OrderFilter& filter) override {
    if (filter.limit == 0) return Unexpected{invalid("list limit must be at least 1").error()};
    std::optional<OrderCursor> cursor;
    if (!filter.cursor.empty()) {
      cursor = parse_order_cursor(filter.cursor);
      if (!cursor) return Unexpected{invalid("malformed order cursor").error()};
    }
    return read<OrderPage>([&](Connection& c) -> Result<OrderPage> {
      std::string sql = "SELECT order_id FROM sign_orders WHERE tenant_id = ?1 AND kind = 'sign'";
      if (filter.holder_id) sql += " AND holder_id = ?2";
      if (filter.state) sql += " AND state = ?3";
      if (cursor) sql += " AND (created_at < ?4 OR (created_at = ?4 AND order_id < ?5))";
      sql += " ORDER BY created_at DESC, order_id DESC LIMIT ?6";
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
      st.bind(1, tenant_id);
      if (filter.holder_id) st.bind(2, *filter.holder_id);
      if (filter.state) st.bind(3, order_state_text(*filter.state));
      if (cursor) st.bind(4, cursor->created_at).bind(5, cursor->order_id);
      // One more than asked for tells whether another page follows.
      const int64_t want = clamp_limit(filter.limit);
      st.bind(6, want + 1);
      std::vector<std::string> ids;
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        ids.push_back(st.column_text(0));
      }
      const bool more = static_cast<int64_t>(ids.size()) > want;
      if (more) ids.resize(static_cast<size_t>(want));
      OrderPage page;
      for (const std::string& id : ids) {
        DUET_ASSIGN_OR_RETURN(SignOrder o, load_order(c, tenant_id, id));
        page.orders.push_back(std::move(o));
      }
      if (more && !page.orders.empty()) page.next_cursor = make_order_cursor(page.orders.back());
      return page;
    });
  }

  Result<std::vector<SignOrder>> list_open_orders(std::string_view tenant_id, std::string_view holder_id,
                                                  UnixSeconds now, size_t limit) override {
    return read<std::vector<SignOrder>>([&](Connection& c) -> Result<std::vector<SignOrder>> {
      std::vector<std::string> ids;
      {
        DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
            "SELECT order_id FROM sign_orders WHERE tenant_id = ?1 AND holder_id = ?2 "
            "AND state IN ('pending', 'signing') AND expires_at > ?3 ORDER BY created_at, order_id LIMIT ?4"));
        st.bind(1, tenant_id).bind(2, holder_id).bind(3, now).bind(4, static_cast<int64_t>(limit));
        for (;;) {
          DUET_ASSIGN_OR_RETURN(bool row, st.step());
          if (!row) break;
          ids.push_back(st.column_text(0));
        }
      }
      std::vector<SignOrder> out;
      for (const std::string& id : ids) {
        DUET_ASSIGN_OR_RETURN(SignOrder o, load_order(c, tenant_id, id));
        out.push_back(std::move(o));
      }
      return out;
    });
  }

  // --- share refresh ---

  Status reseal_key_share(std::string_view tenant_id, std::string_view key_id, ByteView expected,
                          ByteView replacement) override {
    if (replacement.empty()) return invalid("sealed share is empty");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE holder_keys SET service_share_ciphertext = ?4 WHERE tenant_id = ?1 AND key_id = ?2 "
          "AND service_share_ciphertext = ?3 AND revoked_at IS NULL"));
      st.bind(1, tenant_id).bind(2, key_id).bind(3, expected).bind(4, replacement);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      return n == 1 ? Status::Ok() : conflict("holder key share changed");
    });
  }

  // --- PIN attempts (store.h): core's rule, run with the holder's row held ---
  // SQLite serializes write transactions, so the counters read here cannot
  // change before the conditional update below; the update still names the
  // values it read (a compare-and-set), as the PostgreSQL backend must.
  Result<PinAttemptCounters> count_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                                               std::string_view attempt_id, UnixSeconds window_since,
                                               const PinAttemptRule& rule, UnixSeconds now) {
    if (attempt_id.empty()) return Unexpected{invalid("attempt id is empty").error()};
    DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
    PinAttemptCounters before;
    before.consecutive_failures = holder.failed_attempts;
    before.locked = holder.status == HolderStatus::kLocked;
    {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "SELECT COUNT(*) FROM pin_attempts WHERE tenant_id = ?1 AND holder_id = ?2 "
          "AND outcome IN ('pending', 'failed') AND started_at > ?3"));
      st.bind(1, tenant_id).bind(2, holder_id).bind(3, window_since);
      DUET_TRY_STATUS(st.step());
      before.failures_in_window = static_cast<int>(st.column_int(0));
    }
    DUET_ASSIGN_OR_RETURN(PinAttemptCounters after, rule(before));
    // Only a failure locks (fail_pin_attempt): counting writes the count alone.
    DUET_ASSIGN_OR_RETURN(Statement count, Statement::prepare(c,
        "UPDATE holders SET failed_attempts = ?4 "
        "WHERE tenant_id = ?1 AND holder_id = ?2 AND failed_attempts = ?3 AND status = 'active'"));
    count.bind(1, tenant_id).bind(2, holder_id).bind(3, before.consecutive_failures)
        .bind(4, after.consecutive_failures);
    DUET_ASSIGN_OR_RETURN(int counted, run_changes(c, count));
    if (counted != 1) return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
    DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
        "INSERT INTO pin_attempts (tenant_id, attempt_id, holder_id, started_at, outcome) "
        "VALUES (?1, ?2, ?3, ?4, 'pending')"));
    ins.bind(1, tenant_id).bind(2, attempt_id).bind(3, holder_id).bind(4, now);
    DUET_TRY_STATUS(ins.run());
    return after;
  }

  template <typename T>
  static Status as_status(const Result<T>& r) {
    if (!r.ok()) return Unexpected{r.error()};
    return Status::Ok();
  }

  // Ends a pending attempt with `outcome`; returns its holder.
  static Result<std::string> end_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view attempt_id,
                                             std::string_view outcome, bool reset_consecutive) {
    std::string holder_id;
    {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "SELECT holder_id FROM pin_attempts WHERE tenant_id = ?1 AND attempt_id = ?2 AND outcome = 'pending'"));
      st.bind(1, tenant_id).bind(2, attempt_id);
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) return Unexpected{conflict("PIN attempt is not pending").error()};
      holder_id = st.column_text(0);
    }
    DUET_ASSIGN_OR_RETURN(Statement end, Statement::prepare(c,
        "UPDATE pin_attempts SET outcome = ?3 WHERE tenant_id = ?1 AND attempt_id = ?2 AND outcome = 'pending'"));
    end.bind(1, tenant_id).bind(2, attempt_id).bind(3, outcome);
    DUET_TRY_STATUS(end.run());
    if (!reset_consecutive) return holder_id;
    DUET_ASSIGN_OR_RETURN(Statement h, Statement::prepare(c,
        "UPDATE holders SET failed_attempts = 0 WHERE tenant_id = ?1 AND holder_id = ?2"));
    h.bind(1, tenant_id).bind(2, holder_id);
    DUET_TRY_STATUS(h.run());
    return holder_id;
  }

  Result<PinAttemptCounters> begin_sign_attempt(const SignSession& s, std::string_view attempt_id,
                                                UnixSeconds window_since, const PinAttemptRule& rule,
                                                UnixSeconds now) override {
    if (s.tenant_id.empty() || s.session_id.empty() || s.order_id.empty() || s.holder_id.empty())
      return Unexpected{invalid("session ids are empty").error()};
    return run<Result<PinAttemptCounters>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
      DUET_ASSIGN_OR_RETURN(bool seen, exists(c,
          "SELECT 1 FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2", s.tenant_id, s.session_id));
      if (seen) return store_error(StoreError::kDuplicate, "session id already used");
      DUET_ASSIGN_OR_RETURN(SignOrder order, load_order(c, s.tenant_id, s.order_id));
      if (order.holder_id != s.holder_id) return Unexpected{not_found("order").error()};
      DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, s.tenant_id, s.holder_id));
      if (holder.refresh_required)
        return make_error(ErrorCode::kRefreshRequired, "a share refresh must run before the next signature");
      // A locked holder is refused as locked before the order's state is
      // looked at (the lockout may have failed this order).
      if (holder.status == HolderStatus::kLocked)
        return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
      DUET_ASSIGN_OR_RETURN(Statement move, Statement::prepare(c,
          "UPDATE sign_orders SET state = 'signing', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
          "AND state IN ('pending', 'signing') AND expires_at > ?3"));
      move.bind(1, s.tenant_id).bind(2, s.order_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int moved, run_changes(c, move));
      if (moved != 1) return Unexpected{conflict("order is not open for signing").error()};
      DUET_ASSIGN_OR_RETURN(PinAttemptCounters after,
                            count_pin_attempt(c, s.tenant_id, s.holder_id, attempt_id, window_since, rule, now));
      hook("begin_sign_attempt:after_attempt_counted");
      DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
          "INSERT INTO sign_sessions (tenant_id, session_id, order_id, holder_id, r_values, state, created_at, "
          "updated_at) VALUES (?1, ?2, ?3, ?4, '', 'open', ?5, ?5)"));
      ins.bind(1, s.tenant_id).bind(2, s.session_id).bind(3, s.order_id).bind(4, s.holder_id).bind(5, now);
      DUET_TRY_STATUS(ins.run());
      return after;
    });
  }

  // The key the caller used is still the holder's, unrevoked, with the same
  // share (store.h, accept_sign_attempt).
  static Status check_key_unchanged(Connection& c, std::string_view tenant_id, std::string_view key_id,
                                    ByteView expected_share) {
    if (key_id.empty()) return Status::Ok();
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT 1 FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2 AND revoked_at IS NULL "
        "AND service_share_ciphertext = ?3"));
    st.bind(1, tenant_id).bind(2, key_id).bind(3, expected_share);
    DUET_ASSIGN_OR_RETURN(bool same, st.step());
    return same ? Status::Ok() : conflict("the holder's key share changed");
  }

  Status accept_sign_attempt(std::string_view tenant_id, std::string_view session_id, std::string_view attempt_id,
                             const std::vector<std::string>& r_values, UnixSeconds now, std::string_view key_id,
                             ByteView expected_share) override {
    if (r_values.empty()) return invalid("r values are required");
    for (const std::string& r : r_values)
      if (r.empty() || r.find(',') != std::string::npos) return invalid("malformed r value");
    return write([&](Connection& c) -> Status {
      DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE sign_sessions SET r_values = ?3, updated_at = ?4 "
          "WHERE tenant_id = ?1 AND session_id = ?2 AND state = 'open' AND r_values = ''"));
      st.bind(1, tenant_id).bind(2, session_id).bind(3, join_r_values(r_values)).bind(4, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n != 1) return conflict("sign session is not open");
      return as_status(end_pin_attempt(c, tenant_id, attempt_id, "ok", true));
    });
  }

  Result<PinAttemptCounters> begin_refresh_attempt(const ShareRefresh& r, std::string_view attempt_id,
                                                   UnixSeconds window_since, const PinAttemptRule& rule,
                                                   UnixSeconds now) override {
    if (r.tenant_id.empty() || r.refresh_id.empty() || r.key_id.empty() || r.holder_id.empty())
      return Unexpected{invalid("share refresh ids are empty").error()};
    return run<Result<PinAttemptCounters>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
      DUET_ASSIGN_OR_RETURN(bool seen, exists(c,
          "SELECT 1 FROM share_refreshes WHERE tenant_id = ?1 AND refresh_id = ?2", r.tenant_id, r.refresh_id));
      if (seen) return store_error(StoreError::kDuplicate, "refresh id already used");
      {
        DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
            "SELECT revoked_at FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2 AND holder_id = ?3"));
        key.bind(1, r.tenant_id).bind(2, r.key_id).bind(3, r.holder_id);
        DUET_ASSIGN_OR_RETURN(bool found, key.step());
        if (!found) return Unexpected{not_found("holder key").error()};
        if (!key.column_is_null(0)) return Unexpected{conflict("holder key is revoked").error()};
      }
      DUET_ASSIGN_OR_RETURN(PinAttemptCounters after,
                            count_pin_attempt(c, r.tenant_id, r.holder_id, attempt_id, window_since, rule, now));
      DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
          "INSERT INTO share_refreshes (tenant_id, refresh_id, key_id, holder_id, sealed_rho, "
          "pending_share_ciphertext, state, created_at) VALUES (?1, ?2, ?3, ?4, X'', X'', 'abandoned', ?5)"));
      ins.bind(1, r.tenant_id).bind(2, r.refresh_id).bind(3, r.key_id).bind(4, r.holder_id).bind(5, now);
      DUET_TRY_STATUS(ins.run());
      return after;
    });
  }

  Status accept_refresh_attempt(std::string_view tenant_id, std::string_view refresh_id, std::string_view attempt_id,
                                ByteView pending_share_ciphertext, UnixSeconds now, std::string_view key_id,
                                ByteView expected_share) override {
    (void)now;
    if (pending_share_ciphertext.empty()) return invalid("an open share refresh needs its pending share");
    return write([&](Connection& c) -> Status {
      DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE share_refreshes SET state = 'open', pending_share_ciphertext = ?3 "
          "WHERE tenant_id = ?1 AND refresh_id = ?2 AND state = 'abandoned' AND pending_share_ciphertext = X''"));
      st.bind(1, tenant_id).bind(2, refresh_id).bind(3, pending_share_ciphertext);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n != 1) return conflict("share refresh is not being verified");
      return as_status(end_pin_attempt(c, tenant_id, attempt_id, "ok", true));
    });
  }

  Result<PinAttemptCounters> begin_confirm_attempt(std::string_view tenant_id, std::string_view holder_id,
                                                   std::string_view refresh_id, std::string_view attempt_id,
                                                   UnixSeconds open_since, UnixSeconds window_since,
                                                   const PinAttemptRule& rule, UnixSeconds now) override {
    // An expired refresh is abandoned (and its pending share wiped) even
    // though the call fails, so the refusal is committed, not rolled back.
    bool expired = false;
    auto result = run<Result<PinAttemptCounters>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
      ShareRefresh r;
      {
        DUET_ASSIGN_OR_RETURN(Statement sel, Statement::prepare(c,
            select_from(kRefreshCols, "share_refreshes", "tenant_id = ?1 AND refresh_id = ?2")));
        sel.bind(1, tenant_id).bind(2, refresh_id);
        DUET_ASSIGN_OR_RETURN(r, query_one<ShareRefresh>(sel, read_refresh, "share refresh"));
      }
      if (r.holder_id != holder_id) return Unexpected{not_found("share refresh").error()};
      if (r.state == RefreshState::kConfirmed) return Unexpected{conflict("share refresh already confirmed").error()};
      if (r.state != RefreshState::kOpen) return Unexpected{conflict("share refresh is not open").error()};
      if (r.created_at <= open_since) {
        DUET_ASSIGN_OR_RETURN(Statement ab, Statement::prepare(c,
            "UPDATE share_refreshes SET state = 'abandoned', pending_share_ciphertext = X'', sealed_rho = X'' "
            "WHERE tenant_id = ?1 AND refresh_id = ?2 AND state = 'open'"));
        ab.bind(1, tenant_id).bind(2, refresh_id);
        DUET_TRY_STATUS(ab.run());
        expired = true;
        return PinAttemptCounters{};
      }
      return count_pin_attempt(c, tenant_id, holder_id, attempt_id, window_since, rule, now);
    });
    if (result.ok() && expired) return make_error(ErrorCode::kExpired, "the share refresh has expired");
    return result;
  }

  Status fail_pin_attempt(std::string_view tenant_id, std::string_view attempt_id, bool lock_holder,
                          std::string_view session_id, const std::vector<CallbackJob>& alarms,
                          const std::optional<CallbackJob>& callback_if_order_fails, UnixSeconds now) override {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(std::string attempt_holder, end_pin_attempt(c, tenant_id, attempt_id, "failed", false));
      if (lock_holder) {
        DUET_ASSIGN_OR_RETURN(Statement lock, Statement::prepare(c,
            "UPDATE holders SET status = 'locked' WHERE tenant_id = ?1 AND holder_id = ?2"));
        lock.bind(1, tenant_id).bind(2, attempt_holder);
        DUET_TRY_STATUS(lock.run());
      }
      for (const CallbackJob& job : alarms) DUET_TRY_STATUS(insert_callback(c, job, tenant_id, job.order_id, now));
      if (session_id.empty()) return Status::Ok();
      std::string order_id, holder_id;
      {
        DUET_ASSIGN_OR_RETURN(Statement sess, Statement::prepare(c,
            "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2"));
        sess.bind(1, tenant_id).bind(2, session_id);
        DUET_ASSIGN_OR_RETURN(bool row, sess.step());
        if (!row) return not_found("sign session");
        order_id = sess.column_text(0);
        holder_id = sess.column_text(1);
      }
      // A session that ended meanwhile (another attempt's lockout or expiry
      // failed the order's open sessions) stays as it is; the attempt still
      // ends failed: a concurrent lockout must not turn this into a conflict.
      DUET_ASSIGN_OR_RETURN(Statement fail, Statement::prepare(c,
          "UPDATE sign_sessions SET state = 'failed', updated_at = ?3 "
          "WHERE tenant_id = ?1 AND session_id = ?2 AND state = 'open'"));
      fail.bind(1, tenant_id).bind(2, session_id).bind(3, now);
      DUET_TRY_STATUS(fail.run());
      DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
      if (holder.status != HolderStatus::kLocked) return Status::Ok();
      DUET_ASSIGN_OR_RETURN(Statement end, Statement::prepare(c,
          "UPDATE sign_orders SET state = 'failed', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
          "AND state IN ('pending', 'signing') AND expires_at > ?3"));
      end.bind(1, tenant_id).bind(2, order_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, end));
      if (n == 1) {
        DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
        if (callback_if_order_fails)
          DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
      }
      return Status::Ok();
    });
  }

  Status confirm_share_refresh(std::string_view tenant_id, std::string_view refresh_id, std::string_view attempt_id,
                               const DeviceToken& t, UnixSeconds now) override {
    if (tenant_id.empty() || refresh_id.empty()) return invalid("share refresh ids are empty");
    if (t.token_hash.empty() || t.tenant_id != tenant_id) return invalid("device token is incomplete");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement sel, Statement::prepare(c,
          select_from(kRefreshCols, "share_refreshes", "tenant_id = ?1 AND refresh_id = ?2")));
      sel.bind(1, tenant_id).bind(2, refresh_id);
      DUET_ASSIGN_OR_RETURN(ShareRefresh r, query_one<ShareRefresh>(sel, read_refresh, "share refresh"));
      if (r.state == RefreshState::kConfirmed) return conflict("share refresh already confirmed");
      if (r.state != RefreshState::kOpen) return conflict("share refresh is not open");
      if (t.holder_id != r.holder_id) return invalid("device token must name the refresh's holder");

      DUET_ASSIGN_OR_RETURN(Statement done, Statement::prepare(c,
          "UPDATE share_refreshes SET state = 'confirmed', confirmed_at = ?3 "
          "WHERE tenant_id = ?1 AND refresh_id = ?2 AND state = 'open'"));
      done.bind(1, tenant_id).bind(2, refresh_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, done));
      if (n != 1) return conflict("share refresh is not open");

      DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
          "UPDATE holder_keys SET service_share_ciphertext = ?4 "
          "WHERE tenant_id = ?1 AND key_id = ?2 AND holder_id = ?3 AND revoked_at IS NULL"));
      key.bind(1, tenant_id).bind(2, r.key_id).bind(3, r.holder_id).bind(4, r.pending_share_ciphertext);
      DUET_ASSIGN_OR_RETURN(n, run_changes(c, key));
      if (n != 1) return conflict("holder key is revoked");

      DUET_ASSIGN_OR_RETURN(Statement tokens, Statement::prepare(c,
          "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
      tokens.bind(1, tenant_id).bind(2, r.holder_id).bind(3, now);
      DUET_TRY_STATUS(tokens.run());
      DUET_ASSIGN_OR_RETURN(Statement token, Statement::prepare(c,
          "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES (?1, ?2, ?3, ?4)"));
      token.bind(1, tenant_id).bind(2, t.token_hash).bind(3, r.holder_id).bind(4, t.created_at);
      DUET_TRY_STATUS(token.run());

      DUET_ASSIGN_OR_RETURN(Statement holder, Statement::prepare(c,
          "UPDATE holders SET failed_attempts = 0, refresh_required = 0 WHERE tenant_id = ?1 AND holder_id = ?2"));
      holder.bind(1, tenant_id).bind(2, r.holder_id);
      DUET_ASSIGN_OR_RETURN(n, run_changes(c, holder));
      if (n != 1) return corrupt("share refresh's holder missing");
      return as_status(end_pin_attempt(c, tenant_id, attempt_id, "ok", true));
    });
  }

  Result<ShareRefresh> get_share_refresh(std::string_view tenant_id, std::string_view refresh_id) override {
    return read_single<ShareRefresh>([&](Connection& c) -> Result<ShareRefresh> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kRefreshCols, "share_refreshes", "tenant_id = ?1 AND refresh_id = ?2")));
      st.bind(1, tenant_id).bind(2, refresh_id);
      return query_one<ShareRefresh>(st, read_refresh, "share refresh");
    });
  }

  Result<SignSession> get_sign_session(std::string_view tenant_id, std::string_view session_id) override {
    return read_single<SignSession>([&](Connection& c) -> Result<SignSession> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kSessionCols, "sign_sessions", "tenant_id = ?1 AND session_id = ?2")));
      st.bind(1, tenant_id).bind(2, session_id);
      return query_one<SignSession>(st, read_session, "sign session");
    });
  }

  Result<OrderState> fail_sign_session(std::string_view tenant_id, std::string_view session_id,
                                       const std::optional<CallbackJob>& callback_if_order_fails,
                                       UnixSeconds now) override {
    return run<Result<OrderState>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<OrderState> {
      DUET_ASSIGN_OR_RETURN(Statement sess, Statement::prepare(c,
          "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2"));
      sess.bind(1, tenant_id).bind(2, session_id);
      DUET_ASSIGN_OR_RETURN(bool found, sess.step());
      if (!found) return Unexpected{not_found("sign session").error()};
      const std::string order_id = sess.column_text(0);
      const std::string holder_id = sess.column_text(1);

      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE sign_sessions SET state = 'failed', updated_at = ?3 "
          "WHERE tenant_id = ?1 AND session_id = ?2 AND state = 'open'"));
      st.bind(1, tenant_id).bind(2, session_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n != 1) return Unexpected{conflict("sign session is not open").error()};
      hook("fail_sign_session:after_session_failed");

      DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
      if (holder.status == HolderStatus::kLocked) {
        // The lockout ends the order (unless it already ended, or is past
        // expiry: then only expire_orders may move it).
        DUET_ASSIGN_OR_RETURN(Statement end, Statement::prepare(c,
            "UPDATE sign_orders SET state = 'failed', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
            "AND state IN ('pending', 'signing') AND expires_at > ?3"));
        end.bind(1, tenant_id).bind(2, order_id).bind(3, now);
        DUET_ASSIGN_OR_RETURN(n, run_changes(c, end));
        if (n == 1) {
          DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
          hook("fail_sign_session:before_callback");
          if (callback_if_order_fails)
            DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
        }
      }
      DUET_ASSIGN_OR_RETURN(Statement state, Statement::prepare(c,
          "SELECT state FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2"));
      state.bind(1, tenant_id).bind(2, order_id);
      DUET_ASSIGN_OR_RETURN(bool row, state.step());
      if (!row) return corrupt("sign session's order missing");
      return parse_order_state(state.column_text(0));
    });
  }

  Status finish_order(std::string_view tenant_id, std::string_view order_id, std::string_view session_id,
                      const std::vector<Bytes>& signatures, const std::optional<CallbackJob>& callback,
                      UnixSeconds now) override {
    for (const Bytes& sig : signatures)
      if (sig.empty()) return invalid("empty signature");
    return write([&](Connection& c) -> Status {
      DUET_TRY_STATUS(finish_in_tx(c, tenant_id, order_id, session_id, signatures, OrderKind::kSign, nullptr, now));
      // Exactly-once metering in the transaction that completes the signature.
      DUET_TRY_STATUS(sqlite::meter_finished_order(c, tenant_id, order_id, now));
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
          std::vector<std::pair<std::string, std::string>> due;
          {
            DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
                "SELECT tenant_id, order_id FROM sign_orders WHERE state IN ('pending', 'signing') "
                "AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2"));
            st.bind(1, now).bind(2, static_cast<int64_t>(limit));
            for (;;) {
              DUET_ASSIGN_OR_RETURN(bool row, st.step());
              if (!row) break;
              due.emplace_back(st.column_text(0), st.column_text(1));
            }
          }
          std::vector<SignOrder> expired;
          for (const auto& [tenant, id] : due) {
            DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
                "UPDATE sign_orders SET state = 'expired', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
                "AND state IN ('pending', 'signing') AND expires_at <= ?3"));
            up.bind(1, tenant).bind(2, id).bind(3, now);
            DUET_ASSIGN_OR_RETURN(int n, run_changes(c, up));
            if (n != 1) continue;  // another sweeper or a finisher got there first
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
              if (!sqlite::append_audit_event(c, e).ok())
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
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kCertCols, "certificates", "tenant_id = ?1 AND cert_id = ?2")));
      st.bind(1, tenant_id).bind(2, cert_id);
      return query_one<Certificate>(st, read_certificate, "certificate");
    });
  }

  Result<Certificate> find_certificate_by_serial(std::string_view serial_hex) override {
    return read_single<Certificate>([&](Connection& c) -> Result<Certificate> {
      DUET_ASSIGN_OR_RETURN(Statement st,
                            Statement::prepare(c, select_from(kCertCols, "certificates", "serial_hex = ?1")));
      st.bind(1, serial_hex);
      return query_one<Certificate>(st, read_certificate, "certificate");
    });
  }

  Result<std::vector<Certificate>> list_holder_certificates(std::string_view tenant_id,
                                                            std::string_view holder_id) override {
    return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kCertCols, "certificates",
                      "tenant_id = ?1 AND holder_id = ?2 ORDER BY created_at DESC, cert_id DESC")));
      st.bind(1, tenant_id).bind(2, holder_id);
      return read_all<Certificate>(st, read_certificate);
    });
  }

  Result<std::vector<Certificate>> list_revoked_certificates(std::string_view issuer_id) override {
    return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kCertCols, "certificates",
                      "issuer_id = ?1 AND revoked_at IS NOT NULL ORDER BY serial_hex")));
      st.bind(1, issuer_id);
      return read_all<Certificate>(st, read_certificate);
    });
  }

  Status revoke_certificate(std::string_view tenant_id, std::string_view cert_id, int reason, bool revoke_key,
                            UnixSeconds now) override {
    if (!valid_revocation_reason(reason)) return invalid("unknown revocation reason");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE certificates SET revoked_at = ?3, revocation_reason = ?4 "
          "WHERE tenant_id = ?1 AND cert_id = ?2 AND revoked_at IS NULL RETURNING holder_id, key_id"));
      st.bind(1, tenant_id).bind(2, cert_id).bind(3, now).bind(4, reason);
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row)
        return not_found_or_conflict(c, "SELECT 1 FROM certificates WHERE tenant_id = ?1 AND cert_id = ?2",
                                     tenant_id, cert_id, "certificate");
      const std::string holder_id = st.column_text(0);
      const std::string key_id = st.column_text(1);
      DUET_TRY_STATUS(st.run());
      if (!revoke_key) return Status::Ok();
      hook("revoke_certificate:after_certificate");

      // Crypto-shredding as revoke_holder_key; a key revoked earlier (e.g.
      // replaced at re-enrollment) is already shredded and stays as it is.
      DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
          "UPDATE holder_keys SET revoked_at = ?3, service_share_ciphertext = X'' "
          "WHERE tenant_id = ?1 AND key_id = ?2 AND revoked_at IS NULL"));
      key.bind(1, tenant_id).bind(2, key_id).bind(3, now);
      DUET_TRY_STATUS(key.run());
      hook("revoke_certificate:after_key");

      DUET_ASSIGN_OR_RETURN(Statement tokens, Statement::prepare(c,
          "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
      tokens.bind(1, tenant_id).bind(2, holder_id).bind(3, now);
      return tokens.run();
    });
  }

  // --- CA material ---

  Status put_ca(const CaRecord& ca) override {
    if (ca.ca_id.empty()) return invalid("CA id is empty");
    if (!valid_ca_role(ca.role)) return invalid("unknown CA role");
    if (ca.certificate_der.empty()) return invalid("CA certificate is empty");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement dup, Statement::prepare(c,
          "SELECT 1 FROM certificate_authorities WHERE ca_id = ?1"));
      dup.bind(1, ca.ca_id);
      DUET_ASSIGN_OR_RETURN(bool taken, dup.step());
      if (taken) return conflict("CA id is already in use");
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO certificate_authorities (ca_id, role, certificate_der, sealed_private_key, created_at, active) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      st.bind(1, ca.ca_id).bind(2, ca.role).bind(3, ca.certificate_der).bind(4, ca.sealed_private_key)
          .bind(5, ca.created_at).bind(6, ca.active ? 1 : 0);
      return st.run();
    });
  }

  Result<std::vector<CaRecord>> list_cas() override {
    return read_single<std::vector<CaRecord>>([&](Connection& c) -> Result<std::vector<CaRecord>> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "SELECT " + std::string(kCaCols) + " FROM certificate_authorities ORDER BY created_at, ca_id"));
      return read_all<CaRecord>(st, read_ca);
    });
  }

  Status set_ca_active(std::string_view ca_id, bool active) override {
    return update_one("UPDATE certificate_authorities SET active = ?2 WHERE ca_id = ?1", ca_id, active ? 1 : 0, "CA");
  }

  Result<int64_t> next_crl_number(std::string_view issuer_id) override {
    if (issuer_id.empty()) return Unexpected{invalid("issuer id is empty").error()};
    return run<Result<int64_t>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<int64_t> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO crl_numbers (issuer_id, last_number) VALUES (?1, 1) "
          "ON CONFLICT (issuer_id) DO UPDATE SET last_number = last_number + 1 RETURNING last_number"));
      st.bind(1, issuer_id);
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) return corrupt("CRL number upsert returned nothing");
      int64_t number = st.column_int(0);
      DUET_TRY_STATUS(st.run());
      return number;
    });
  }

  // --- nonces ---

  Status insert_nonce(std::string_view tenant_id, std::string_view app_id, std::string_view nonce,
                      UnixSeconds seen_at) override {
    if (nonce.empty()) return invalid("nonce is empty");
    return write([&](Connection& c) { return insert_nonce_row(c, tenant_id, app_id, nonce, seen_at); });
  }

  Result<size_t> prune_nonces(UnixSeconds before) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite, [&](Connection& c) -> Result<size_t> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "DELETE FROM request_nonces WHERE seen_at < ?1"));
      st.bind(1, before);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      return static_cast<size_t>(n);
    });
  }

  // --- callbacks ---

  Status enqueue_callback(const CallbackJob& job) override {
    if (job.tenant_id.empty() || job.order_id.empty()) return invalid("callback ids are empty");
    return write([&](Connection& c) {
      return insert_callback(c, job, job.tenant_id, job.order_id, job.created_at);
    });
  }

  Result<CallbackJob> get_callback(std::string_view tenant_id, std::string_view job_id) override {
    return read_single<CallbackJob>([&](Connection& c) { return load_callback(c, tenant_id, job_id); });
  }

  Result<std::vector<CallbackJob>> claim_due_callbacks(std::string_view worker, UnixSeconds now,
                                                       int lease_seconds, size_t limit) override {
    if (worker.empty() || lease_seconds < 1)
      return Unexpected{invalid("worker and a positive lease are required").error()};
    return run<Result<std::vector<CallbackJob>>>(
        Transaction::Kind::kWrite, [&](Connection& c) -> Result<std::vector<CallbackJob>> {
          std::vector<std::pair<std::string, std::string>> due;
          {
            DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
                "SELECT tenant_id, job_id FROM callback_jobs WHERE delivered_at IS NULL AND next_attempt_at <= ?1 "
                "AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY next_attempt_at LIMIT ?2"));
            st.bind(1, now).bind(2, static_cast<int64_t>(limit));
            for (;;) {
              DUET_ASSIGN_OR_RETURN(bool row, st.step());
              if (!row) break;
              due.emplace_back(st.column_text(0), st.column_text(1));
            }
          }
          std::vector<CallbackJob> claimed;
          for (const auto& [tenant, id] : due) {
            DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
                "UPDATE callback_jobs SET lease_owner = ?3, lease_until = ?4, attempts = attempts + 1 "
                "WHERE tenant_id = ?1 AND job_id = ?2 AND delivered_at IS NULL "
                "AND (lease_until IS NULL OR lease_until <= ?5)"));
            up.bind(1, tenant).bind(2, id).bind(3, worker).bind(4, now + lease_seconds).bind(5, now);
            DUET_ASSIGN_OR_RETURN(int n, run_changes(c, up));
            if (n != 1) continue;  // claimed by another worker meanwhile
            DUET_ASSIGN_OR_RETURN(CallbackJob job, load_callback(c, tenant, id));
            claimed.push_back(std::move(job));
          }
          return claimed;
        });
  }

  Status mark_callback_delivered(std::string_view tenant_id, std::string_view job_id, UnixSeconds now) override {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE callback_jobs SET delivered_at = ?3, lease_owner = NULL, lease_until = NULL "
          "WHERE tenant_id = ?1 AND job_id = ?2 AND delivered_at IS NULL"));
      st.bind(1, tenant_id).bind(2, job_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
    });
  }

  Status mark_callback_failed(std::string_view tenant_id, std::string_view job_id, std::string_view worker,
                              std::string_view error, UnixSeconds next_attempt_at) override {
    constexpr size_t kMaxError = 512;
    std::string_view err = error.substr(0, std::min(error.size(), kMaxError));
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "UPDATE callback_jobs SET last_error = ?4, next_attempt_at = ?5, lease_owner = NULL, lease_until = NULL "
          "WHERE tenant_id = ?1 AND job_id = ?2 AND delivered_at IS NULL AND lease_owner = ?3"));
      st.bind(1, tenant_id).bind(2, job_id).bind(3, worker).bind(4, err).bind(5, next_attempt_at);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n == 1) return Status::Ok();
      return not_found_or_conflict(c, kCallbackExists, tenant_id, job_id, "callback");
    });
  }

  // --- packages and metering (store/sqlite_metering.cc) ---

  Status add_package(const Package& p) override {
    DUET_TRY_STATUS(sqlite::validate_package(p));
    return write([&](Connection& c) { return sqlite::add_package(c, p); });
  }
  Result<std::vector<Package>> list_packages(std::string_view tenant_id) override {
    return read_single<std::vector<Package>>([&](Connection& c) { return sqlite::list_packages(c, tenant_id); });
  }
  Result<Package> get_package(std::string_view tenant_id, std::string_view package_id) override {
    return read_single<Package>([&](Connection& c) { return sqlite::get_package(c, tenant_id, package_id); });
  }
  Status check_quota(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now) override {
    return run<Status>(Transaction::Kind::kRead,
                       [&](Connection& c) { return sqlite::check_quota(c, tenant_id, kind, units, now); });
  }
  Result<std::vector<UsageRecord>> list_usage_records(std::string_view tenant_id, UnixSeconds from, UnixSeconds to,
                                                      size_t limit) override {
    return read_single<std::vector<UsageRecord>>(
        [&](Connection& c) { return sqlite::list_usage_records(c, tenant_id, from, to, limit); });
  }
  Result<int64_t> count_usage(std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                              UnixSeconds to) override {
    return read_single<int64_t>([&](Connection& c) { return sqlite::count_usage(c, tenant_id, kind, from, to); });
  }
  Result<size_t> prune_usage_records(UnixSeconds before, UnixSeconds now) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite,
                               [&](Connection& c) { return sqlite::prune_usage_records(c, before, now); });
  }
  Result<std::vector<Notice>> list_notices(std::string_view tenant_id, size_t limit) override {
    return read_single<std::vector<Notice>>([&](Connection& c) { return sqlite::list_notices(c, tenant_id, limit); });
  }
  Result<std::vector<Notice>> sweep_package_notices(UnixSeconds now, size_t limit,
                                                    const NoticeCallbackFactory& make_callback) override {
    return run<Result<std::vector<Notice>>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return sqlite::sweep_package_notices(c, now, limit, make_callback);
    });
  }
  Status set_tenant_notify_target(const TenantNotifyTarget& t) override {
    return write([&](Connection& c) { return sqlite::set_tenant_notify_target(c, t); });
  }
  Result<TenantNotifyTarget> get_tenant_notify_target(std::string_view tenant_id) override {
    return read_single<TenantNotifyTarget>(
        [&](Connection& c) { return sqlite::get_tenant_notify_target(c, tenant_id); });
  }
  Result<Notice> set_tenant_signature_v1_cutoff(std::string_view tenant_id, UnixSeconds cutoff,
                                                UnixSeconds now) override {
    return run<Result<Notice>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return sqlite::set_tenant_signature_v1_cutoff(c, tenant_id, cutoff, now);
    });
  }

  // --- admin tokens ---

  Status create_admin_token(const AdminToken& t) override {
    if (t.token_hash.empty()) return invalid("admin token hash is empty");
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "INSERT INTO admin_tokens (token_hash, name, role, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
      st.bind(1, t.token_hash).bind(2, t.name).bind(3, t.role).bind(4, t.created_at).bind(5, t.revoked_at);
      return st.run();
    });
  }

  Result<AdminToken> find_admin_token(ByteView token_hash) override {
    return read_single<AdminToken>([&](Connection& c) -> Result<AdminToken> {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          select_from(kAdminCols, "admin_tokens", "token_hash = ?1 AND revoked_at IS NULL")));
      st.bind(1, token_hash);
      return query_one<AdminToken>(st, read_admin, "admin token");
    });
  }

  // --- retention and leases (store/sqlite_retention.cc) ---

  Result<size_t> purge_order_payloads(UnixSeconds final_before, UnixSeconds now, std::string_view actor,
                                      size_t limit) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return sqlite::purge_order_payloads(c, final_before, now, actor, limit);
    });
  }
  Result<std::optional<UnixSeconds>> order_payload_purged_at(std::string_view tenant_id,
                                                             std::string_view order_id) override {
    return read_single<std::optional<UnixSeconds>>(
        [&](Connection& c) { return sqlite::order_payload_purged_at(c, tenant_id, order_id); });
  }
  Result<size_t> purge_identity_attributes(UnixSeconds issued_before, UnixSeconds now, std::string_view actor,
                                           size_t limit) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return sqlite::purge_identity_attributes(c, issued_before, now, actor, limit);
    });
  }
  Result<size_t> wipe_retired_key_shares(UnixSeconds expired_before, UnixSeconds now, std::string_view actor,
                                         size_t limit) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return sqlite::wipe_retired_key_shares(c, expired_before, now, actor, limit);
    });
  }
  Result<RetentionSettings> get_retention_settings() override {
    return read_single<RetentionSettings>([&](Connection& c) { return sqlite::get_retention_settings(c); });
  }
  Status put_retention_settings(const RetentionSettings& settings) override {
    DUET_TRY_STATUS(sqlite::validate_retention_settings(settings));
    return write([&](Connection& c) { return sqlite::put_retention_settings(c, settings); });
  }
  Result<bool> try_acquire_lease(std::string_view name, std::string_view owner, UnixSeconds now,
                                 int64_t ttl_seconds) override {
    if (name.empty() || owner.empty()) return make_error(ErrorCode::kInvalidArgument, "lease name and owner are required");
    if (ttl_seconds < 1) return make_error(ErrorCode::kInvalidArgument, "lease ttl must be >= 1 s");
    return run<Result<bool>>(Transaction::Kind::kWrite, [&](Connection& c) {
      return sqlite::try_acquire_lease(c, name, owner, now, ttl_seconds);
    });
  }

  // --- sla (store/sqlite_sla.cc) ---

  Status add_availability(const std::vector<AvailabilityMinute>& deltas) override {
    DUET_TRY_STATUS(sqlite::validate_availability(deltas));
    return write([&](Connection& c) { return sqlite::add_availability(c, deltas); });
  }
  Result<std::vector<AvailabilityMinute>> list_availability(std::string_view tenant_id, UnixSeconds from,
                                                            UnixSeconds to) override {
    return read_single<std::vector<AvailabilityMinute>>(
        [&](Connection& c) { return sqlite::list_availability(c, tenant_id, from, to); });
  }
  Result<std::optional<UnixSeconds>> first_availability_minute() override {
    return read_single<std::optional<UnixSeconds>>([&](Connection& c) { return sqlite::first_availability_minute(c); });
  }
  Status create_maintenance_window(const MaintenanceWindow& w) override {
    return write([&](Connection& c) { return sqlite::create_maintenance_window(c, w); });
  }
  Result<MaintenanceWindow> get_maintenance_window(std::string_view window_id) override {
    return read_single<MaintenanceWindow>([&](Connection& c) { return sqlite::get_maintenance_window(c, window_id); });
  }
  Result<std::vector<MaintenanceWindow>> list_maintenance_windows(UnixSeconds from, UnixSeconds to) override {
    return read_single<std::vector<MaintenanceWindow>>(
        [&](Connection& c) { return sqlite::list_maintenance_windows(c, from, to); });
  }
  Status delete_maintenance_window(std::string_view window_id, UnixSeconds now) override {
    return write([&](Connection& c) { return sqlite::delete_maintenance_window(c, window_id, now); });
  }
  Result<SlaCredit> propose_sla_credit(const SlaCredit& credit) override {
    DUET_TRY_STATUS(sqlite::validate_sla_credit(credit));
    return run<Result<SlaCredit>>(Transaction::Kind::kWrite,
                                  [&](Connection& c) { return sqlite::propose_sla_credit(c, credit); });
  }
  Status withdraw_sla_credit(std::string_view tenant_id, std::string_view month, SlaCreditKind kind) override {
    return write([&](Connection& c) { return sqlite::withdraw_sla_credit(c, tenant_id, month, kind); });
  }
  Result<SlaCredit> find_sla_credit(std::string_view credit_id) override {
    return read_single<SlaCredit>([&](Connection& c) { return sqlite::find_sla_credit(c, credit_id); });
  }
  Result<std::vector<SlaCredit>> list_sla_credits(std::string_view tenant_id, std::string_view month) override {
    return read_single<std::vector<SlaCredit>>(
        [&](Connection& c) { return sqlite::list_sla_credits(c, tenant_id, month); });
  }
  Status approve_sla_credit(std::string_view credit_id, std::string_view approved_by, UnixSeconds now,
                            const Package& bonus) override {
    return write([&](Connection& c) { return sqlite::approve_sla_credit(c, credit_id, approved_by, now, bonus); });
  }
  Result<int64_t> hit_rate_window(std::string_view tenant_id, std::string_view key, UnixSeconds window_start) override {
    return run<Result<int64_t>>(Transaction::Kind::kWrite,
                                [&](Connection& c) { return sqlite::hit_rate_window(c, tenant_id, key, window_start); });
  }
  Result<size_t> prune_rate_windows(UnixSeconds before) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite,
                               [&](Connection& c) { return sqlite::prune_rate_windows(c, before); });
  }
  Status set_tenant_rate_limit(std::string_view tenant_id, int64_t requests_per_second, UnixSeconds now) override {
    return write([&](Connection& c) { return sqlite::set_tenant_rate_limit(c, tenant_id, requests_per_second, now); });
  }
  Result<std::vector<TenantRateLimit>> list_tenant_rate_limits() override {
    return read_single<std::vector<TenantRateLimit>>([&](Connection& c) { return sqlite::list_tenant_rate_limits(c); });
  }

  // --- audit (sqlite_audit.cc; the store's own audit calls are not bound) ---

  Result<AuditEvent> append_audit_event(const AuditEvent& event) override {
    store::ScopedAuditSuspend unbound;
    AuditEvent e = event;
    DUET_TRY_STATUS(write([&](Connection& c) { return sqlite::append_audit_event(c, e); }));
    return e;
  }
  Status append_audit_events(std::vector<AuditEvent>& events) override {
    store::ScopedAuditSuspend unbound;
    return write([&](Connection& c) -> Status {
      for (AuditEvent& e : events) DUET_TRY_STATUS(sqlite::append_audit_event(c, e));
      return Status::Ok();
    });
  }
  Result<AuditCheckpoint> get_audit_head() override {
    return read_single<AuditCheckpoint>([&](Connection& c) { return sqlite::read_audit_head(c); });
  }
  Result<std::vector<AuditEvent>> list_audit_events(int64_t after_seq, size_t limit) override {
    return read_single<std::vector<AuditEvent>>(
        [&](Connection& c) { return sqlite::list_audit_events(c, after_seq, limit); });
  }
  Result<std::vector<AuditEvent>> list_tenant_audit_events(std::string_view tenant_id, UnixSeconds from,
                                                           UnixSeconds to, int64_t after_seq, size_t limit) override {
    return read_single<std::vector<AuditEvent>>(
        [&](Connection& c) { return sqlite::list_tenant_audit_events(c, tenant_id, from, to, after_seq, limit); });
  }
  Status add_audit_checkpoint(const AuditCheckpoint& cp) override {
    store::ScopedAuditSuspend unbound;
    return write([&](Connection& c) { return sqlite::add_audit_checkpoint(c, cp); });
  }
  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(int64_t from_seq, int64_t to_seq) override {
    return read_single<std::vector<AuditCheckpoint>>(
        [&](Connection& c) { return sqlite::list_audit_checkpoints(c, from_seq, to_seq); });
  }
  Status put_audit_key(const AuditKey& key) override {
    store::ScopedAuditSuspend unbound;
    return write([&](Connection& c) { return sqlite::put_audit_key(c, key); });
  }
  Result<std::vector<AuditKey>> list_audit_keys() override {
    return read_single<std::vector<AuditKey>>([&](Connection& c) { return sqlite::list_audit_keys(c); });
  }
  Result<std::vector<AdminToken>> list_admin_tokens() override {
    return read_single<std::vector<AdminToken>>([&](Connection& c) { return sqlite::list_admin_tokens(c); });
  }
  Result<size_t> revoke_admin_tokens(std::string_view name, UnixSeconds now) override {
    return run<Result<size_t>>(Transaction::Kind::kWrite,
                               [&](Connection& c) { return sqlite::revoke_admin_tokens(c, name, now); });
  }

 private:
  // Runs `fn` in one transaction on a pooled connection; commits only if it
  // succeeded. Nothing escapes as an exception.
  template <typename R, typename F>
  R run(Transaction::Kind kind, F&& fn) {
    try {
      auto lease = kind == Transaction::Kind::kWrite ? pool_.acquire_writer() : pool_.acquire_for_read();
      if (!lease.ok()) return Unexpected{lease.error()};
      Connection& conn = **lease;
      auto tx = Transaction::begin(conn, kind);
      if (!tx.ok()) return Unexpected{tx.error()};
      PendingAuditEvent* pending = kind == Transaction::Kind::kWrite ? ScopedAuditEvent::current() : nullptr;
      // The request's nonce commits with its first write (nonce_scope.h).
      PendingNonce* nonce = kind == Transaction::Kind::kWrite ? ScopedRequestNonce::unrecorded() : nullptr;
      if (nonce) DUET_TRY_STATUS(insert_nonce_in(conn, *nonce));
      const int64_t changes_before = pending ? sqlite::total_changes(conn) : 0;
      R result = fn(conn);
      if (!result.ok()) return result;  // tx rolls back on destruction
      // Fail-closed audit (store.h, "audit"): a write that changed rows for
      // a bound action carries its event in the same transaction, or does
      // not commit.
      if (pending && sqlite::total_changes(conn) == changes_before) pending = nullptr;
      AuditEvent audited;
      if (pending) {
        audited = committed_event(*pending);
        hook("audit:before_append");
        // Whatever the cause, the caller sees "unavailable": the change was
        // not made because its audit record could not be written.
        if (!sqlite::append_audit_event(conn, audited).ok())
          return store_error(StoreError::kUnavailable, "audit log unavailable: the change was not made");
      }
      Status committed = tx->commit();
      if (!committed.ok()) return Unexpected{committed.error()};
      if (nonce) nonce->recorded = true;
      if (pending) {
        ++pending->appended;
        pending->last_seq = audited.seq;
      }
      return result;
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
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO request_nonces (tenant_id, app_id, nonce, seen_at) VALUES (?1, ?2, ?3, ?4)"));
    st.bind(1, tenant_id).bind(2, app_id).bind(3, nonce).bind(4, seen_at);
    return st.run();
  }

  // The bound request nonce, inside the transaction that commits with it; a
  // nonce seen before is the request's authentication failure.
  static Status insert_nonce_in(Connection& c, const PendingNonce& n) {
    Status done = insert_nonce_row(c, n.tenant_id, n.app_id, n.nonce, n.seen_at);
    if (!done.ok() && store_error_kind(done.error()) == StoreError::kDuplicate)
      return make_error(ErrorCode::kUnauthenticated, "nonce already used");
    return done;
  }

  template <typename T, typename F>
  Result<T> read(F&& fn) {
    return run<Result<T>>(Transaction::Kind::kRead, std::forward<F>(fn));
  }

  // A read that is ONE SELECT: no explicit transaction. In autocommit mode
  // the statement runs in its own implicit read transaction (one snapshot
  // from its first step until it is reset), which is exactly what
  // BEGIN DEFERRED + SELECT + COMMIT gave, minus two statements. Reads made
  // of several statements use read() for one snapshot across them.
  template <typename T, typename F>
  Result<T> read_single(F&& fn) {
    try {
      auto lease = pool_.acquire_for_read();
      if (!lease.ok()) return Unexpected{lease.error()};
      return fn(**lease);
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "store: unexpected exception");
    }
  }

  // A caller's row limit as an SQL LIMIT (size_t may not fit in int64).
  static int64_t clamp_limit(size_t limit) {
    constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int64_t>::max() - 1);
    return static_cast<int64_t>(std::min(limit, kMax));
  }

  // UPDATE with (?1 = id, ?2 = value) that must change exactly one row.
  Status update_one(std::string_view sql, std::string_view id, int64_t value, std::string_view what) {
    return write([&](Connection& c) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
      st.bind(1, id).bind(2, value);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      return n == 1 ? Status::Ok() : not_found(what);
    });
  }

  Status close_order(std::string_view tenant_id, std::string_view order_id, std::string_view to_state,
                     std::string_view from_states, const std::optional<CallbackJob>& callback, UnixSeconds now) {
    return write([&](Connection& c) -> Status {
      std::string sql = "UPDATE sign_orders SET state = ?3, updated_at = ?4 WHERE tenant_id = ?1 AND order_id = ?2 "
                        "AND expires_at > ?4 AND state IN ";
      sql += from_states;
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
      st.bind(1, tenant_id).bind(2, order_id).bind(3, to_state).bind(4, now);
      DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
      if (n != 1) return not_found_or_conflict(c, kOrderExists, tenant_id, order_id, "order");
      DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
      if (callback) DUET_TRY_STATUS(insert_callback(c, *callback, tenant_id, order_id, now));
      return Status::Ok();
    });
  }

  // The shared part of finish_order / finish_csr_order, inside the caller's
  // transaction: the order must be of `kind` (kInvalidArgument otherwise);
  // for kCsr, `cert` must name the order's holder and key.
  Status finish_in_tx(Connection& c, std::string_view tenant_id, std::string_view order_id,
                      std::string_view session_id, const std::vector<Bytes>& signatures, OrderKind kind,
                      const Certificate* cert, UnixSeconds now) {
    const std::string op = kind == OrderKind::kCsr ? "finish_csr_order" : "finish_order";
    DUET_ASSIGN_OR_RETURN(Statement sess, Statement::prepare(c,
        "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2"));
    sess.bind(1, tenant_id).bind(2, session_id);
    DUET_ASSIGN_OR_RETURN(bool found, sess.step());
    if (!found || sess.column_text(0) != order_id) return not_found("sign session");
    std::string holder_id = sess.column_text(1);

    DUET_ASSIGN_OR_RETURN(Statement order, Statement::prepare(c,
        "SELECT kind, key_id, holder_id FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2"));
    order.bind(1, tenant_id).bind(2, order_id);
    DUET_ASSIGN_OR_RETURN(bool order_found, order.step());
    if (!order_found) return not_found("order");
    DUET_ASSIGN_OR_RETURN(OrderKind order_kind, parse_order_kind(order.column_text(0)));
    if (order_kind != kind)
      return invalid(kind == OrderKind::kCsr ? "the order is not a certificate request"
                                             : "a certificate request order is finished with its certificate");
    if (cert && (cert->holder_id != order.column_text(2) || cert->key_id != order.column_text(1)))
      return invalid("the certificate must name the order's holder and key");

    DUET_ASSIGN_OR_RETURN(Statement count, Statement::prepare(c,
        "SELECT COUNT(*) FROM sign_order_items WHERE tenant_id = ?1 AND order_id = ?2"));
    count.bind(1, tenant_id).bind(2, order_id);
    DUET_TRY_STATUS(count.step());
    if (static_cast<size_t>(count.column_int(0)) != signatures.size())
      return invalid("one signature per order item is required");

    DUET_ASSIGN_OR_RETURN(Statement done, Statement::prepare(c,
        "UPDATE sign_orders SET state = 'signed', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
        "AND state IN ('pending', 'signing') AND expires_at > ?3"));
    done.bind(1, tenant_id).bind(2, order_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, done));
    if (n != 1) return conflict("order is no longer open for signing");
    hook(op + ":after_order_update");

    DUET_ASSIGN_OR_RETURN(Statement fin, Statement::prepare(c,
        "UPDATE sign_sessions SET state = 'finished', updated_at = ?4 WHERE tenant_id = ?1 AND session_id = ?2 "
        "AND order_id = ?3 AND state = 'open'"));
    fin.bind(1, tenant_id).bind(2, session_id).bind(3, order_id).bind(4, now);
    DUET_ASSIGN_OR_RETURN(n, run_changes(c, fin));
    if (n != 1) return conflict("sign session is not open");

    for (size_t i = 0; i < signatures.size(); ++i) {
      DUET_ASSIGN_OR_RETURN(Statement sig, Statement::prepare(c,
          "UPDATE sign_order_items SET signature = ?4 WHERE tenant_id = ?1 AND order_id = ?2 AND item_index = ?3"));
      sig.bind(1, tenant_id).bind(2, order_id).bind(3, static_cast<int64_t>(i)).bind(4, signatures[i]);
      DUET_ASSIGN_OR_RETURN(n, run_changes(c, sig));
      if (n != 1) return corrupt("order item missing");
    }
    // Other sessions of this order can no longer finish. The holder's
    // counters are not touched here: the valid PIN proof reset them at step
    // 1 (accept_sign_attempt), and a lock that came since stays.
    (void)holder_id;
    return fail_open_sessions(c, tenant_id, order_id, now);
  }

  static Result<int> read_version(Connection& c) {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    DUET_TRY_STATUS(st.step());
    return static_cast<int>(st.column_int(0));
  }

  static Result<Holder> load_holder(Connection& c, std::string_view tenant_id, std::string_view holder_id) {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kHolderCols, "holders", "tenant_id = ?1 AND holder_id = ?2")));
    st.bind(1, tenant_id).bind(2, holder_id);
    return query_one<Holder>(st, read_holder, "holder");
  }

  static Result<CallbackJob> load_callback(Connection& c, std::string_view tenant_id, std::string_view job_id) {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kCallbackCols, "callback_jobs", "tenant_id = ?1 AND job_id = ?2")));
    st.bind(1, tenant_id).bind(2, job_id);
    return query_one<CallbackJob>(st, read_callback, "callback");
  }

  void hook(std::string_view point) {
    if (options_.test_hook) options_.test_hook(point);
  }

  SqliteStoreOptions options_;
  ConnectionPool pool_;
};

}  // namespace

int sqlite_store_latest_schema_version() { return sqlite::migrations().back().version; }

Result<std::unique_ptr<Store>> open_sqlite_store(SqliteStoreOptions options) {
  if (options.path.empty()) return make_error(ErrorCode::kInvalidArgument, "sqlite store path is empty");
  auto store = std::make_unique<SqliteStore>(std::move(options));
  DUET_TRY_STATUS(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace duet::store
