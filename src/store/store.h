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
#include "store/sla_records.h"
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
  // Sets (or with nullopt clears) an app's PIN failure budget; kNotFound.
  virtual Status set_app_pin_failure_budget(std::string_view tenant_id, std::string_view app_id,
                                            std::optional<int> budget) = 0;
  virtual Status update_app_settings(std::string_view tenant_id, std::string_view app_id,
                                     std::string_view identity_mode, bool sms_otp_required,
                                     std::string_view cms_oid_style) = 0;

  // --- holders --------------------------------------------------------------
  // kDuplicate (id or lookup hash). identity_verification must be
  // "attested", "identity_source" or "" (not recorded), else kInvalidArgument.
  virtual Status create_holder(const Holder& holder) = 0;
  virtual Result<Holder> get_holder(std::string_view tenant_id, std::string_view holder_id) = 0;
  virtual Result<Holder> find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) = 0;
  // Unlock (operator or business system), one transaction: status active,
  // failed_attempts 0, the holder's pending|failed PIN attempts forgiven (they
  // leave the failure budget), and refresh_required set if the holder has an
  // active key: any copy of the old device state must stop working, so the
  // next PIN use is a share refresh.
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
  // c.token are inserted; the holder becomes active with failed_attempts 0,
  // refresh_required cleared and its pending|failed PIN attempts forgiven
  // (they were against the revoked key). Exactly one of concurrent
  // completions of one code succeeds.
  // kInvalidArgument for incomplete records or mismatched tenant/holder ids.
  virtual Status complete_activation(const ActivationCompletion& c) = 0;

  // --- device tokens --------------------------------------------------------
  virtual Status create_device_token(const DeviceToken& token) = 0;
  // Entry point of holder authentication: an unrevoked token by its hash.
  virtual Result<DeviceToken> find_device_token(ByteView token_hash) = 0;
  virtual Status revoke_device_token(std::string_view tenant_id, ByteView token_hash,
                                     UnixSeconds now) = 0;

  // Replaces a key's sealed share by another sealing of the same share (the
  // v1 -> v2 upgrade that seals P1 in): only while the key is unrevoked and
  // still holds `expected` (kConflict otherwise: a refresh won, nothing
  // changed).
  virtual Status reseal_key_share(std::string_view tenant_id, std::string_view key_id, ByteView expected,
                                  ByteView replacement) = 0;

  // --- PIN attempts (docs/protocol.md §5.3) ---------------------------------
  // Every use of the PIN (signing step 1, both refresh calls) is counted
  // BEFORE any work that depends on the PIN, by one of the begin_* calls
  // below: one transaction that refuses what needs no PIN first (a used id,
  // a wrong state: nothing counted), then locks the holder's row, reads
  // PinAttemptCounters (failures_in_window counts the holder's attempts whose
  // outcome is pending or failed and that started after window_since), asks
  // `rule` (core's, the only copy), and writes its answer with a conditional
  // update on the counters it read (status stays active: only a failure
  // locks, see fail_pin_attempt), plus a pin_attempts row (attempt_id,
  // outcome pending). A refusal by the rule changes nothing and is returned
  // as is (ErrorCode::kLocked). The attempt then ends with accept_* (the proof
  // verified: outcome ok, consecutive failures reset to 0 — the window count
  // keeps every failure) or fail_pin_attempt (outcome failed). An attempt
  // that never ends stays pending and counts as a failure.

  // Signing step 1. In this order: session id used before in the tenant ->
  // kConflict (StoreError::kDuplicate); order not the holder's -> kNotFound;
  // holder refresh_required -> ErrorCode::kRefreshRequired; the order must be
  // pending|signing and unexpired (kConflict; it then moves to signing); the
  // rule; the session is stored open with no r values. Any refusal rolls the
  // whole transaction back: nothing is counted or moved.
  virtual Result<PinAttemptCounters> begin_sign_attempt(const SignSession& session, std::string_view attempt_id,
                                                        UnixSeconds window_since, const PinAttemptRule& rule,
                                                        UnixSeconds now) = 0;
  // The PIN proof verified: the session (open, no r values yet) gets its r
  // values; attempt ok; holder failed_attempts 0. kConflict if the session is
  // no longer open (the order ended meanwhile).
  //
  // The release is conditional on the key the caller used: with a key_id,
  // that key must still be unrevoked and hold exactly expected_share (else
  // kConflict, nothing changes and the attempt stays pending, i.e. a
  // failure) — a refresh, re-key or revocation that committed after the
  // caller read the share must not let the old share answer. (An empty
  // key_id skips the check: store-level tests only.)
  virtual Status accept_sign_attempt(std::string_view tenant_id, std::string_view session_id,
                                     std::string_view attempt_id, const std::vector<std::string>& r_values,
                                     UnixSeconds now, std::string_view key_id = {},
                                     ByteView expected_share = {}) = 0;
  // Refresh step 1 (refresh.state and sealed values ignored). In this order:
  // refresh id used before in the tenant -> kConflict (kDuplicate); the key
  // must be the holder's and unrevoked (kNotFound / kConflict); the rule;
  // then the refresh is stored kAbandoned with no sealed values: it becomes
  // open only through accept_refresh_attempt, so a crash in between leaves
  // nothing usable.
  virtual Result<PinAttemptCounters> begin_refresh_attempt(const ShareRefresh& refresh, std::string_view attempt_id,
                                                           UnixSeconds window_since, const PinAttemptRule& rule,
                                                           UnixSeconds now) = 0;
  // The refresh request's proof verified: abandoned -> open with the pending
  // share; attempt ok; holder failed_attempts 0 (refresh_required stays until
  // the confirm).
  // Conditional on the key like accept_sign_attempt. Every other open
  // refresh of the key is abandoned when one is confirmed (confirm_share_refresh).
  virtual Status accept_refresh_attempt(std::string_view tenant_id, std::string_view refresh_id,
                                        std::string_view attempt_id, ByteView pending_share_ciphertext,
                                        UnixSeconds now, std::string_view key_id = {},
                                        ByteView expected_share = {}) = 0;
  // Refresh confirm. In this order: unknown refresh or another holder's ->
  // kNotFound; confirmed -> kConflict "share refresh already confirmed"; not
  // open -> kConflict; created at or before open_since -> ErrorCode::kExpired
  // (the refresh is abandoned, its pending share wiped); the rule. The
  // attempt then ends with confirm_share_refresh or fail_pin_attempt.
  virtual Result<PinAttemptCounters> begin_confirm_attempt(std::string_view tenant_id, std::string_view holder_id,
                                                           std::string_view refresh_id, std::string_view attempt_id,
                                                           UnixSeconds open_since, UnixSeconds window_since,
                                                           const PinAttemptRule& rule, UnixSeconds now) = 0;
  // A PIN proof failed, one transaction: attempt failed; with lock_holder
  // (core's rule says this failure reached a limit) the holder's status
  // becomes locked; each alarm job enqueued (the business system hears of
  // every failure and lock); with a session id, the session fails too, and
  // if the holder is now locked the order fails (its other sessions too) with
  // callback_if_order_fails. Counters are not reset: the attempt was counted
  // as a failure when it began.
  virtual Status fail_pin_attempt(std::string_view tenant_id, std::string_view attempt_id, bool lock_holder,
                                  std::string_view session_id, const std::vector<CallbackJob>& alarms,
                                  const std::optional<CallbackJob>& callback_if_order_fails, UnixSeconds now) = 0;

  // --- share refresh (docs/protocol.md §7) ----------------------------------
  // One transaction: the refresh open -> confirmed; the key's
  // service_share_ciphertext replaced by the pending one (same key_id, public
  // key and certificates); every unrevoked device token of the holder revoked
  // and new_token inserted; attempt_id's outcome ok; the holder's
  // failed_attempts reset to 0 and refresh_required cleared (status
  // unchanged). kNotFound (unknown refresh); kConflict with the message
  // "share refresh already confirmed" if it was confirmed before, another
  // kConflict if abandoned or the key was revoked meanwhile.
  virtual Status confirm_share_refresh(std::string_view tenant_id, std::string_view refresh_id,
                                       std::string_view attempt_id, const DeviceToken& new_token,
                                       UnixSeconds now) = 0;
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
  // the expired orders in their new state. A bound audit event (the sweep's,
  // audit_scope.h) is appended once PER EXPIRED ORDER in that transaction,
  // with the order's tenant_id and target "order_id:<id>" (so a tenant's
  // export holds its expiries); nothing is appended when nothing expired.
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
  // is taken from the job). Notice webhooks (order_id empty) are enqueued
  // only by sweep_package_notices. In every call that takes a CallbackJob, the
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

  // --- packages and metering (issue 5 §1; SQLite: store/sqlite_metering.cc) ---
  //
  // Metering rules every backend keeps (DESIGN.md §4):
  //  - A package is usable at `now` when starts_at <= now < expires_at (at
  //    the instant expires_at it is already over; its remaining quantity is
  //    void from then on).
  //  - Production only: a kSign order is metered when its app is a
  //    production app; a holder when holder.identity_verified_by names a
  //    production app of the tenant. Sandbox apps are never metered, kCsr
  //    orders (certificate requests of enrollment) are not signatures of
  //    business data and are never metered.
  //  - Signatures (finish_order of a metered order, in ITS transaction): one
  //    unit per item. A usable unlimited package covers them without
  //    counting; else the units are taken from the usable per-signature
  //    packages with quantity left, earliest expires_at first (then
  //    package_id), spilling over to the next; else a usable per-user package
  //    covers them without counting (a per-user tenant's signatures are
  //    free); else the whole finish fails with ErrorCode::kQuotaExhausted
  //    (kind kConflict) and nothing changes (the order stays signing).
  //  - Holders (create_holder of a metered holder, in its transaction):
  //    symmetric, one unit: unlimited covers; else the usable per-user
  //    packages with quantity left, earliest expiry first; else a usable
  //    per-signature package covers it without counting; else
  //    kQuotaExhausted and no holder.
  //  - A production tenant without any usable package is refused
  //    (kQuotaExhausted) just like an exhausted one.
  //  - create_order of a metered order checks, in its transaction, that the
  //    units of all its items are available (check_quota's rule); else
  //    kQuotaExhausted and no order. An idempotent replay returns the
  //    existing order without a check. Nothing is reserved: finish decides.
  //  - Each unit writes a UsageRecord (unique per (tenant, order, item) and
  //    per (tenant, holder)): a unit already recorded is never counted again.
  //  - When a package's used crosses 80 %, 90 % or 100 % of its quantity, the
  //    Notice (kUsed80/90/100) is inserted in the same transaction; a
  //    (package, kind) notice is inserted at most once.

  // Adds a package. tenant_id/package_id non-empty, expires_at > starts_at,
  // used 0, source "purchase" | "sla_credit". Quantity: unlimited 0; a
  // purchase of per-signature >= 10,000, per-user >= 1,000; an sla_credit
  // >= 1. Anything else is kInvalidArgument. kNotFound (tenant), kDuplicate.
  virtual Status add_package(const Package& package) = 0;
  // The tenant's packages (every state), earliest expires_at first, then
  // package_id. Empty for an unknown tenant.
  virtual Result<std::vector<Package>> list_packages(std::string_view tenant_id) = 0;
  virtual Result<Package> get_package(std::string_view tenant_id, std::string_view package_id) = 0;  // kNotFound
  // Would `units` units of `kind` (kPerSignature or kPerUser) be covered at
  // `now` by the rules above? Ok or ErrorCode::kQuotaExhausted (kind
  // kConflict). Counts nothing.
  virtual Status check_quota(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now) = 0;
  // The tenant's usage records with from <= counted_at < to, oldest first
  // (counted_at, usage_id), at most `limit`.
  virtual Result<std::vector<UsageRecord>> list_usage_records(std::string_view tenant_id, UnixSeconds from,
                                                              UnixSeconds to, size_t limit) = 0;
  // How many units of `kind` the tenant used with from <= counted_at < to.
  virtual Result<int64_t> count_usage(std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                                      UnixSeconds to) = 0;
  // Deletes usage records (all tenants) counted before `before`. Records are
  // kept at least one year: a cutoff later than now - 366 days is
  // kInvalidArgument and deletes nothing. Returns how many were deleted.
  virtual Result<size_t> prune_usage_records(UnixSeconds before, UnixSeconds now) = 0;
  // The tenant's notices, newest first (created_at, notice_id descending), at most `limit`.
  virtual Result<std::vector<Notice>> list_notices(std::string_view tenant_id, size_t limit) = 0;
  // Sweep (all tenants), one transaction:
  //  1. expiry notices for up to `limit` packages: kEnded when now >=
  //     expires_at; else kExpiring7Days when now >= expires_at - 7 days; else
  //     kExpiring30Days when now >= expires_at - 30 days (only the latest
  //     applicable one is inserted: a package first seen 5 days before its
  //     end gets the 7-day notice, never a late 30-day one). Each (package,
  //     kind) once.
  //  2. every "pending" notice (up to `limit`): if its tenant has a notify
  //     target, make_callback(notice, url) is enqueued (order_id empty) and
  //     the notice becomes "queued"; else it becomes "none".
  // Returns the notices inserted by step 1.
  using NoticeCallbackFactory = std::function<std::optional<CallbackJob>(const Notice&, const std::string& url)>;
  virtual Result<std::vector<Notice>> sweep_package_notices(UnixSeconds now, size_t limit,
                                                            const NoticeCallbackFactory& make_callback) = 0;
  // Sets (replaces) the tenant's notify target; an empty url removes it.
  // kNotFound (tenant).
  virtual Status set_tenant_notify_target(const TenantNotifyTarget& target) = 0;
  virtual Result<TenantNotifyTarget> get_tenant_notify_target(std::string_view tenant_id) = 0;  // kNotFound: none
  // Sets the tenant's request-signature v1 cut-off (Tenant::signature_v1_cutoff)
  // and, in the same transaction, inserts the kSignatureV1Cutoff notice that
  // announces it (package_id empty, effective_at = cutoff, webhook
  // "pending": the next sweep_package_notices queues it). Every call is a
  // new notice, so a postponed or advanced cut-off is announced again.
  // Returns the notice. kNotFound (tenant).
  virtual Result<Notice> set_tenant_signature_v1_cutoff(std::string_view tenant_id, UnixSeconds cutoff,
                                                        UnixSeconds now) = 0;

  // --- audit (issue 5 §4, docs/audit.md; owner: audit) ------------------------
  // The audit log is ONE hash chain over all tenants (not tenant-scoped: the
  // tenant_id column serves export by tenant). Appending reads the chain
  // head (audit_head, one row) and advances it in the same transaction, so
  // concurrent appenders serialise on that row and seq is 1, 2, 3, … without
  // gaps; hash = store::audit_event_hash(prev_hash, event)
  // (store/audit_encoding.h), prev_hash of seq 1 = 32 zero bytes.
  //
  // Fail-closed binding (store/audit_scope.h): while a ScopedAuditEvent is
  // bound on the calling thread, EVERY write transaction of the store that
  // changed at least one row (all state-changing calls, except the audit
  // calls below) appends a copy of the bound event, with outcome "ok", inside
  // that transaction just before commit; if the append fails, the
  // transaction rolls back and the call fails. A write that changed nothing
  // (an empty sweep) appends nothing. PendingAuditEvent::appended and
  // last_seq count the commits that carried it.
  //
  // Appends `event` on its own (one transaction); assigns seq, prev_hash and
  // hash and returns the event as stored. actor_type must be "app",
  // "holder", "operator", "system" or "anonymous", action and outcome
  // non-empty (kInvalidArgument).
  virtual Result<AuditEvent> append_audit_event(const AuditEvent& event) = 0;
  // Appends several events in order in ONE transaction (a batch of
  // read-only request events); assigns their seq/hashes.
  virtual Status append_audit_events(std::vector<AuditEvent>& events) = 0;
  // The chain head: seq and hash of the last event (seq 0 and 32 zero bytes
  // when empty); signature/key_id/signed_at are empty.
  virtual Result<AuditCheckpoint> get_audit_head() = 0;
  // Up to `limit` events with seq > after_seq, by seq.
  virtual Result<std::vector<AuditEvent>> list_audit_events(int64_t after_seq, size_t limit) = 0;
  // Up to `limit` events of one tenant with from <= at < to and seq >
  // after_seq, by seq.
  virtual Result<std::vector<AuditEvent>> list_tenant_audit_events(std::string_view tenant_id, UnixSeconds from,
                                                                   UnixSeconds to, int64_t after_seq,
                                                                   size_t limit) = 0;
  // Stores a signed checkpoint. The event at cp.seq must exist (kNotFound)
  // and have cp.hash (kInvalidArgument); kDuplicate if seq has one already.
  virtual Status add_audit_checkpoint(const AuditCheckpoint& cp) = 0;
  // Checkpoints with from_seq <= seq <= to_seq, by seq.
  virtual Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(int64_t from_seq, int64_t to_seq) = 0;
  // The service's audit signing keys. put: kDuplicate if key_id exists.
  virtual Status put_audit_key(const AuditKey& key) = 0;
  // Oldest first (created_at, key_id).
  virtual Result<std::vector<AuditKey>> list_audit_keys() = 0;
  // Every operator token (revoked ones too), by created_at then name.
  virtual Result<std::vector<AdminToken>> list_admin_tokens() = 0;
  // Revokes every unrevoked token named `name`; returns how many (kNotFound
  // when there was none).
  virtual Result<size_t> revoke_admin_tokens(std::string_view name, UnixSeconds now) = 0;

  // --- operator tokens ------------------------------------------------------
  virtual Status create_admin_token(const AdminToken& token) = 0;
  // An unrevoked token by its hash.
  virtual Result<AdminToken> find_admin_token(ByteView token_hash) = 0;

  // --- retention (issue 5 §5; SQLite: store/sqlite_retention.cc) -----------
  //
  // Purges (all tenants) remove personal data and payloads that are no longer
  // needed, by the rules of RetentionSettings. Each purge call is ONE
  // transaction that changes up to `limit` records and appends, per record,
  // one audit event in that same transaction (actor_type "system", actor_id
  // `actor`, at `now`, outcome "ok", target the record's id, the record's
  // tenant_id, details a JSON object), so a purge and its audit record commit
  // or roll back together. Each returns how many records it purged; 0 when
  // nothing is due. Usage/metering records, audit events, certificates and
  // signatures are never touched by these calls.

  // Final orders (signed, rejected, expired, cancelled, failed; both kinds)
  // with updated_at <= final_before whose payload was not purged yet:
  // display_text becomes "", every data item's input (input_is_digest false)
  // is replaced by its SM3 digest (32 bytes; input_is_digest stays false),
  // digest items, signatures, title, state, ids and times stay;
  // payload_purged_at = now. Audit action "retention.order_payload_purged",
  // target the order id, details {"items": n}.
  virtual Result<size_t> purge_order_payloads(UnixSeconds final_before, UnixSeconds now, std::string_view actor,
                                              size_t limit) = 0;
  // Was the order's payload purged (and when)? nullopt: not purged. kNotFound.
  virtual Result<std::optional<UnixSeconds>> order_payload_purged_at(std::string_view tenant_id,
                                                                     std::string_view order_id) = 0;
  // Holders not purged yet that have a certificate created at or before
  // issued_before: id_number_ciphertext and phone_ciphertext become empty,
  // identity_purged_at = now. The name ciphertext (the certificate subject
  // of a re-issue, masked views) and the lookup hash (lookups by identity)
  // stay. Audit action "retention.identity_purged", target the holder id,
  // details {"fields": ["id_number", "phone"]}.
  virtual Result<size_t> purge_identity_attributes(UnixSeconds issued_before, UnixSeconds now,
                                                   std::string_view actor, size_t limit) = 0;
  // Keys whose share is still present and that are either revoked, or
  // unrevoked with at least one certificate whose newest not_after <=
  // expired_before (the key's last certificate expired): the share is wiped
  // (empty), an unrevoked key gets revoked_at = now, and the key's open
  // share refreshes become abandoned with their sealed values wiped. Audit
  // action "retention.key_share_wiped", target the key id, details
  // {"reason": "expired" | "revoked"}.
  virtual Result<size_t> wipe_retired_key_shares(UnixSeconds expired_before, UnixSeconds now,
                                                 std::string_view actor, size_t limit) = 0;
  // The settings last stored by put_retention_settings; kNotFound if never.
  virtual Result<RetentionSettings> get_retention_settings() = 0;
  // Stores (replaces) the settings. Days >= 0 and interval_seconds >= 1,
  // else kInvalidArgument.
  virtual Status put_retention_settings(const RetentionSettings& settings) = 0;

  // --- leases (generic; one row per name) ------------------------------------
  // Takes or renews the lease `name` for `owner` until now + ttl_seconds: true
  // if it was free, expired (expires_at <= now) or already held by `owner`;
  // false (nothing changed) while another owner holds it. One conditional
  // upsert: of concurrent callers (threads, processes, nodes) at most one
  // owner holds a lease at a time. ttl_seconds >= 1, name/owner non-empty,
  // else kInvalidArgument.
  virtual Result<bool> try_acquire_lease(std::string_view name, std::string_view owner, UnixSeconds now,
                                         int64_t ttl_seconds) = 0;

  // --- sla (issue 5 §2, §3, §7; SQLite: store/sqlite_sla.cc; owner: sla) ----
  // Availability minutes, maintenance windows, compensation credits and
  // rate-limit counters (records in store/sla_records.h). Core decides what
  // the counts mean (core/sla_report.h); the store only keeps them.

  // Adds every delta to its (tenant_id, minute) row, creating the row when
  // missing, in ONE transaction: requests, normal, total_us, probes_ok and
  // probes_failed are added, max_us becomes the larger of the two. Several
  // writers (threads, processes, nodes) adding into one row never lose a
  // delta. minute must be a multiple of 60 and every count >= 0, else
  // kInvalidArgument (nothing written). tenant_id "" is the service row.
  virtual Status add_availability(const std::vector<AvailabilityMinute>& deltas) = 0;
  // The rows of one tenant ("" = the service) with from <= minute < to, by minute.
  virtual Result<std::vector<AvailabilityMinute>> list_availability(std::string_view tenant_id, UnixSeconds from,
                                                                    UnixSeconds to) = 0;
  // The first minute the service recorded anything (its service row with
  // the smallest minute); nullopt when it never recorded one.
  virtual Result<std::optional<UnixSeconds>> first_availability_minute() = 0;

  // Maintenance windows (service-wide). create: window_id non-empty,
  // ends_at > starts_at, else kInvalidArgument; kDuplicate.
  virtual Status create_maintenance_window(const MaintenanceWindow& window) = 0;
  virtual Result<MaintenanceWindow> get_maintenance_window(std::string_view window_id) = 0;  // kNotFound
  // Windows overlapping [from, to) (starts_at < to and ends_at > from), by
  // starts_at then window_id.
  virtual Result<std::vector<MaintenanceWindow>> list_maintenance_windows(UnixSeconds from, UnixSeconds to) = 0;
  // Deletes a window that has not started (now < starts_at); kConflict once
  // it has started (the reports of its time depend on it); kNotFound.
  virtual Status delete_maintenance_window(std::string_view window_id, UnixSeconds now) = 0;

  // Proposes a credit: when the tenant has none for (month, kind), inserts
  // `credit` (state proposed; credit_id non-empty, amount >= 1, band "A" |
  // "B" | "C", else kInvalidArgument); when a proposed one exists, replaces
  // its band, amount, basis and updated_at (its credit_id stays); an
  // approved one is never changed. Returns the credit as stored. kNotFound
  // (tenant).
  virtual Result<SlaCredit> propose_sla_credit(const SlaCredit& credit) = 0;
  // Withdraws a still-proposed credit of (tenant, month, kind), e.g. after a
  // recomputation found no breach; an approved one stays. Ok when there is none.
  virtual Status withdraw_sla_credit(std::string_view tenant_id, std::string_view month, SlaCreditKind kind) = 0;
  // Entry point of approval (all tenants): a credit by its id. kNotFound.
  virtual Result<SlaCredit> find_sla_credit(std::string_view credit_id) = 0;
  // Credits, narrowed to a tenant and/or a month when non-empty, by month,
  // tenant_id, kind.
  virtual Result<std::vector<SlaCredit>> list_sla_credits(std::string_view tenant_id, std::string_view month) = 0;
  // Grants a credit exactly once, ONE transaction: the credit proposed ->
  // approved (approved_at = now, approved_by, package_id = bonus.package_id)
  // and `bonus` added as add_package does (source "sla_credit", the credit's
  // tenant). kConflict when the credit is no longer proposed (already
  // approved: nothing changes, no second package); kNotFound; add_package's
  // errors roll the approval back.
  virtual Status approve_sla_credit(std::string_view credit_id, std::string_view approved_by, UnixSeconds now,
                                    const Package& bonus) = 0;

  // Rate limiting with fixed windows shared by every node: adds 1 to the
  // counter (tenant_id, key, window_start) and returns its value after the
  // increment, in one atomic upsert (concurrent callers get distinct values
  // 1, 2, 3, ...). tenant_id and key non-empty, else kInvalidArgument.
  virtual Result<int64_t> hit_rate_window(std::string_view tenant_id, std::string_view key,
                                          UnixSeconds window_start) = 0;
  // Forgets counters of windows that started before `before`; returns how many.
  virtual Result<size_t> prune_rate_windows(UnixSeconds before) = 0;
  // A production tenant's limit: requests_per_second >= 1 sets (replaces)
  // it, 0 removes it (unlimited). kNotFound (tenant); negative is kInvalidArgument.
  virtual Status set_tenant_rate_limit(std::string_view tenant_id, int64_t requests_per_second, UnixSeconds now) = 0;
  // Every stored limit, by tenant_id.
  virtual Result<std::vector<TenantRateLimit>> list_tenant_rate_limits() = 0;
};

}  // namespace duet::store
