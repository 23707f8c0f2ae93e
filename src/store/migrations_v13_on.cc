// Schema versions 13 on (store/migration_pieces.h). Append a new version at
// the end, and to kVersions; never edit a published one.
#include "store/migration_pieces.h"

namespace duet::store::migration_text {
namespace {

// Issue 12: the time-stamping unit's key and certificate are a CA record of
// role 'tsa'. SQLite cannot change a CHECK in place, so it rebuilds the table
// (nothing references certificate_authorities).
constexpr MigrationPiece kV13[] = {
    per_dialect(R"sql(
CREATE TABLE certificate_authorities_v13 (
  ca_id TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp', 'tsa')),
  certificate_der BLOB NOT NULL,
  sealed_private_key BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  active INTEGER NOT NULL CHECK (active IN (0, 1))
);
INSERT INTO certificate_authorities_v13 (ca_id, role, certificate_der, sealed_private_key, created_at, active)
  SELECT ca_id, role, certificate_der, sealed_private_key, created_at, active FROM certificate_authorities;
DROP TABLE certificate_authorities;
ALTER TABLE certificate_authorities_v13 RENAME TO certificate_authorities;
)sql",
                R"sql(
ALTER TABLE certificate_authorities DROP CONSTRAINT certificate_authorities_role_check;
ALTER TABLE certificate_authorities ADD CONSTRAINT certificate_authorities_role_check
  CHECK (role IN ('root', 'issuing', 'ocsp', 'tsa'));
)sql"),
};

// Issue 12: the tenant's certificate identity policy — whether holder
// certificates carry the GM/T 0015 identity-code extension ('gmt0015') or no
// ID number at all ('none', the default for every existing tenant).
constexpr MigrationPiece kV14[] = {
    both(R"sql(
ALTER TABLE tenants ADD COLUMN cert_identity_policy TEXT NOT NULL DEFAULT 'none'
  CHECK (cert_identity_policy IN ('none', 'gmt0015'));
)sql"),
};

// Issue 14 item 7: checkpoints chain to each other (docs/audit.md). prev_hash
// is the checkpoint_hash of the previous checkpoint (NULL for the v1
// checkpoints signed before); the unique index lets no two checkpoints name
// the same predecessor, so concurrent signers cannot fork the chain.
constexpr MigrationPiece kV15[] = {
    both(R"sql(
ALTER TABLE audit_checkpoints ADD COLUMN prev_hash {bytes};
CREATE UNIQUE INDEX audit_checkpoints_prev ON audit_checkpoints (prev_hash);
)sql"),
};

// v16: the sandbox is a separate environment (docs/metering.md "Sandbox"):
// holders and orders carry the environment of the app that created them;
// existing rows take it from that app (production when no app is recorded).
// One identity may be a holder in each environment.
constexpr MigrationPiece kV16[] = {
    both(R"sql(
ALTER TABLE holders ADD COLUMN environment TEXT NOT NULL DEFAULT 'production'
  CHECK (environment IN ('sandbox', 'production'));
UPDATE holders SET environment = 'sandbox'
  WHERE identity_verified_by IN (SELECT app_id FROM apps WHERE environment = 'sandbox');
ALTER TABLE sign_orders ADD COLUMN environment TEXT NOT NULL DEFAULT 'production'
  CHECK (environment IN ('sandbox', 'production'));
UPDATE sign_orders SET environment = 'sandbox'
  WHERE app_id IN (SELECT app_id FROM apps WHERE environment = 'sandbox');
DROP INDEX holders_lookup_hash;
CREATE UNIQUE INDEX holders_lookup_hash ON holders (tenant_id, environment, lookup_hash);
)sql"),
};

// v17, issue 12 item 3: sign orders with output "pdf" (docs/pdf.md "Sign
// orders"). sign_orders keeps 'der' + cms_output 'detached' (the item's
// signature is the CMS) and says 'pdf' in document_output; the documents are
// rows of order_documents, one per item, written with the order and deleted
// with its payload by the retention rules.
constexpr MigrationPiece kV17[] = {
    both(R"sql(
ALTER TABLE sign_orders ADD COLUMN document_output TEXT NOT NULL DEFAULT ''
  CHECK (document_output IN ('', 'pdf'));
CREATE TABLE order_documents (
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  item_index {int} NOT NULL CHECK (item_index >= 0),
  prepared_pdf {bytes} NOT NULL,
  byte_range_1 {int} NOT NULL,
  byte_range_2 {int} NOT NULL,
  byte_range_3 {int} NOT NULL,
  sub_filter TEXT NOT NULL CHECK (sub_filter IN ('ETSI.CAdES.detached', 'adbe.pkcs7.detached')),
  signing_time {int} NOT NULL,
  field_name TEXT NOT NULL,
  stamped_pages TEXT NOT NULL,
  page_count {int} NOT NULL CHECK (page_count >= 1),
  signed_pdf {bytes},
  PRIMARY KEY (tenant_id, order_id, item_index),
  FOREIGN KEY (tenant_id, order_id) REFERENCES sign_orders (tenant_id, order_id)
);
)sql"),
};

// v18, issue 13 item 3: the tenant portal's users and sessions
// (store/portal_users.h, docs/portal.md). A login names one user across all
// tenants (the sign-in form asks no tenant); a session row keeps only the
// keyed hash of the cookie's token.
constexpr MigrationPiece kV18[] = {
    both(R"sql(
CREATE TABLE portal_users (
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
  user_id TEXT NOT NULL,
  login TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  password_hash TEXT NOT NULL,
  totp_secret_sealed {bytes},
  failed_signins {int} NOT NULL DEFAULT 0 CHECK (failed_signins >= 0),
  locked_until {int},
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);
CREATE UNIQUE INDEX portal_users_login ON portal_users (login);
CREATE TABLE portal_sessions (
  token_hash {bytes} NOT NULL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at {int} NOT NULL,
  expires_at {int} NOT NULL,
  revoked_at {int},
  FOREIGN KEY (tenant_id, user_id) REFERENCES portal_users (tenant_id, user_id)
);
CREATE INDEX portal_sessions_user ON portal_sessions (tenant_id, user_id);
)sql"),
};

// v19, issue 14 item 3: incidents (docs/sla.md "Incidents"): what failed,
// when it was answered, fixed and switched to disaster recovery (§4.1), and
// the causes the agreement excludes from the availability (§4.3). tenant_id
// '' is an incident of every tenant; a customer-side cause names its tenant.
// Maintenance windows say whether they are a fault drill.
constexpr MigrationPiece kV19[] = {
    both(R"sql(
CREATE TABLE sla_incidents (
  incident_id TEXT NOT NULL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  services TEXT NOT NULL CHECK (services IN ('signing', 'certificate', 'both')),
  cause TEXT NOT NULL CHECK (cause IN ('service', 'customer_side', 'third_party')),
  description TEXT NOT NULL,
  started_at {int} NOT NULL,
  response_started_at {int} CHECK (response_started_at >= started_at),
  resolved_at {int} CHECK (resolved_at >= started_at),
  dr_switched_at {int} CHECK (dr_switched_at >= started_at),
  created_by TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  CHECK (cause <> 'customer_side' OR tenant_id <> '')
);
CREATE INDEX sla_incidents_started ON sla_incidents (started_at);
ALTER TABLE maintenance_windows ADD COLUMN kind TEXT NOT NULL DEFAULT 'maintenance'
  CHECK (kind IN ('maintenance', 'fault_drill'));
)sql"),
};

// v20, issue 14 item 6: notices that reach people. Notices get the kinds of
// planned maintenance and its withdrawal, the window they are about
// (subject_id), and their e-mail delivery (email_state pending -> sent |
// failed | none, attempts, next try, last error code, sent_at); notices from
// before stay unsent by e-mail ('none'). tenant_contacts holds the address a
// tenant's notices are mailed to (business data; never logged).
constexpr MigrationPiece kV20[] = {
    per_dialect(R"sql(
CREATE TABLE notices_v19 (
  tenant_id TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  package_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended',
                                     'signature_v1_cutoff', 'maintenance_planned', 'maintenance_cancelled')),
  created_at INTEGER NOT NULL,
  webhook_state TEXT NOT NULL CHECK (webhook_state IN ('pending', 'queued', 'none')),
  effective_at INTEGER,
  subject_id TEXT NOT NULL DEFAULT '',
  email_state TEXT NOT NULL DEFAULT 'pending' CHECK (email_state IN ('pending', 'sent', 'failed', 'none')),
  email_attempts INTEGER NOT NULL DEFAULT 0,
  email_next_at INTEGER NOT NULL DEFAULT 0,
  email_last_error TEXT NOT NULL DEFAULT '',
  email_sent_at INTEGER,
  PRIMARY KEY (tenant_id, notice_id),
  FOREIGN KEY (tenant_id, package_id) REFERENCES packages (tenant_id, package_id),
  CHECK ((package_id IS NULL) = (kind NOT IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended')))
);
INSERT INTO notices_v19 (tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at, email_state)
  SELECT tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at, 'none' FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v19 RENAME TO notices;
CREATE UNIQUE INDEX notices_once ON notices (tenant_id, package_id, kind);
CREATE INDEX notices_tenant_created ON notices (tenant_id, created_at, notice_id);
CREATE INDEX notices_pending ON notices (created_at) WHERE webhook_state = 'pending';
CREATE INDEX notices_email_due ON notices (email_next_at) WHERE email_state = 'pending';
)sql",
                R"sql(
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended',
                                     'signature_v1_cutoff', 'maintenance_planned', 'maintenance_cancelled'));
