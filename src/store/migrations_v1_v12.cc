// Schema versions 1..12 (store/migration_pieces.h). Published versions are
// never edited: a database at any older version replays the missing ones.
#include "store/migration_pieces.h"

namespace duet::store::migration_text {
namespace {

// Every table is keyed by tenant first (docs/architecture.md), so the same layout
// shards by tenant on a distributed backend. Unique indexes on credential
// hashes and app ids are global because those are the lookups that discover
// the tenant.
constexpr MigrationPiece kV1[] = {
    both(R"sql(
CREATE TABLE tenants (
  tenant_id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  production_active_from {int},
  suspended {int} NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
  created_at {int} NOT NULL
);

CREATE TABLE apps (
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
  app_id TEXT NOT NULL,
  secret_ciphertext {bytes} NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('sandbox', 'production')),
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, app_id)
);
CREATE UNIQUE INDEX apps_app_id ON apps (app_id);

CREATE TABLE holders (
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
  holder_id TEXT NOT NULL,
  name_ciphertext {bytes} NOT NULL,
  id_number_ciphertext {bytes} NOT NULL,
  phone_ciphertext {bytes} NOT NULL,
  lookup_hash {bytes} NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'locked')),
  failed_attempts {int} NOT NULL DEFAULT 0,
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, holder_id)
);
CREATE UNIQUE INDEX holders_lookup_hash ON holders (tenant_id, lookup_hash);

CREATE TABLE holder_keys (
  tenant_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  public_key_hex TEXT NOT NULL,
  service_share_ciphertext {bytes} NOT NULL,
  created_at {int} NOT NULL,
  revoked_at {int},
  PRIMARY KEY (tenant_id, key_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
CREATE UNIQUE INDEX holder_keys_one_active ON holder_keys (tenant_id, holder_id)
  WHERE revoked_at IS NULL;

CREATE TABLE activation_codes (
  tenant_id TEXT NOT NULL,
  code_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  code_hash {bytes} NOT NULL,
  expires_at {int} NOT NULL,
  attempts_left {int} NOT NULL,
  used_at {int},
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, code_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
CREATE UNIQUE INDEX activation_codes_hash ON activation_codes (code_hash);

CREATE TABLE device_tokens (
  tenant_id TEXT NOT NULL,
  token_hash {bytes} NOT NULL,
  holder_id TEXT NOT NULL,
  created_at {int} NOT NULL,
  revoked_at {int},
  PRIMARY KEY (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
CREATE UNIQUE INDEX device_tokens_hash ON device_tokens (token_hash);

CREATE TABLE sign_orders (
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  app_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  title TEXT NOT NULL,
  display_text TEXT NOT NULL,
  output_format TEXT NOT NULL CHECK (output_format IN ('raw', 'der')),
  expires_at {int} NOT NULL,
  callback_url TEXT NOT NULL,
  idempotency_key TEXT,
  state TEXT NOT NULL CHECK (state IN
    ('pending', 'signing', 'signed', 'rejected', 'expired', 'cancelled', 'failed')),
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, order_id),
  FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, app_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
CREATE UNIQUE INDEX sign_orders_idempotency ON sign_orders (tenant_id, app_id, idempotency_key);
CREATE INDEX sign_orders_holder_state ON sign_orders (tenant_id, holder_id, state);

CREATE TABLE sign_order_items (
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  item_index {int} NOT NULL,
  input {bytes} NOT NULL,
  input_is_digest {int} NOT NULL CHECK (input_is_digest IN (0, 1)),
  signature {bytes},
  PRIMARY KEY (tenant_id, order_id, item_index),
  FOREIGN KEY (tenant_id, order_id) REFERENCES sign_orders (tenant_id, order_id)
);

CREATE TABLE sign_sessions (
  tenant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  r_values TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'finished', 'failed')),
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, session_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES sign_orders (tenant_id, order_id)
);
CREATE INDEX sign_sessions_order ON sign_sessions (tenant_id, order_id);

CREATE TABLE request_nonces (
  tenant_id TEXT NOT NULL,
  app_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  seen_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, app_id, nonce),
  FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, app_id)
);
CREATE INDEX request_nonces_seen_at ON request_nonces (seen_at);

CREATE TABLE callback_jobs (
  tenant_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts {int} NOT NULL DEFAULT 0,
  next_attempt_at {int} NOT NULL,
  delivered_at {int},
  last_error TEXT NOT NULL DEFAULT '',
  lease_owner TEXT,
  lease_until {int},
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, job_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES sign_orders (tenant_id, order_id)
);

CREATE TABLE admin_tokens (
  token_hash {bytes} NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at {int} NOT NULL,
  revoked_at {int}
);
)sql"),
};

