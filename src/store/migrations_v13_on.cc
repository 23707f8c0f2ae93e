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

// v18, issue 14 item 5: the holder's acceptance of the subscriber agreement
// and of the identity-data-source check (docs/consent.md), one row per
// (holder, document, version): the text's SM3, when it was accepted, through
// which channel and who attested it. Recorded before identity checking and
// issuance; kept with the holder.
constexpr MigrationPiece kV18[] = {
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

constexpr VersionPieces kVersions[] = {{13, kV13}, {14, kV14}, {15, kV15}, {16, kV16}, {17, kV17}, {18, kV18}};

}  // namespace

std::span<const VersionPieces> later_versions() { return kVersions; }

}  // namespace duet::store::migration_text
