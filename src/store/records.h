// The plain records the store keeps. No behaviour, no SQL: core fills and
// reads these; every backend maps them to its tables.
//
// Conventions:
//  - Times are Unix seconds (UnixSeconds) supplied by the caller; the store
//    never reads a clock, so tests control time exactly.
//  - Ids are opaque strings made by new_id() (store/ids.h): a type prefix and
//    16 random bytes in hex, e.g. "ord_3f9c...". They carry no order.
//  - Secrets and personal data arrive already protected by core: `*_ciphertext`
//    fields are opaque encrypted bytes, `*_hash` fields are keyed hashes. The
//    store never sees a plaintext secret, PIN, token or personal datum.
//  - Every tenant-owned record starts with tenant_id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace duet::store {

using UnixSeconds = int64_t;

// --- tenants and apps ------------------------------------------------------

struct Tenant {
  std::string tenant_id;  // "ten_..."
  std::string name;
  // Production credentials work only from this time on; nullopt: not activated.
  std::optional<UnixSeconds> production_active_from;
  bool suspended = false;
  UnixSeconds created_at = 0;
  // Request-signature v1 (no Idempotency-Key in the signature) is refused
  // from this time on; nullopt: no cut-off set, v1 still accepted
  // (core/business_auth.h). Set by an operator, announced by a notice.
  std::optional<UnixSeconds> signature_v1_cutoff;
  // What holder certificates of this tenant carry of the ID number
  // (core/certificate_service.h): "none" (nothing; the default) or "gmt0015"
  // (the GM/T 0015 identity-code extension). Set by an operator
  // (TenantStore::set_tenant_cert_identity_policy).
  std::string cert_identity_policy = "none";
  // Whether duet-gateway may upload page previews of this tenant's
  // digest-only orders (docs/gateway.md "Page previews"): false by default
  // (the pages stay on the premises). Set by an operator
  // (TenantStore::set_tenant_hybrid_previews, schema v28).
  bool hybrid_previews = false;
};

enum class AppEnvironment { kSandbox, kProduction };

// A business system's credentials. app_id is unique across all tenants (it is
// what a request names before its tenant is known).
struct App {
  std::string tenant_id;
  std::string app_id;              // "app_..."
  Bytes secret_ciphertext;         // the HMAC secret, encrypted by core
  AppEnvironment environment = AppEnvironment::kSandbox;
  UnixSeconds created_at = 0;
  // Certificate-issuance settings (Store::update_app_settings).
  std::string identity_mode = "attested";  // "attested" | "identity_source": how this app's holders are checked
  bool sms_otp_required = false;           // activation codes need an SMS one-time code too
  std::string cms_oid_style = "pkcs7";     // "pkcs7" | "gmt" (GM/T 0010 OIDs) in CMS outputs
  // The PIN failure budget for PIN uses of this app's orders and holders
  // (Store::set_app_pin_failure_budget); nullopt: the service's default.
  std::optional<int> pin_failure_budget;
};

// --- holders and their keys ------------------------------------------------

enum class HolderStatus { kActive, kLocked };

struct Holder {
  std::string tenant_id;
  std::string holder_id;           // "hld_..."
  Bytes name_ciphertext;
  Bytes id_number_ciphertext;
  Bytes phone_ciphertext;
  Bytes lookup_hash;               // keyed hash of the identity, unique per tenant
  HolderStatus status = HolderStatus::kActive;
  int failed_attempts = 0;         // consecutive PIN uses without a valid PIN proof
  // Set by an unlock: the next PIN use must be a share refresh, so that any
  // copy of the old device state stops working (docs/protocol.md §5.3).
  bool refresh_required = false;
  UnixSeconds created_at = 0;
  // How the identity was checked before enrollment. identity_verification is
  // "attested" (the business system vouches) or "identity_source" (checked
  // through an identity-source adapter); "" = not recorded (holders created
  // before schema version 4).
  std::string identity_verification;
  std::string identity_verified_by;  // the app id that created / vouched for the holder
  UnixSeconds identity_verified_at = 0;
  std::string identity_reference;    // the identity source's reference; may be empty
  // The environment of the app that created the holder (docs/metering.md
  // "Sandbox"): the holder, its keys, codes, certificates and orders are
  // visible to that environment's credentials only. Holders created before
  // schema version 16 without a recorded app are production.
  AppEnvironment environment = AppEnvironment::kProduction;
};