// Indexes for the cross-tenant sweeps (expiry, callback queue).
constexpr MigrationPiece kV2[] = {
    both(R"sql(
CREATE INDEX sign_orders_open_expiry ON sign_orders (expires_at)
  WHERE state IN ('pending', 'signing');
CREATE INDEX callback_jobs_due ON callback_jobs (next_attempt_at)
  WHERE delivered_at IS NULL;
)sql"),
};

// Indexes for paging a tenant's orders newest first (list_orders), with and
// without a holder filter, and for revoking a holder's device tokens at
// re-enrollment (complete_activation).
constexpr MigrationPiece kV3[] = {
    both(R"sql(
CREATE INDEX sign_orders_tenant_created ON sign_orders (tenant_id, created_at, order_id);
CREATE INDEX sign_orders_holder_created ON sign_orders (tenant_id, holder_id, created_at, order_id);
CREATE INDEX device_tokens_holder ON device_tokens (tenant_id, holder_id);
)sql"),
};

// Certificates (issue 4): app issuance settings, how a holder's identity was
// checked, SMS one-time codes on activation codes, order kinds (kCsr orders
// sign a holder's certificate request), issued certificates, and the global
// CA material with a CRL number counter per issuer. Existing rows take the
// column defaults: apps "attested"/no OTP/"pkcs7", holders "" (not
// recorded), codes without OTP, orders kind 'sign'.
constexpr MigrationPiece kV4[] = {
    both(R"sql(
ALTER TABLE apps ADD COLUMN identity_mode TEXT NOT NULL DEFAULT 'attested'
  CHECK (identity_mode IN ('attested', 'identity_source'));
ALTER TABLE apps ADD COLUMN sms_otp_required {int} NOT NULL DEFAULT 0 CHECK (sms_otp_required IN (0, 1));
ALTER TABLE apps ADD COLUMN cms_oid_style TEXT NOT NULL DEFAULT 'pkcs7' CHECK (cms_oid_style IN ('pkcs7', 'gmt'));

ALTER TABLE holders ADD COLUMN identity_verification TEXT NOT NULL DEFAULT ''
  CHECK (identity_verification IN ('', 'attested', 'identity_source'));
ALTER TABLE holders ADD COLUMN identity_verified_by TEXT NOT NULL DEFAULT '';
ALTER TABLE holders ADD COLUMN identity_verified_at {int} NOT NULL DEFAULT 0;
ALTER TABLE holders ADD COLUMN identity_reference TEXT NOT NULL DEFAULT '';

)sql"),
    // The empty byte string as a column default.
    per_dialect(R"sql(
ALTER TABLE activation_codes ADD COLUMN otp_hash BLOB NOT NULL DEFAULT X'';
)sql",
                R"sql(
ALTER TABLE activation_codes ADD COLUMN otp_hash BYTEA NOT NULL DEFAULT '\x'::bytea;
)sql"),
    both(R"sql(
ALTER TABLE activation_codes ADD COLUMN otp_attempts_left {int} NOT NULL DEFAULT 0 CHECK (otp_attempts_left >= 0);

ALTER TABLE sign_orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'sign' CHECK (kind IN ('sign', 'csr'));
ALTER TABLE sign_orders ADD COLUMN key_id TEXT NOT NULL DEFAULT '';

CREATE TABLE certificates (
  tenant_id TEXT NOT NULL,
  cert_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  serial_hex TEXT NOT NULL,
  issuer_id TEXT NOT NULL,
  der {bytes} NOT NULL,
  not_before {int} NOT NULL,
  not_after {int} NOT NULL,
  revoked_at {int},
  revocation_reason {int} NOT NULL DEFAULT 0,
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, cert_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id),
  FOREIGN KEY (tenant_id, key_id) REFERENCES holder_keys (tenant_id, key_id)
);
-- OCSP and CRL name a certificate by serial alone: unique across tenants.
CREATE UNIQUE INDEX certificates_serial ON certificates (serial_hex);
CREATE INDEX certificates_holder ON certificates (tenant_id, holder_id, created_at, cert_id);
CREATE INDEX certificates_revoked ON certificates (issuer_id, serial_hex) WHERE revoked_at IS NOT NULL;

