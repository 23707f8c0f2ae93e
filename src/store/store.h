// The storage interface core talks to (DESIGN.md §5). One implementation per
// backend (SQLite now, PostgreSQL later); all of them pass the contract suite
// in store/store_contract_test.h.
//
// Rules every implementation keeps:
//  - Tenant scoping by construction: every read or update of a tenant-owned
//    row takes the tenant id, and a row of another tenant is kNotFound. The
//    only calls without a tenant are the entry-point lookups that *discover*
//    the tenant from a credential (find_app, find_device_token,
//    find_activation_code, find_certificate_by_serial), the cross-tenant
//    background sweeps (expire_orders, claim_due_callbacks, prune_nonces),
//    the CRL listing (list_revoked_certificates), and the global operator
//    tokens and CA material.
//  - Every call is atomic: a multi-step state change is one transaction, made
//    of conditional updates ("... WHERE state IN (...)") whose affected-row
//    count is checked. Losing a race is kConflict, never a half-applied change.
//    No advisory locks, LISTEN/NOTIFY or gap-free sequences.
//  - Callbacks caused by a state change are enqueued in that same transaction.
//  - Thread-safe: one Store object may be called from many threads at once,
//    and several Store objects (processes, nodes) may share one database.
//  - Nothing throws; errors are Result/Status with a StoreError kind
//    (store/store_error.h). Records are validated (ids non-empty, at least one
//    order item, ...) and a malformed one is ErrorCode::kInvalidArgument with
//    no store kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"

namespace duet::store {

// Builds the webhook for an order that changed state inside a sweep (called
// inside the transaction, with the order in its new state; must not call back
// into the store). nullopt: no callback for this order.
using CallbackFactory = std::function<std::optional<CallbackJob>(const SignOrder&)>;

class Store {
 public:
  virtual ~Store() = default;

  // The schema version the database is at after migrations.
  virtual Result<int> schema_version() = 0;

  // --- tenants (operator) ---------------------------------------------------
  virtual Status create_tenant(const Tenant& tenant) = 0;                          // kDuplicate
  virtual Result<Tenant> get_tenant(std::string_view tenant_id) = 0;               // kNotFound
  virtual Status set_tenant_suspended(std::string_view tenant_id, bool suspended) = 0;
  virtual Status set_tenant_production_active_from(std::string_view tenant_id, UnixSeconds from) = 0;
  // Every tenant, ordered by tenant_id.
  virtual Result<std::vector<Tenant>> list_tenants() = 0;

  // --- apps -----------------------------------------------------------------
  virtual Status create_app(const App& app) = 0;  // kDuplicate (app id taken), kNotFound (tenant)
  virtual Result<App> get_app(std::string_view tenant_id, std::string_view app_id) = 0;
  // Entry point of request authentication: the app (and so its tenant) by app id.
  virtual Result<App> find_app(std::string_view app_id) = 0;
  // The tenant's apps, ordered by app_id (empty for an unknown tenant).
  virtual Result<std::vector<App>> list_apps(std::string_view tenant_id) = 0;
  // Replaces the app's encrypted HMAC secret (rotation). kNotFound.
  virtual Status update_app_secret(std::string_view tenant_id, std::string_view app_id,
                                   ByteView secret_ciphertext) = 0;
  // Replaces the app's certificate-issuance settings (App::identity_mode,
  // sms_otp_required, cms_oid_style). kNotFound; an unknown identity_mode
  // ("attested" | "identity_source") or cms_oid_style ("pkcs7" | "gmt") is
  // ErrorCode::kInvalidArgument. create_app validates the same values.
  virtual Status update_app_settings(std::string_view tenant_id, std::string_view app_id,
                                     std::string_view identity_mode, bool sms_otp_required,
                                     std::string_view cms_oid_style) = 0;