// A holder's acceptance of one versioned text (docs/consent.md): the
// subscriber agreement or the consent to the identity-data-source check,
// recorded before identity checking and before issuance. Written once per
// (holder, document, version): the first acceptance stands.
struct HolderConsent {
  std::string tenant_id;
  std::string holder_id;
  std::string document;     // "subscriber_agreement" | "identity_check"
  std::string version;      // "v1", … (docs/agreements/<document>-<version>.md)
  Bytes text_sm3;           // SM3 of the text accepted, 32 bytes
  UnixSeconds accepted_at = 0;
  std::string channel;      // "holder_app" | "business_system"
  std::string attested_by;  // the holder id (holder_app) or the app id that vouches (business_system)
  UnixSeconds recorded_at = 0;
};

// The service's half of a holder's two-party key.
struct HolderKeyShare {
  std::string tenant_id;
  std::string key_id;              // "key_..."
  std::string holder_id;
  std::string public_key_hex;      // P, SEC1 uncompressed, lowercase hex
  Bytes service_share_ciphertext;  // d2, encrypted by core; wiped on revocation
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> revoked_at;
};

// --- enrollment and device credentials --------------------------------------

struct ActivationCode {
  std::string tenant_id;
  std::string code_id;             // "act_..."
  std::string holder_id;
  Bytes code_hash;                 // keyed hash of the one-time code; unique
  UnixSeconds expires_at = 0;
  int attempts_left = 0;
  std::optional<UnixSeconds> used_at;
  UnixSeconds created_at = 0;
  Bytes otp_hash;                  // keyed hash of the SMS one-time code; empty: none required
  int otp_attempts_left = 0;       // wrong one-time codes still allowed (Store::spend_otp_attempt)
};

struct DeviceToken {
  std::string tenant_id;
  Bytes token_hash;                // keyed hash of the bearer token; unique
  std::string holder_id;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> revoked_at;
  // The holder's environment, read with the token (find_device_token only).
  AppEnvironment holder_environment = AppEnvironment::kProduction;
};

// A share refresh (docs/protocol.md §7), keyed by (tenant_id, refresh_id).
// open: the service answered the request and keeps the pending share d2' and
// rho (both sealed by core); confirmed: d2' replaced the key's share;
// abandoned: the request's proof failed (a wrong PIN), stored only to count
// the attempt and burn the refresh_id, with empty sealed values.
enum class RefreshState { kOpen, kConfirmed, kAbandoned };

struct ShareRefresh {
  std::string tenant_id;
  std::string refresh_id;          // chosen by the device, never reused in the tenant
  std::string key_id;              // the holder's active key whose share is replaced
  std::string holder_id;
  Bytes sealed_rho;                // rho, encrypted by core ("refresh_rho:<tenant>:<refresh_id>")
  Bytes pending_share_ciphertext;  // d2', encrypted by core under the key's own context
  RefreshState state = RefreshState::kOpen;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> confirmed_at;
};

// Everything a successful redemption of an activation code writes
// (Store::complete_activation). key.tenant_id / token.tenant_id must be
// tenant_id, and key.holder_id / token.holder_id the code's holder.
struct ActivationCompletion {
  std::string tenant_id;
  std::string code_id;
  HolderKeyShare key;              // the holder's new key (replaces any unrevoked one)
  DeviceToken token;               // the holder's new device token (replaces any unrevoked ones)
  UnixSeconds now = 0;
};

// --- signing ----------------------------------------------------------------