CREATE TABLE certificate_authorities (
  ca_id TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp')),
  certificate_der {bytes} NOT NULL,
  sealed_private_key {bytes} NOT NULL,
  created_at {int} NOT NULL,
  active {int} NOT NULL CHECK (active IN (0, 1))
);

CREATE TABLE crl_numbers (
  issuer_id TEXT NOT NULL PRIMARY KEY,
  last_number {int} NOT NULL
);
)sql"),
};

// CMS outputs (issue 4 item 6): output_format stays 'raw' | 'der' (its CHECK
// cannot be altered in place); a CMS order is 'der' with cms_output
// 'detached' | 'attached', and names the signer's certificate and OID style.
constexpr MigrationPiece kV5[] = {
    both(R"sql(
ALTER TABLE sign_orders ADD COLUMN cms_output TEXT NOT NULL DEFAULT ''
  CHECK (cms_output IN ('', 'detached', 'attached'));
ALTER TABLE sign_orders ADD COLUMN signer_cert_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sign_orders ADD COLUMN cms_oid_style TEXT NOT NULL DEFAULT ''
  CHECK (cms_oid_style IN ('', 'pkcs7', 'gmt'));
)sql"),
};

// Share refresh (issue 4 item 4, docs/protocol.md §7).
constexpr MigrationPiece kV6[] = {
    both(R"sql(
CREATE TABLE share_refreshes (
  tenant_id TEXT NOT NULL,
  refresh_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  sealed_rho {bytes} NOT NULL,
  pending_share_ciphertext {bytes} NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'confirmed', 'abandoned')),
  created_at {int} NOT NULL,
  confirmed_at {int},
  PRIMARY KEY (tenant_id, refresh_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id),
  FOREIGN KEY (tenant_id, key_id) REFERENCES holder_keys (tenant_id, key_id)
);
)sql"),
};

// Issue 5 (service rules). Each version belongs to one area; until an area
// lands its version is a no-op so the numbering stays fixed.
// v7: packages, usage records and notices (metering, store.h "packages and
// metering"); callback_jobs.order_id becomes nullable so the same persistent
// queue also carries notice webhooks (order_id NULL).
constexpr MigrationPiece kV7[] = {
    both(R"sql(
CREATE TABLE packages (
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
  package_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('per_signature', 'per_user', 'unlimited')),
  quantity {int} NOT NULL CHECK (quantity >= 0),
  used {int} NOT NULL DEFAULT 0 CHECK (used >= 0),
  starts_at {int} NOT NULL,
  expires_at {int} NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('purchase', 'sla_credit')),
  note TEXT NOT NULL DEFAULT '',
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, package_id),
  CHECK (kind = 'unlimited' OR used <= quantity),
  CHECK (expires_at > starts_at)
);
CREATE INDEX packages_tenant_expiry ON packages (tenant_id, kind, expires_at);
CREATE INDEX packages_expiry ON packages (expires_at);