ALTER TABLE notices DROP CONSTRAINT notices_tenant_kind;
ALTER TABLE notices ADD CONSTRAINT notices_tenant_kind CHECK ((package_id IS NULL) = (kind NOT IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended')));
ALTER TABLE notices ADD COLUMN subject_id TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN email_state TEXT NOT NULL DEFAULT 'none'
  CHECK (email_state IN ('pending', 'sent', 'failed', 'none'));
ALTER TABLE notices ALTER COLUMN email_state SET DEFAULT 'pending';
ALTER TABLE notices ADD COLUMN email_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN email_next_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN email_last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN email_sent_at BIGINT;
CREATE INDEX notices_email_due ON notices (email_next_at) WHERE email_state = 'pending';
)sql"),
    both(R"sql(
CREATE TABLE tenant_contacts (
  tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
  email TEXT NOT NULL CHECK (email <> ''),
  updated_at {int} NOT NULL
);
)sql"),
};

// v21, issue 14 item 4: versioned SLA-terms documents (immutable, with the
// SM3 digest of their bytes), the version each tenant's contract pins, and
// compensation claims (docs/sla.md "SLA terms", "Claims"). No backfill:
// existing tenants pin nothing and keep the service's [sla] table.
constexpr MigrationPiece kV21[] = {
    both(R"sql(
CREATE TABLE sla_terms (
  version TEXT NOT NULL PRIMARY KEY,
  digest_hex TEXT NOT NULL,
  document TEXT NOT NULL,
  recorded_at {int} NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE TABLE tenant_sla_terms (
  tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
  version TEXT NOT NULL REFERENCES sla_terms (version),
  pinned_at {int} NOT NULL,
  pinned_by TEXT NOT NULL
);
CREATE TABLE sla_claims (
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
  claim_id TEXT NOT NULL,
  month TEXT NOT NULL,
  statement TEXT NOT NULL,
  filed_by TEXT NOT NULL,
  filed_at {int} NOT NULL,
  terms_version TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('filed', 'approved', 'refused')),
  decided_at {int},
  decided_by TEXT NOT NULL DEFAULT '',
  decision_reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, claim_id),
  UNIQUE (tenant_id, month)
);
CREATE UNIQUE INDEX sla_claims_id ON sla_claims (claim_id);
)sql"),
};