// kCmsDetached / kCmsAttached: CMS SignedData (schema version 5). The store
// keeps them as output_format 'der' plus cms_output 'detached' | 'attached'.
// kPdf: a signed PDF per item (schema version 17, docs/pdf.md "Sign orders"):
// each item's signature is the detached CMS embedded in the PDF, and the
// documents are OrderDocument rows; stored as 'der', cms_output 'detached',
// document_output 'pdf'.
enum class OutputFormat { kRaw, kDer, kCmsDetached, kCmsAttached, kPdf };

// kSign: the business system's data; kCsr: the PKCS#10 request of a holder's
// key during enrollment (not listed to the business system).
enum class OrderKind { kSign, kCsr };

enum class OrderState { kPending, kSigning, kSigned, kRejected, kExpired, kCancelled, kFailed };

// One thing to sign. A single order has one item; a batch order many.
struct SignItem {
  Bytes input;                     // the data, or its 32-byte digest e
  bool input_is_digest = false;
  Bytes signature;                 // empty until the order is signed
};

struct SignOrder {
  std::string tenant_id;
  std::string order_id;            // "ord_..."
  std::string app_id;
  std::string holder_id;
  std::string title;
  std::string display_text;
  OutputFormat output_format = OutputFormat::kRaw;
  std::vector<SignItem> items;     // at least one
  UnixSeconds expires_at = 0;
  std::string callback_url;        // empty: no callback
  std::string idempotency_key;     // empty: none; else unique per (tenant, app)
  OrderState state = OrderState::kPending;
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
  OrderKind kind = OrderKind::kSign;
  std::string key_id;              // kCsr: the key whose certificate is requested (required); kSign: empty
  // CMS outputs only (both required then, both empty otherwise), fixed when
  // the order is created so that the signed attributes — and so the e the
  // device signs — are the same at every read: the signer's certificate
  // (its id in the tenant) and the OID style ("pkcs7" | "gmt"). The
  // signingTime attribute is created_at.
  std::string signer_cert_id;
  std::string cms_oid_style;
  // The signed attributes' profile of a "cms-detached" order: "" (contentType,
  // signingTime = created_at, messageDigest, signingCertificateV2) or "pades"
  // (the same without signingTime: PAdES baseline forbids it, ETSI EN 319
  // 142-1 — what duet-gateway embeds as /SubFilter ETSI.CAdES.detached).
  // Always "" for other outputs.
  std::string cms_profile;
  // The creating app's environment; always the holder's (core refuses an
  // order for a holder of the other environment).
  AppEnvironment environment = AppEnvironment::kProduction;
};

// The PDF of one item of a kPdf order (table order_documents): the document
// as prepared when the order was created (the incremental update with the
// seal's widgets and a zero-filled /Contents), what the CMS needs to be built
// again identically (the ByteRange, its SM3 digest = item input, the
// /SubFilter, the signing time /M), the pages the seal is on, and the signed
// PDF once the order is signed (empty before).
struct OrderDocument {
  std::string tenant_id;
  std::string order_id;
  int item_index = 0;
  Bytes prepared_pdf;
  uint64_t byte_range[4] = {0, 0, 0, 0};
  std::string sub_filter;     // "ETSI.CAdES.detached" | "adbe.pkcs7.detached"
  UnixSeconds signing_time = 0;
  std::string field_name;
  std::vector<int> stamped_pages;  // pages (from 1) carrying a widget, ascending, no repeats
  int page_count = 0;
  Bytes signed_pdf;           // empty until the order is signed
};

// One page preview of a digest-only order's document (table order_previews,
// schema v28): a PNG duet-gateway rendered of a page it stamps, which the
// holder app shows (hybrid cloud, only for tenants with hybrid_previews).
// The PDF itself never reaches duetd; the PNG is kept in clear like the
// prepared documents of public-cloud PDF orders and purged with the order's
// payload by the retention rule.
struct OrderPreview {
  std::string tenant_id;
  std::string order_id;
  int page = 0;        // from 1
  int page_count = 0;  // pages of the document, >= page
  Bytes png;           // empty when read without it
  UnixSeconds uploaded_at = 0;
};