  // --- holders --------------------------------------------------------------
  // kDuplicate (id or lookup hash). identity_verification must be
  // "attested", "identity_source" or "" (not recorded), else kInvalidArgument.
  virtual Status create_holder(const Holder& holder) = 0;
  virtual Result<Holder> get_holder(std::string_view tenant_id, std::string_view holder_id) = 0;
  virtual Result<Holder> find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) = 0;
  // Operator unlock: status active, failed_attempts 0.
  virtual Status unlock_holder(std::string_view tenant_id, std::string_view holder_id) = 0;
  // Business-system lock: status locked, failed_attempts unchanged (locking
  // a locked holder succeeds). kNotFound.
  virtual Status lock_holder(std::string_view tenant_id, std::string_view holder_id) = 0;
  // Up to `limit` of the tenant's holders ordered by holder_id, strictly
  // after `after_holder_id` ("" = from the start).
  virtual Result<std::vector<Holder>> list_holders(std::string_view tenant_id,
                                                   std::string_view after_holder_id, size_t limit) = 0;

  // --- holder key shares ----------------------------------------------------
  // Adds a key; kConflict if the holder already has an unrevoked key.
  virtual Status add_holder_key(const HolderKeyShare& key) = 0;
  virtual Result<HolderKeyShare> get_active_holder_key(std::string_view tenant_id,
                                                       std::string_view holder_id) = 0;
  // Sets revoked_at and wipes the encrypted share (crypto-shredding);
  // kConflict if already revoked.
  virtual Status revoke_holder_key(std::string_view tenant_id, std::string_view key_id,
                                   UnixSeconds now) = 0;
  // A key by its id, whatever its state (a revoked one has an empty share). kNotFound.
  virtual Result<HolderKeyShare> get_holder_key(std::string_view tenant_id, std::string_view key_id) = 0;

  // --- activation codes -----------------------------------------------------
  virtual Status create_activation_code(const ActivationCode& code) = 0;
  // Entry point of redemption: the code by its hash (whatever its state).
  virtual Result<ActivationCode> find_activation_code(ByteView code_hash) = 0;
  // Marks the code used if unused, unexpired at `now` and attempts_left > 0;
  // else kConflict. Exactly one of concurrent callers succeeds.
  virtual Status use_activation_code(std::string_view tenant_id, std::string_view code_id,
                                     UnixSeconds now) = 0;
  // Spends one attempt (a failed redemption step); returns the attempts left.
  // kConflict when none are left or the code is used.
  virtual Result<int> spend_activation_attempt(std::string_view tenant_id,
                                               std::string_view code_id) = 0;
  // Spends one SMS one-time-code attempt (a wrong OTP); returns the OTP
  // attempts left. kConflict when none are left (also for a code without an
  // OTP) or the code is used; kNotFound. Concurrent callers never spend more
  // than otp_attempts_left.
  virtual Result<int> spend_otp_attempt(std::string_view tenant_id, std::string_view code_id) = 0;
  // Enrollment, one transaction: the code must be unused, unexpired at
  // c.now, have attempts_left > 0 and belong to c.key.holder_id (else
  // kConflict; an unknown code is kNotFound) and is marked used; every
  // unrevoked key of the holder is revoked (revoked_at = now, share wiped)
  // and every unrevoked device token of the holder revoked; c.key and
  // c.token are inserted; the holder becomes active with failed_attempts 0.
  // Exactly one of concurrent completions of one code succeeds.
  // kInvalidArgument for incomplete records or mismatched tenant/holder ids.
  virtual Status complete_activation(const ActivationCompletion& c) = 0;

  // --- device tokens --------------------------------------------------------
  virtual Status create_device_token(const DeviceToken& token) = 0;
  // Entry point of holder authentication: an unrevoked token by its hash.
  virtual Result<DeviceToken> find_device_token(ByteView token_hash) = 0;
  virtual Status revoke_device_token(std::string_view tenant_id, ByteView token_hash,
                                     UnixSeconds now) = 0;