// v22, issue 12: the holder's handwritten-signature image (docs/pdf.md
// "Handwritten signature"), one per holder, replaced or deleted by the holder.
// The PNG is sealed like the holder's other personal fields (DataProtector,
// context "holder:<tenant>:<holder>:handwritten_signature"); its size in
// pixels is kept in clear so no read has to open it to describe it.
constexpr MigrationPiece kV22[] = {
    both(R"sql(
CREATE TABLE holder_handwritten_signatures (
  tenant_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  sealed_png {bytes} NOT NULL,
  width {int} NOT NULL CHECK (width >= 1),
  height {int} NOT NULL CHECK (height >= 1),
  updated_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, holder_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
)sql"),
};

// v23, issue 12 item 5: the signed attributes' profile of a digest-only CMS
// order (records.h SignOrder::cms_profile): '' as before, or 'pades' (no
// signingTime), which duet-gateway asks for to embed ETSI.CAdES.detached.
// Existing orders keep the profile they were signed with ('').
constexpr MigrationPiece kV23[] = {
    both(R"sql(
ALTER TABLE sign_orders ADD COLUMN cms_profile TEXT NOT NULL DEFAULT ''
  CHECK (cms_profile IN ('', 'pades'));
)sql"),
};

// v24, issue 14 item 5: the holder's acceptance of the subscriber agreement
// and of the identity-data-source check (docs/consent.md), one row per
// (holder, document, version): the text's SM3, when it was accepted, through
// which channel and who attested it. Recorded before identity checking and
// issuance; kept with the holder.
constexpr MigrationPiece kV24[] = {
    both(R"sql(
CREATE TABLE holder_consents (
  tenant_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  document TEXT NOT NULL CHECK (document IN ('subscriber_agreement', 'identity_check')),
  version TEXT NOT NULL,
  text_sm3 {bytes} NOT NULL,
  accepted_at {int} NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('holder_app', 'business_system')),
  attested_by TEXT NOT NULL,
  recorded_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, holder_id, document, version),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
)sql"),
};