// The holder's handwritten-signature image (table
// holder_handwritten_signatures, schema v22): a PNG the holder uploaded,
// sealed by core under the context "holder:<tenant>:<holder>:handwritten_signature"
// (the store never sees it in clear), and its size in pixels.
struct HandwrittenSignature {
  std::string tenant_id;
  std::string holder_id;
  Bytes sealed_png;
  int64_t width = 0;   // pixels, >= 1
  int64_t height = 0;  // pixels, >= 1
  UnixSeconds updated_at = 0;
};

enum class SessionState { kOpen, kFinished, kFailed };

// What the PIN attempt rule (core/pin_attempt_rule.h) reads and writes,
// inside the store's transaction with the holder's row locked.
struct PinAttemptCounters {
  int consecutive_failures = 0;  // holders.failed_attempts
  int failures_in_window = 0;    // pin_attempts pending|failed since the window start
  bool locked = false;           // holders.status = 'locked'
};
// A PIN attempt still pending (a handwritten-signature challenge,
// docs/protocol.md §6.1), with its holder's counters as they are now (this
// attempt included: a pending attempt counts as a failure).
struct PendingPinAttempt {
  std::string attempt_id;
  std::string holder_id;
  UnixSeconds started_at = 0;
  PinAttemptCounters counters;
};
// The rule: the counters after one more attempt (counted as a failure until
// its proof verifies), or an error (ErrorCode::kLocked) when none may start.
using PinAttemptRule = std::function<Result<PinAttemptCounters>(const PinAttemptCounters& before)>;

// One run of the signing protocol for an order; starting it costs the holder
// one attempt.
struct SignSession {
  std::string tenant_id;
  std::string session_id;          // "ses_..."
  std::string order_id;
  std::string holder_id;
  std::vector<std::string> r_values;  // the service's r per item, lowercase hex
  SessionState state = SessionState::kOpen;
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
};

// A page query over a tenant's orders (Store::list_orders).
struct OrderFilter {
  std::optional<std::string> holder_id;  // only this holder's orders
  std::optional<OrderState> state;       // only orders in this state
  std::optional<AppEnvironment> environment;  // only orders of this environment
  std::string cursor;                    // next_cursor of the previous page; empty: from the newest
  size_t limit = 50;                     // at most this many orders per page
};

struct OrderPage {
  std::vector<SignOrder> orders;  // newest first (created_at, then order_id, descending), with items
  std::string next_cursor;        // opaque; empty when there are no more orders
};

// --- callbacks --------------------------------------------------------------

// A webhook delivery waiting in the persistent queue.
struct CallbackJob {
  std::string tenant_id;
  std::string job_id;              // "cbk_..."
  std::string order_id;            // empty for a notice webhook (Store::sweep_package_notices)
  std::string url;
  std::string payload;             // the body to POST, built (and signed) by core
  int attempts = 0;                // deliveries started (claims)
  UnixSeconds next_attempt_at = 0;
  std::optional<UnixSeconds> delivered_at;
  std::string last_error;
  std::string lease_owner;         // worker holding the lease; empty if none
  std::optional<UnixSeconds> lease_until;
  UnixSeconds created_at = 0;
};

// --- certificates and CA material ------------------------------------------

// An X.509 certificate issued to a holder's key.
struct Certificate {
  std::string tenant_id;
  std::string cert_id;             // "crt_..."
  std::string holder_id;
  std::string key_id;              // the holder key certified
  std::string serial_hex;          // lowercase hex, unique across all tenants
  std::string issuer_id;           // the issuing CaRecord's ca_id
  Bytes der;
  UnixSeconds not_before = 0, not_after = 0;
  bool revoked = false;            // always revoked_at.has_value()
  std::optional<UnixSeconds> revoked_at;
  int revocation_reason = 0;       // RFC 5280 CRLReason (0 unspecified, 1 keyCompromise, ...)
  UnixSeconds created_at = 0;
};