-- Usage records outlive orders and holders (kept >= 1 year): no foreign key
-- to them, so no other purge can take a record with it.
CREATE TABLE usage_records (
  tenant_id TEXT NOT NULL,
  usage_id TEXT NOT NULL,
  package_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('per_signature', 'per_user')),
  order_id TEXT NOT NULL DEFAULT '',
  item_index {int} NOT NULL DEFAULT 0,
  holder_id TEXT NOT NULL,
  counted_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, usage_id),
  FOREIGN KEY (tenant_id, package_id) REFERENCES packages (tenant_id, package_id)
);
CREATE UNIQUE INDEX usage_records_item ON usage_records (tenant_id, order_id, item_index)
  WHERE kind = 'per_signature';
CREATE UNIQUE INDEX usage_records_holder ON usage_records (tenant_id, holder_id) WHERE kind = 'per_user';
CREATE INDEX usage_records_tenant_counted ON usage_records (tenant_id, counted_at);
CREATE INDEX usage_records_counted ON usage_records (counted_at);

CREATE TABLE notices (
  tenant_id TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  package_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended')),
  created_at {int} NOT NULL,
  webhook_state TEXT NOT NULL CHECK (webhook_state IN ('pending', 'queued', 'none')),
  PRIMARY KEY (tenant_id, notice_id),
  FOREIGN KEY (tenant_id, package_id) REFERENCES packages (tenant_id, package_id)
);
CREATE UNIQUE INDEX notices_once ON notices (tenant_id, package_id, kind);
CREATE INDEX notices_tenant_created ON notices (tenant_id, created_at, notice_id);
CREATE INDEX notices_pending ON notices (created_at) WHERE webhook_state = 'pending';

CREATE TABLE tenant_notify_targets (
  tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
  url TEXT NOT NULL,
  secret_ciphertext {bytes} NOT NULL,
  updated_at {int} NOT NULL
);

)sql"),
    // Notice webhooks have no order: order_id becomes nullable. SQLite cannot
    // drop NOT NULL in place, so it rebuilds the table (nothing references
    // callback_jobs).
    per_dialect(R"sql(
CREATE TABLE callback_jobs_v7 (
  tenant_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  order_id TEXT,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delivered_at INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, job_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES sign_orders (tenant_id, order_id)
);
INSERT INTO callback_jobs_v7 (tenant_id, job_id, order_id, url, payload, attempts, next_attempt_at, delivered_at,
  last_error, lease_owner, lease_until, created_at)
  SELECT tenant_id, job_id, order_id, url, payload, attempts, next_attempt_at, delivered_at, last_error,
    lease_owner, lease_until, created_at FROM callback_jobs;
DROP TABLE callback_jobs;
ALTER TABLE callback_jobs_v7 RENAME TO callback_jobs;
CREATE INDEX callback_jobs_due ON callback_jobs (next_attempt_at) WHERE delivered_at IS NULL;
)sql",
                R"sql(
-- Notice webhooks have no order (SQLite rebuilds the table for this).
ALTER TABLE callback_jobs ALTER COLUMN order_id DROP NOT NULL;
)sql"),
};

// v8: the hash-chained audit log and its signed checkpoints (docs/audit.md).
// audit_head is one row (id 1): the chain head, read and advanced in the
// same transaction as every append, so appenders serialise on it and seq has
// no gaps. Events are global (the chain spans every tenant); tenant_id is a
// column for export by tenant.
constexpr MigrationPiece kV8[] = {
    both(R"sql(
CREATE TABLE audit_events (
  seq {int} NOT NULL PRIMARY KEY,
  at {int} NOT NULL,
  tenant_id TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  address TEXT NOT NULL,
  request_id TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash {bytes} NOT NULL,
  hash {bytes} NOT NULL
);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, at, seq);
)sql"),
    // PostgreSQL's v8 also indexed the whole log by time; SQLite's shipped
    // without that index (published versions stay as they are).
    per_dialect("", R"sql(
CREATE INDEX audit_events_by_time ON audit_events (at, seq);
)sql"),
    both(R"sql(
CREATE TABLE audit_head (
  id {int} NOT NULL PRIMARY KEY CHECK (id = 1),
  seq {int} NOT NULL,
  hash {bytes} NOT NULL
);
)sql"),
    // The genesis head: seq 0 and 32 zero bytes.
    per_dialect(R"sql(
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
)sql",
                R"sql(
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
)sql"),
    both(R"sql(
CREATE TABLE audit_checkpoints (
  seq {int} NOT NULL PRIMARY KEY,
  hash {bytes} NOT NULL,
  signed_at {int} NOT NULL,
  key_id TEXT NOT NULL,
  signature {bytes} NOT NULL
);
CREATE TABLE audit_keys (
  key_id TEXT NOT NULL PRIMARY KEY,
  public_key_der {bytes} NOT NULL,
  sealed_private_key {bytes} NOT NULL,
  created_at {int} NOT NULL
);
)sql"),
};