// v25, issue 14 item 8: erasure that erases (docs/privacy.md). Each holder's
// personal fields are sealed under the holder's own random data key, kept
// here wrapped by the service's data protector (itself under the KEK), bound
// to "holder_data_key:<tenant>:<holder>"; erasing the holder deletes the row,
// so its fields no longer open, in backups either once the key is gone from
// the key material a restore uses. No foreign key to holders: the key seals
// the fields of the row being created. The purge record says what was
// destroyed, when and by whom (no personal data).
constexpr MigrationPiece kV25[] = {
    both(R"sql(
CREATE TABLE holder_data_keys (
  tenant_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  wrapped_key {bytes} NOT NULL,
  created_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, holder_id)
);
CREATE TABLE holder_erasures (
  tenant_id TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  erased_at {int} NOT NULL,
  erased_by TEXT NOT NULL,
  destroyed TEXT NOT NULL,
  revoked_certificates TEXT NOT NULL,
  retain_until {int} NOT NULL,
  PRIMARY KEY (tenant_id, holder_id),
  FOREIGN KEY (tenant_id, holder_id) REFERENCES holders (tenant_id, holder_id)
);
)sql"),
};

// v26, issue 14 item 7: disclosures of a tenant's audit events to a
// regulator (§4.4; docs/audit.md "Export for a regulator"): requested by an
// auditor, approved or refused by a security officer (not the requester),
// run once. The state moves only forward, by conditional updates.
constexpr MigrationPiece kV26[] = {
    both(R"sql(
CREATE TABLE audit_disclosures (
  disclosure_id TEXT NOT NULL PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
  from_at {int} NOT NULL,
  to_at {int} NOT NULL CHECK (to_at > from_at),
  purpose TEXT NOT NULL CHECK (purpose <> ''),
  requested_by TEXT NOT NULL,
  requested_at {int} NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'refused', 'run')),
  decided_at {int},
  decided_by TEXT NOT NULL DEFAULT '',
  decision_reason TEXT NOT NULL DEFAULT '',
  run_at {int},
  run_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_disclosures_requested ON audit_disclosures (requested_at);
)sql"),
};

// v27, issue 14 item 7: the delivery record of the audit checkpoint webhook
// ([audit] checkpoint_webhook_url; docs/audit.md "The checkpoint webhook"):
// one row per checkpoint handed to the external party, pending until it
// answered 2xx. Not a copy of the checkpoint (that stays in
// audit_checkpoints): only what was sent when, and how it went.
constexpr MigrationPiece kV27[] = {
    both(R"sql(
CREATE TABLE audit_checkpoint_deliveries (
  seq {int} NOT NULL PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
  attempts {int} NOT NULL DEFAULT 0,
  next_at {int} NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  delivered_at {int},
  created_at {int} NOT NULL
);
)sql"),
};

// v28, issue 12 item 3: hybrid-cloud previews. tenants.hybrid_previews (0
// by default, set by an operator) allows duet-gateway to upload PNGs of the
// pages it stamps for the tenant's digest-only orders; order_previews keeps
// them (one row per page) until the order's payload is purged (retention)
// — never a byte of the PDF itself.
constexpr MigrationPiece kV28[] = {
    both(R"sql(
ALTER TABLE tenants ADD COLUMN hybrid_previews {int} NOT NULL DEFAULT 0 CHECK (hybrid_previews IN (0, 1));
CREATE TABLE order_previews (
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  page {int} NOT NULL CHECK (page >= 1),
  page_count {int} NOT NULL CHECK (page_count >= page),
  png {bytes} NOT NULL,
  uploaded_at {int} NOT NULL,
  PRIMARY KEY (tenant_id, order_id, page),
  FOREIGN KEY (tenant_id, order_id) REFERENCES sign_orders (tenant_id, order_id)
);
)sql"),
};