  // --- share refresh (docs/protocol.md §7) ----------------------------------
  // One transaction: the holder must be active (else ErrorCode::kLocked with
  // kind kConflict, nothing counted), the key unrevoked and the holder's
  // (kNotFound / kConflict). Counts one attempt (failed_attempts += 1, locked
  // when it reaches max_attempts, as start_sign_session) and stores the
  // refresh as given: kOpen (sealed values required) or kAbandoned (the
  // request's proof failed: only the attempt counts; sealed values empty).
  // kDuplicate if the refresh_id is taken in the tenant (nothing counted).
  virtual Status begin_share_refresh(const ShareRefresh& refresh, int max_attempts, UnixSeconds now) = 0;
  // One transaction: the refresh open -> confirmed; the key's
  // service_share_ciphertext replaced by the pending one (same key_id, public
  // key and certificates); every unrevoked device token of the holder revoked
  // and new_token inserted; the holder's failed_attempts reset to 0 (status
  // unchanged). kNotFound (unknown refresh); kConflict with the message
  // "share refresh already confirmed" if it was confirmed before (core answers
  // that idempotently), another kConflict if abandoned or the key was revoked
  // meanwhile.
  virtual Status confirm_share_refresh(std::string_view tenant_id, std::string_view refresh_id,
                                       const DeviceToken& new_token, UnixSeconds now) = 0;
  virtual Result<ShareRefresh> get_share_refresh(std::string_view tenant_id, std::string_view refresh_id) = 0;

  // --- sign orders and sessions ---------------------------------------------
  // Creates the order with its items. With a non-empty idempotency_key, a
  // second create for the same (tenant, app, key) returns the existing order
  // unchanged (whatever its state) instead of creating one; callers that need
  // to refuse a different body under the same key compare the result.
  // kNotFound if the app or holder does not exist in the tenant. A kCsr
  // order needs key_id: a key of the order's holder (else kNotFound) that is
  // unrevoked (else kConflict); a kSign order must not name a key
  // (kInvalidArgument).
  virtual Result<SignOrder> create_order(const SignOrder& order) = 0;
  // Either kind.
  virtual Result<SignOrder> get_order(std::string_view tenant_id, std::string_view order_id) = 0;
  // A page of the tenant's kSign orders (kCsr orders are never listed), newest first (created_at DESC, order_id
  // DESC), with items, narrowed by filter.holder_id / filter.state. Pass the
  // returned next_cursor as filter.cursor for the next page (same filter);
  // it is empty when no more orders follow. A malformed cursor or a zero
  // limit is ErrorCode::kInvalidArgument.
  virtual Result<OrderPage> list_orders(std::string_view tenant_id, const OrderFilter& filter) = 0;
  // The holder's orders (both kinds) that are pending or signing and
  // unexpired at `now`, oldest first, with items.
  virtual Result<std::vector<SignOrder>> list_open_orders(std::string_view tenant_id,
                                                          std::string_view holder_id,
                                                          UnixSeconds now, size_t limit) = 0;

  // One transaction: the order must be pending|signing and unexpired at
  // `now`, and belong to session.holder_id; the holder must be active. Then:
  // the holder's failed_attempts += 1 (locked when it reaches max_attempts;
  // the session just started still runs), the order moves to signing, and
  // the session is stored open. A refused start counts nothing. Errors:
  // kNotFound (order/holder, or the order is another holder's), kConflict
  // (order state or expiry), ErrorCode::kLocked with kind kConflict (holder
  // locked before this call), kInvalidArgument (r_values count != items).
  virtual Status start_sign_session(const SignSession& session, int max_attempts,
                                    UnixSeconds now) = 0;
  virtual Result<SignSession> get_sign_session(std::string_view tenant_id,
                                               std::string_view session_id) = 0;
  // The signature did not verify, one transaction: the open session becomes
  // failed (kConflict if not open; the attempt stays counted). If the
  // holder is now locked (this was the last attempt, or it was locked
  // otherwise), the order, if still pending|signing and unexpired at `now`,
  // becomes failed (its other open sessions failed too) and
  // callback_if_order_fails (if any) is enqueued. Returns the order's state
  // afterwards: kSigning normally, kFailed when the lockout ended it.
  // kNotFound for an unknown session.
  virtual Result<OrderState> fail_sign_session(std::string_view tenant_id, std::string_view session_id,
                                               const std::optional<CallbackJob>& callback_if_order_fails,
                                               UnixSeconds now) = 0;