// A CA certificate and its sealed private key. Global (not tenant-owned).
struct CaRecord {
  std::string ca_id;
  std::string role;                // "root" | "issuing" | "ocsp" | "tsa"
  Bytes certificate_der;
  Bytes sealed_private_key;        // encrypted by core; may be empty (key held elsewhere)
  UnixSeconds created_at = 0;
  bool active = true;
  // The environment whose certificates this CA signs (issue 14 item 1): the
  // sandbox has its own root, issuing CA and OCSP responder; the time-stamping
  // unit is production's only. Rows from before v31 are production.
  AppEnvironment environment = AppEnvironment::kProduction;
};

// --- operators ---------------------------------------------------------------

// Operator credentials are global (not tenant-owned).
struct AdminToken {
  Bytes token_hash;                // keyed hash of the bearer token; unique
  std::string name;
  std::string role;                // "operator" | "auditor" | "security_officer"
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> revoked_at;
};

// --- packages and metering (issue 5 §1) ----------------------------------------

// A service package (服务套餐) bought by a tenant. Per-signature packages count
// completed signatures, per-user packages count created holders, unlimited
// ones count nothing. A package serves from starts_at until expires_at
// (one year for a purchase); at expiry its remaining quantity is void.
enum class PackageKind { kPerSignature, kPerUser, kUnlimited };

struct Package {
  std::string tenant_id;
  std::string package_id;
  PackageKind kind = PackageKind::kPerSignature;
  int64_t quantity = 0;            // purchased signatures or users; 0 for unlimited
  int64_t used = 0;                // counted so far (never above quantity)
  UnixSeconds starts_at = 0;
  UnixSeconds expires_at = 0;      // exclusive: the package serves while now < expires_at
  std::string source = "purchase"; // "purchase" | "sla_credit" (a compensation bonus)
  std::string note;                // free text (e.g. the SLA month a credit is for)
  UnixSeconds created_at = 0;
};

// One counted unit (metering, issue 5 §1): a signed item of a production
// kSign order (order_id + item_index), or a holder created by a production
// app (holder_id; order_id empty). Unique per (tenant, order_id, item_index)
// and per (tenant, holder_id), so no retry can count twice. Kept at least one
// year (Store::prune_usage_records refuses younger cutoffs).
struct UsageRecord {
  std::string tenant_id;
  std::string usage_id;            // "use_..."
  std::string package_id;          // the package the unit was taken from
  PackageKind kind = PackageKind::kPerSignature;  // kPerSignature | kPerUser
  std::string order_id;            // kPerSignature: the order
  int64_t item_index = 0;          // kPerSignature: the item
  std::string holder_id;           // the order's holder, or the created holder
  UnixSeconds counted_at = 0;
};

// Service notices (服务告知): about a package, each (package, kind) at most
// once; or about the tenant (kSignatureV1Cutoff: package_id empty, one per
// cut-off an operator sets, effective_at = the cut-off).
enum class NoticeKind {
  kUsed80, kUsed90, kUsed100, kExpiring30Days, kExpiring7Days, kEnded, kSignatureV1Cutoff,
  kMaintenancePlanned, kMaintenanceCancelled,  // schema v20: a maintenance window (or fault drill), announced / withdrawn
  // schema v30: a window moved, extended or narrowed; the tenant's service
  // suspended / resumed by an operator; its contract pinned to another
  // SLA-terms version.
  kMaintenanceChanged, kTenantSuspended, kTenantResumed, kSlaTermsChanged
};

// A notice about a maintenance window (its subject_id is the window's id).
inline bool is_maintenance_notice(NoticeKind k) {
  return k == NoticeKind::kMaintenancePlanned || k == NoticeKind::kMaintenanceCancelled ||
         k == NoticeKind::kMaintenanceChanged;
}