// v29, issue 13 item 3 (security review M3): portal account care
// (docs/portal.md "Account care"). portal_users.disabled_at (NULL: enabled)
// refuses sign-in like a wrong password; totp_last_step is the time step of
// the last TOTP code accepted, so a code of that step or earlier is refused
// (replay). portal_sessions gains last_seen_at and a user-agent summary
// ("Chrome on Linux", never the raw header) for the user's session list.
// portal_password_resets keeps only the keyed hash of a one-time reset
// token an admin or operator issued; used_at makes it single use.
constexpr MigrationPiece kV29[] = {
    both(R"sql(
ALTER TABLE portal_users ADD COLUMN disabled_at {int};
ALTER TABLE portal_users ADD COLUMN totp_last_step {int};
ALTER TABLE portal_sessions ADD COLUMN last_seen_at {int};
ALTER TABLE portal_sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
CREATE TABLE portal_password_resets (
  token_hash {bytes} NOT NULL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at {int} NOT NULL,
  expires_at {int} NOT NULL CHECK (expires_at > created_at),
  used_at {int},
  FOREIGN KEY (tenant_id, user_id) REFERENCES portal_users (tenant_id, user_id)
);
CREATE INDEX portal_password_resets_user ON portal_password_resets (tenant_id, user_id);
)sql"),
};

// v30, issue 14 item 6: the notices of a maintenance window changed
// (maintenance_changed), of the tenant's service suspended and resumed
// (tenant_suspended, tenant_resumed) and of its contract pinned to another
// SLA-terms version (sla_terms_changed; subject_id = the version). Only the
// kind CHECK changes; SQLite rebuilds the table for it (as v20 did), every
// row and column kept.
constexpr MigrationPiece kV30[] = {
    per_dialect(R"sql(
CREATE TABLE notices_v29 (
  tenant_id TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  package_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended',
                                     'signature_v1_cutoff', 'maintenance_planned', 'maintenance_cancelled',
                                     'maintenance_changed', 'tenant_suspended', 'tenant_resumed',
                                     'sla_terms_changed')),
  created_at INTEGER NOT NULL,
  webhook_state TEXT NOT NULL CHECK (webhook_state IN ('pending', 'queued', 'none')),
  effective_at INTEGER,
  subject_id TEXT NOT NULL DEFAULT '',
  email_state TEXT NOT NULL DEFAULT 'pending' CHECK (email_state IN ('pending', 'sent', 'failed', 'none')),
  email_attempts INTEGER NOT NULL DEFAULT 0,
  email_next_at INTEGER NOT NULL DEFAULT 0,
  email_last_error TEXT NOT NULL DEFAULT '',
  email_sent_at INTEGER,
  PRIMARY KEY (tenant_id, notice_id),
  FOREIGN KEY (tenant_id, package_id) REFERENCES packages (tenant_id, package_id),
  CHECK ((package_id IS NULL) = (kind NOT IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended')))
);
INSERT INTO notices_v29 (tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at, subject_id,
                         email_state, email_attempts, email_next_at, email_last_error, email_sent_at)
  SELECT tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at, subject_id,
         email_state, email_attempts, email_next_at, email_last_error, email_sent_at FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v29 RENAME TO notices;
CREATE UNIQUE INDEX notices_once ON notices (tenant_id, package_id, kind);
CREATE INDEX notices_tenant_created ON notices (tenant_id, created_at, notice_id);
CREATE INDEX notices_pending ON notices (created_at) WHERE webhook_state = 'pending';
CREATE INDEX notices_email_due ON notices (email_next_at) WHERE email_state = 'pending';
)sql",
                R"sql(
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('used_80', 'used_90', 'used_100', 'expiring_30d', 'expiring_7d', 'ended',
                                     'signature_v1_cutoff', 'maintenance_planned', 'maintenance_cancelled',
                                     'maintenance_changed', 'tenant_suspended', 'tenant_resumed',
                                     'sla_terms_changed'));
)sql"),
};

// v31, issue 14 item 1: the sandbox CA. certificate_authorities.environment
// says whose certificates a CA signs; every CA from before is production's.
// duetd creates the sandbox root, issuing CA and OCSP responder at its first
// start on v31 (core/certificate_service.h).
constexpr MigrationPiece kV31[] = {
    both(R"sql(
ALTER TABLE certificate_authorities ADD COLUMN environment TEXT NOT NULL DEFAULT 'production'
  CHECK (environment IN ('production', 'sandbox'));
)sql"),
};

constexpr VersionPieces kVersions[] = {{13, kV13}, {14, kV14}, {15, kV15}, {16, kV16}, {17, kV17}, {18, kV18}, {19, kV19}, {20, kV20}, {21, kV21}, {22, kV22}, {23, kV23}, {24, kV24}, {25, kV25}, {26, kV26}, {27, kV27}, {28, kV28}, {29, kV29}, {30, kV30}, {31, kV31}};

}  // namespace

std::span<const VersionPieces> later_versions() { return kVersions; }

}  // namespace duet::store::migration_text