  // After expires_at an order can only become expired (expire_orders):
  // start/finish/reject/cancel answer kConflict from then on.
  //
  // One transaction: order pending|signing and unexpired -> signed, the
  // signatures (one per item, in item order) written, the session open ->
  // finished (other open sessions of the order -> failed), the holder's
  // failed_attempts reset to 0 and status active (a valid signature proves
  // the PIN), and `callback` (if any) enqueued for the order. kConflict if
  // another caller won any of these conditions; kNotFound if the session is
  // not this order's; kInvalidArgument if signatures.size() != items or the
  // order is kCsr (use finish_csr_order).
  virtual Status finish_order(std::string_view tenant_id, std::string_view order_id,
                              std::string_view session_id, const std::vector<Bytes>& signatures,
                              const std::optional<CallbackJob>& callback, UnixSeconds now) = 0;
  // The holder declined: pending|signing -> rejected (open sessions failed),
  // callback enqueued. kConflict otherwise.
  virtual Status reject_order(std::string_view tenant_id, std::string_view order_id,
                              const std::optional<CallbackJob>& callback, UnixSeconds now) = 0;
  // The business system withdrew it: pending -> cancelled. kConflict otherwise.
  virtual Status cancel_order(std::string_view tenant_id, std::string_view order_id,
                              const std::optional<CallbackJob>& callback, UnixSeconds now) = 0;
  // Sweep (all tenants): up to `limit` orders pending|signing with
  // expires_at <= now -> expired, their open sessions failed, and
  // make_callback(order) enqueued for each, all in one transaction. Returns
  // the expired orders in their new state.
  virtual Result<std::vector<SignOrder>> expire_orders(UnixSeconds now, size_t limit,
                                                       const CallbackFactory& make_callback) = 0;

  // finish_order for a kCsr order, and the issued certificate stored, in ONE
  // transaction: order -> signed, signatures written, session finished
  // (others failed), holder attempts reset, no callback, and `certificate`
  // inserted. The certificate must name the order's tenant, holder and key
  // (else kInvalidArgument). kConflict if another finish won or the serial
  // is taken (nothing is written then); kNotFound as finish_order;
  // kInvalidArgument if the order is not kCsr.
  virtual Status finish_csr_order(std::string_view tenant_id, std::string_view order_id,
                                  std::string_view session_id, const std::vector<Bytes>& signatures,
                                  const Certificate& certificate, UnixSeconds now) = 0;

  // --- certificates ---------------------------------------------------------
  // Stores an issued certificate. kConflict if the serial is taken (in any
  // tenant), kDuplicate if the cert id is; kNotFound unless key_id is a key
  // of holder_id in the tenant. revoked must equal revoked_at.has_value().
  virtual Status add_certificate(const Certificate& c) = 0;
  virtual Result<Certificate> get_certificate(std::string_view tenant_id, std::string_view cert_id) = 0;
  // Entry point of OCSP / status checks (all tenants): the certificate by
  // its lowercase hex serial. kNotFound.
  virtual Result<Certificate> find_certificate_by_serial(std::string_view serial_hex) = 0;
  // The holder's certificates, newest first (created_at, then cert_id, descending).
  virtual Result<std::vector<Certificate>> list_holder_certificates(std::string_view tenant_id,
                                                                    std::string_view holder_id) = 0;
  // Every revoked certificate of an issuer (all tenants, for the CRL), by serial.
  virtual Result<std::vector<Certificate>> list_revoked_certificates(std::string_view issuer_id) = 0;
  // One transaction: the certificate good -> revoked (revoked_at = now,
  // revocation_reason = reason; kConflict if already revoked, kNotFound).
  // With revoke_key, the certificate's key is also revoked with its share
  // wiped, as revoke_holder_key does (a key already revoked stays as it is),
  // and every unrevoked device token of the holder is revoked. reason must
  // be an RFC 5280 CRLReason usable for revocation (0-6, 9, 10), else
  // ErrorCode::kInvalidArgument.
  virtual Status revoke_certificate(std::string_view tenant_id, std::string_view cert_id, int reason,
                                    bool revoke_key, UnixSeconds now) = 0;