// v9: availability minutes, maintenance windows, SLA credits.
constexpr MigrationPiece kV9[] = {
    both(R"sql(
-- Per-minute counts, added into by every node (tenant_id '' = the service row).
CREATE TABLE availability_minutes (
  tenant_id TEXT NOT NULL,
  minute {int} NOT NULL CHECK (minute % 60 = 0),
  requests {int} NOT NULL DEFAULT 0,
  normal {int} NOT NULL DEFAULT 0,
  total_us {int} NOT NULL DEFAULT 0,
  max_us {int} NOT NULL DEFAULT 0,
  probes_ok {int} NOT NULL DEFAULT 0,
  probes_failed {int} NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, minute)
);
CREATE TABLE maintenance_windows (
  window_id TEXT NOT NULL PRIMARY KEY,
  starts_at {int} NOT NULL,
  ends_at {int} NOT NULL,
  announced_at {int} NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_start ON maintenance_windows (starts_at);
CREATE TABLE sla_credits (
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
  credit_id TEXT NOT NULL,
  month TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('signatures', 'days')),
  band TEXT NOT NULL CHECK (band IN ('A', 'B', 'C')),
  amount {int} NOT NULL CHECK (amount >= 1),
  basis TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('proposed', 'approved')),
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  approved_at {int},
  approved_by TEXT NOT NULL DEFAULT '',
  package_id TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, credit_id)
);
CREATE UNIQUE INDEX sla_credits_once ON sla_credits (tenant_id, month, kind);
CREATE UNIQUE INDEX sla_credits_id ON sla_credits (credit_id);
-- Fixed-window request counters (rate limits), shared by every node.
CREATE TABLE rate_windows (
  tenant_id TEXT NOT NULL,
  scope_key TEXT NOT NULL,
  window_start {int} NOT NULL,
  count {int} NOT NULL,
  PRIMARY KEY (tenant_id, scope_key, window_start)
);
CREATE INDEX rate_windows_start ON rate_windows (window_start);
CREATE TABLE tenant_rate_limits (
  tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
  requests_per_second {int} NOT NULL CHECK (requests_per_second >= 1),
  updated_at {int} NOT NULL
);
)sql"),
};

// v10: retention, rate-limit windows, personal-data purge bookkeeping.
constexpr MigrationPiece kV10[] = {
    both(R"sql(
-- Retention settings changed over the Admin API (one row; absent = the
-- [retention] table of the config file applies).
CREATE TABLE retention_settings (
  id {int} NOT NULL PRIMARY KEY CHECK (id = 1),
  order_payload_days {int} NOT NULL CHECK (order_payload_days >= 0),
  identity_days {int} NOT NULL CHECK (identity_days >= 0),
  expired_key_days {int} NOT NULL CHECK (expired_key_days >= 0),
  interval_seconds {int} NOT NULL CHECK (interval_seconds >= 1),
  updated_at {int} NOT NULL,
  updated_by TEXT NOT NULL
);
-- When a final order's payload (item data, display text) was purged; the
-- data items then hold SM3(data).
ALTER TABLE sign_orders ADD COLUMN payload_purged_at {int};
CREATE INDEX sign_orders_payload_purge ON sign_orders (updated_at)
  WHERE payload_purged_at IS NULL AND state IN ('signed', 'rejected', 'expired', 'cancelled', 'failed');
-- When a holder's ID number and phone ciphertexts were purged (emptied).
ALTER TABLE holders ADD COLUMN identity_purged_at {int};
-- Generic leases: one row per timer name, held by one owner until expires_at.
CREATE TABLE leases (
  name TEXT NOT NULL PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at {int} NOT NULL
);
)sql"),
};