struct Notice {
  std::string tenant_id;
  std::string notice_id;           // "ntc_..."
  std::string package_id;          // empty for a tenant notice (kSignatureV1Cutoff)
  NoticeKind kind = NoticeKind::kUsed80;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> effective_at;  // the date a tenant notice announces
  // What a tenant notice is about: the window (mnt_…) of a maintenance
  // notice, the SLA-terms version of kSlaTermsChanged; else "".
  std::string subject_id;
  // Webhook to the tenant's notify URL: "pending" (not yet looked at by
  // Store::sweep_package_notices), "queued" (a callback job carries it),
  // "none" (the tenant had no notify URL then).
  std::string webhook_state = "pending";
};

// Where a tenant's notices are POSTed (set by an operator), and the HMAC
// secret that signs them (encrypted by core, "notify_secret:<tenant>").
struct TenantNotifyTarget {
  std::string tenant_id;
  std::string url;
  Bytes secret_ciphertext;
  UnixSeconds updated_at = 0;
};

// --- audit (issue 5 §4) -------------------------------------------------------

// One event of the hash-chained audit log. The caller fills the descriptive
// fields (no secrets; personal data already masked); the store assigns seq,
// prev_hash and hash when it appends the event:
//   hash = SM3(prev_hash || canonical(event))   (see core/audit_chain.h)
struct AuditEvent {
  int64_t seq = 0;                 // 1, 2, 3, … in append order; assigned by the store
  UnixSeconds at = 0;
  std::string tenant_id;           // "" for service-wide events
  std::string actor_type;          // "app" | "holder" | "operator" | "system"
  std::string actor_id;
  std::string action;              // e.g. "order.create", "retention.purge"
  std::string target;              // ids only
  std::string outcome;             // "ok" or an error code name
  std::string address;             // client IP; "" for system events
  std::string request_id;
  std::string details;             // a JSON object as text (masked), or ""
  Bytes prev_hash;                 // assigned by the store
  Bytes hash;                      // assigned by the store
};

// A signed statement that the chain head was (seq, hash) at signed_at:
// signature = SM2 (ID 1234567812345678, DER) over
// store::audit_checkpoint_message(cp) (v2: it also names the previous
// checkpoint, so checkpoints form a chain of their own).
struct AuditCheckpoint {
  int64_t seq = 0;
  Bytes hash;
  UnixSeconds signed_at = 0;
  std::string key_id;
  Bytes signature;
  // checkpoint_hash of the previous checkpoint (store/audit_encoding.h);
  // 32 zero bytes for the first; empty for a v1 checkpoint (unchained).
  Bytes prev_hash;
};

// The service's audit signing key. The public key is kept in clear (DER
// SubjectPublicKeyInfo) so a data directory can be verified offline without
// the KEK; the private key is sealed by the DataProtector.
struct AuditKey {
  std::string key_id;
  Bytes public_key_der;
  Bytes sealed_private_key;
  UnixSeconds created_at = 0;
};

// --- retention (issue 5 §5) -----------------------------------------------------

// The retention rules (core/retention.h). Days count whole days of 86,400 s
// from the event: a record becomes purgeable at exactly event + days × 86,400.
struct RetentionSettings {
  // Payloads (item data, display text) of final orders, this long after the
  // order became final (updated_at). 0: never purged.
  int64_t order_payload_days = 180;
  // ID number and phone ciphertexts of holders, this long after the holder's
  // first certificate was issued. 0: never purged.
  int64_t identity_days = 30;
  // The service share of a key whose last certificate expired, this long
  // after that expiry (0: at once). Revoked keys are wiped at revocation.
  int64_t expired_key_days = 0;
  // How often the purge worker runs.
  int64_t interval_seconds = 3600;
  UnixSeconds updated_at = 0;      // set by the API change
  std::string updated_by;          // the operator (token name) who changed them
};

}  // namespace duet::store