  // --- CA material (global) -------------------------------------------------
  // Inserts a CA; kConflict if ca_id exists. role must be "root",
  // "issuing" or "ocsp" and certificate_der non-empty (kInvalidArgument).
  virtual Status put_ca(const CaRecord& ca) = 0;
  // Every CA, oldest first (created_at, then ca_id).
  virtual Result<std::vector<CaRecord>> list_cas() = 0;
  virtual Status set_ca_active(std::string_view ca_id, bool active) = 0;  // kNotFound
  // The issuer's next CRL number: 1, 2, 3, ... Strictly increasing per
  // issuer across threads, processes and nodes (one conditional upsert);
  // a number handed out is never handed out again.
  virtual Result<int64_t> next_crl_number(std::string_view issuer_id) = 0;

  // --- request nonces -------------------------------------------------------
  // Records a nonce; kDuplicate if (tenant, app, nonce) was seen before.
  virtual Status insert_nonce(std::string_view tenant_id, std::string_view app_id,
                              std::string_view nonce, UnixSeconds seen_at) = 0;
  // Forgets nonces seen before `before` (all tenants); returns how many.
  virtual Result<size_t> prune_nonces(UnixSeconds before) = 0;

  // --- callback queue -------------------------------------------------------
  // Enqueues a job on its own (tenant_id and order_id must be set; created_at
  // is taken from the job). In every call that takes a CallbackJob, the
  // store sets tenant_id/order_id to the order's, makes job_id with
  // new_id("cbk_") if empty, and starts attempts at 0 without a lease; an
  // empty url is kInvalidArgument.
  virtual Status enqueue_callback(const CallbackJob& job) = 0;
  virtual Result<CallbackJob> get_callback(std::string_view tenant_id, std::string_view job_id) = 0;
  // Leases up to `limit` due jobs (all tenants): undelivered, next_attempt_at
  // <= now, and no lease or an expired one. Each is leased to `worker` until
  // now + lease_seconds and its attempts incremented; a job is leased to one
  // worker at a time.
  virtual Result<std::vector<CallbackJob>> claim_due_callbacks(std::string_view worker,
                                                               UnixSeconds now,
                                                               int lease_seconds,
                                                               size_t limit) = 0;
  // Records delivery; succeeds once per job (kConflict afterwards).
  virtual Status mark_callback_delivered(std::string_view tenant_id, std::string_view job_id,
                                         UnixSeconds now) = 0;
  // Records a failed delivery by the lease holder: lease released, last_error
  // set, retried at next_attempt_at. kConflict if `worker` no longer holds
  // the lease or the job was delivered.
  virtual Status mark_callback_failed(std::string_view tenant_id, std::string_view job_id,
                                      std::string_view worker, std::string_view error,
                                      UnixSeconds next_attempt_at) = 0;

  // --- operator tokens ------------------------------------------------------
  virtual Status create_admin_token(const AdminToken& token) = 0;
  // An unrevoked token by its hash.
  virtual Result<AdminToken> find_admin_token(ByteView token_hash) = 0;
};

}  // namespace duet::store