// v11: request-signature v1 cut-off per tenant (core/business_auth.h) and
// tenant notices that announce it: notices gets a nullable package_id (NULL
// exactly for the tenant kind, so the (tenant, package) foreign key is not
// checked for it), the new kind, and effective_at (the date a tenant notice
// announces).
constexpr MigrationPiece kV11[] = {
    both(R"sql(
ALTER TABLE tenants ADD COLUMN signature_v1_cutoff {int};

)sql"),
    // notices: package_id nullable, the new kind, effective_at. SQLite cannot
    // alter a CHECK or drop NOT NULL in place, so it rebuilds the table
    // (nothing references notices); notices_kind_check is the name
    // PostgreSQL gave v7's column CHECK.
    per_dialect(R"sql(
CREATE TABLE notices_v11 (
  tenant_id TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  package_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended',
                                     'signature_v1_cutoff')),
  created_at INTEGER NOT NULL,
  webhook_state TEXT NOT NULL CHECK (webhook_state IN ('pending', 'queued', 'none')),
  effective_at INTEGER,
  PRIMARY KEY (tenant_id, notice_id),
  FOREIGN KEY (tenant_id, package_id) REFERENCES packages (tenant_id, package_id),
  CHECK ((package_id IS NULL) = (kind = 'signature_v1_cutoff'))
);
INSERT INTO notices_v11 (tenant_id, notice_id, package_id, kind, created_at, webhook_state)
  SELECT tenant_id, notice_id, package_id, kind, created_at, webhook_state FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v11 RENAME TO notices;
CREATE UNIQUE INDEX notices_once ON notices (tenant_id, package_id, kind);
CREATE INDEX notices_tenant_created ON notices (tenant_id, created_at, notice_id);
CREATE INDEX notices_pending ON notices (created_at) WHERE webhook_state = 'pending';
)sql",
                R"sql(
ALTER TABLE notices ALTER COLUMN package_id DROP NOT NULL;
ALTER TABLE notices ADD COLUMN effective_at BIGINT;
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('used_80', 'used_90', 'used_100',
  'expiring_30d', 'expiring_7d', 'ended', 'signature_v1_cutoff'));
ALTER TABLE notices ADD CONSTRAINT notices_tenant_kind CHECK ((package_id IS NULL) = (kind = 'signature_v1_cutoff'));
)sql"),
};

// v12: protocol v2 PIN attempts (docs/protocol.md §5.3). One row per PIN use,
// pending until its proof is checked; the failure budget counts pending and
// failed rows in its window (the index serves that count, taken with the
// holder's row locked). refresh_required: set by an unlock, cleared by a
// confirmed share refresh or a new enrollment.
constexpr MigrationPiece kV12[] = {
    both(R"sql(
ALTER TABLE apps ADD COLUMN pin_failure_budget {int} CHECK (pin_failure_budget IS NULL OR pin_failure_budget >= 1);
ALTER TABLE holders ADD COLUMN refresh_required {int} NOT NULL DEFAULT 0 CHECK (refresh_required IN (0, 1));
CREATE TABLE pin_attempts (
  tenant_id TEXT NOT NULL,
  attempt_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  started_at {int} NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'ok', 'failed', 'forgiven')),
  PRIMARY KEY (tenant_id, attempt_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
CREATE INDEX pin_attempts_holder ON pin_attempts (tenant_id, holder_id, started_at);
)sql"),
};


constexpr VersionPieces kVersions[] = {{1, kV1}, {2, kV2}, {3, kV3}, {4, kV4},   {5, kV5},   {6, kV6},
                                       {7, kV7}, {8, kV8}, {9, kV9}, {10, kV10}, {11, kV11}, {12, kV12}};

}  // namespace

std::span<const VersionPieces> first_wave_versions() { return kVersions; }

}  // namespace duet::store::migration_text
