// store::OrderStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Sign orders and sessions, PIN attempts and share refreshes.
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
#include "store/write_context.h"

namespace duet::store {

// Builds the webhook for an order that changed state inside a sweep (called
// inside the transaction, with the order in its new state; must not call back
// into the store). nullopt: no callback for this order.
using CallbackFactory = std::function<std::optional<CallbackJob>(const SignOrder&)>;

class OrderStore {
 public:
  virtual ~OrderStore() = default;

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
  virtual Result<PinAttemptCounters> begin_sign_attempt(const WriteContext& context, const SignSession& session,
                                                        std::string_view attempt_id, UnixSeconds window_since,
                                                        const PinAttemptRule& rule, UnixSeconds now) = 0;
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
  virtual Status accept_sign_attempt(const WriteContext& context, std::string_view tenant_id,
                                     std::string_view session_id, std::string_view attempt_id,
                                     const std::vector<std::string>& r_values, UnixSeconds now,
                                     std::string_view key_id = {}, ByteView expected_share = {}) = 0;
  // Refresh step 1 (refresh.state and sealed values ignored). In this order:
  // refresh id used before in the tenant -> kConflict (kDuplicate); the key
  // must be the holder's and unrevoked (kNotFound / kConflict); the rule;
  // then the refresh is stored kAbandoned with no sealed values: it becomes
  // open only through accept_refresh_attempt, so a crash in between leaves
  // nothing usable.
  virtual Result<PinAttemptCounters> begin_refresh_attempt(const WriteContext& context, const ShareRefresh& refresh,
                                                           std::string_view attempt_id, UnixSeconds window_since,
                                                           const PinAttemptRule& rule, UnixSeconds now) = 0;
  // The refresh request's proof verified: abandoned -> open with the pending
  // share; attempt ok; holder failed_attempts 0 (refresh_required stays until
  // the confirm).
  // Conditional on the key like accept_sign_attempt. Every other open
  // refresh of the key is abandoned when one is confirmed (confirm_share_refresh).
  virtual Status accept_refresh_attempt(const WriteContext& context, std::string_view tenant_id,
                                        std::string_view refresh_id, std::string_view attempt_id,
                                        ByteView pending_share_ciphertext, UnixSeconds now,
                                        std::string_view key_id = {}, ByteView expected_share = {}) = 0;
  // Refresh confirm. In this order: unknown refresh or another holder's ->
  // kNotFound; confirmed -> kConflict "share refresh already confirmed"; not
  // open -> kConflict; created at or before open_since -> ErrorCode::kExpired
  // (the refresh is abandoned, its pending share wiped); the rule. The
  // attempt then ends with confirm_share_refresh or fail_pin_attempt.
  virtual Result<PinAttemptCounters> begin_confirm_attempt(const WriteContext& context, std::string_view tenant_id,
                                                           std::string_view holder_id, std::string_view refresh_id,
                                                           std::string_view attempt_id, UnixSeconds open_since,
                                                           UnixSeconds window_since, const PinAttemptRule& rule,
                                                           UnixSeconds now) = 0;
  // A PIN challenge for the holder's own data (docs/protocol.md §6.1, the
  // handwritten signature): the attempt is counted when the challenge is
  // issued, and attempt_id is the challenge. In this order: unknown holder ->
  // kNotFound; refresh_required -> ErrorCode::kRefreshRequired; the rule
  // (ErrorCode::kLocked); then the attempt is stored pending. Nothing else.
  virtual Result<PinAttemptCounters> begin_holder_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                                              std::string_view holder_id, std::string_view attempt_id,
                                                              UnixSeconds window_since, const PinAttemptRule& rule,
                                                              UnixSeconds now) = 0;
  // The holder's attempt `attempt_id` if it is still pending, with the
  // holder's counters now (failures_in_window counted since window_since).
  // kNotFound when unknown, another holder's, or ended (ok, failed, forgiven).
  virtual Result<PendingPinAttempt> get_pending_pin_attempt(std::string_view tenant_id, std::string_view holder_id,
                                                            std::string_view attempt_id, UnixSeconds window_since) = 0;
  // The challenge's proof verified: the holder's consecutive failures reset
  // to 0 and the attempt ends ok, one transaction. kConflict (nothing
  // changes) when it is not the holder's pending attempt any more: a
  // challenge answers one proof only.
  virtual Status accept_holder_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                           std::string_view holder_id, std::string_view attempt_id) = 0;
  // A PIN proof failed, one transaction: attempt failed; with lock_holder
  // (core's rule says this failure reached a limit) the holder's status
  // becomes locked; each alarm job enqueued (the business system hears of
  // every failure and lock); with a session id, the session fails too, and
  // if the holder is now locked the order fails (its other sessions too) with
  // callback_if_order_fails. Counters are not reset: the attempt was counted
  // as a failure when it began.
  virtual Status fail_pin_attempt(const WriteContext& context, std::string_view tenant_id, std::string_view attempt_id,
                                  bool lock_holder, std::string_view session_id, const std::vector<CallbackJob>& alarms,
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
  virtual Status confirm_share_refresh(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view refresh_id, std::string_view attempt_id,
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
  // A kPdf order is refused here (kInvalidArgument): create_document_order.
  virtual Result<SignOrder> create_order(const WriteContext& context, const SignOrder& order) = 0;
  // create_order of a kPdf order with its documents, one per item
  // (documents[i].item_index == i, the order's tenant and id), in the SAME
  // transaction: the order exists with all its documents or not at all. An
  // idempotent replay returns the existing order and writes nothing.
  // kInvalidArgument for a kPdf order without documents (or with a count
  // other than its items) and for documents on another format.
  virtual Result<SignOrder> create_document_order(const WriteContext& context, const SignOrder& order,
                                                  const std::vector<OrderDocument>& documents) = 0;
  // One document of a kPdf order, with its prepared and (once signed) signed
  // bytes. kNotFound for an unknown order, another tenant's, an item without
  // a document, or one purged by the retention rules.
  virtual Result<OrderDocument> get_order_document(std::string_view tenant_id, std::string_view order_id,
                                                   int item_index) = 0;
  // The same without its bytes (prepared_pdf and signed_pdf empty): what
  // the holder's order view needs (ByteRange, /SubFilter, time, pages) to
  // compute e, without reading a document of up to pdf.max_bytes. Same errors.
  virtual Result<OrderDocument> get_order_document_info(std::string_view tenant_id, std::string_view order_id,
                                                        int item_index) = 0;
  // Hybrid previews (schema v28, OrderPreview): replaces every preview of
  // the order by `pages` in ONE transaction with the audit event of
  // `context`. kNotFound for an unknown order or another tenant's;
  // kInvalidArgument, nothing written, for no pages, a page outside
  // 1..page_count, pages that disagree on page_count or repeat, an empty PNG,
  // or a row naming another tenant/order. The caller (core) checks who may
  // upload and when.
  virtual Status put_order_previews(const WriteContext& context, std::string_view tenant_id,
                                    std::string_view order_id, const std::vector<OrderPreview>& pages) = 0;
  // The order's previews by page ascending, without their PNGs; empty when
  // none (or the order is unknown).
  virtual Result<std::vector<OrderPreview>> list_order_previews(std::string_view tenant_id,
                                                                std::string_view order_id) = 0;
  // One preview with its PNG. kNotFound when the order has no such page.
  virtual Result<OrderPreview> get_order_preview(std::string_view tenant_id, std::string_view order_id,
                                                 int page) = 0;
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
  virtual Result<OrderState> fail_sign_session(const WriteContext& context, std::string_view tenant_id,
                                               std::string_view session_id,
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
  virtual Status finish_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                              std::string_view session_id, const std::vector<Bytes>& signatures,
                              const std::optional<CallbackJob>& callback, UnixSeconds now) = 0;
  // finish_order of a kPdf order, with the signed PDF of each item written to
  // its document in the same transaction (signed_pdfs[i] for item i; none
  // empty): the callback that says the PDF is ready is committed with it.
  // kInvalidArgument if the counts differ; kNotFound if a document is missing.
  virtual Status finish_document_order(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view order_id, std::string_view session_id,
                                       const std::vector<Bytes>& signatures, const std::vector<Bytes>& signed_pdfs,
                                       const std::optional<CallbackJob>& callback, UnixSeconds now) = 0;
  // The holder declined: pending|signing -> rejected (open sessions failed),
  // callback enqueued. kConflict otherwise.
  virtual Status reject_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                              const std::optional<CallbackJob>& callback, UnixSeconds now) = 0;
  // The business system withdrew it: pending -> cancelled. kConflict otherwise.
  virtual Status cancel_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                              const std::optional<CallbackJob>& callback, UnixSeconds now) = 0;
  // Sweep (all tenants): up to `limit` orders pending|signing with
  // expires_at <= now -> expired, their open sessions failed, and
  // make_callback(order) enqueued for each, all in one transaction. Returns
  // the expired orders in their new state. The context's audit event (the
  // sweep's, write_context.h) is appended once PER EXPIRED ORDER in that transaction,
  // with the order's tenant_id and target "order_id:<id>" (so a tenant's
  // export holds its expiries); nothing is appended when nothing expired.
  virtual Result<std::vector<SignOrder>> expire_orders(const WriteContext& context, UnixSeconds now, size_t limit,
                                                       const CallbackFactory& make_callback) = 0;

  // finish_order for a kCsr order, and the issued certificate stored, in ONE
  // transaction: order -> signed, signatures written, session finished
  // (others failed), holder attempts reset, no callback, and `certificate`
  // inserted. The certificate must name the order's tenant, holder and key
  // (else kInvalidArgument). kConflict if another finish won or the serial
  // is taken (nothing is written then); kNotFound as finish_order;
  // kInvalidArgument if the order is not kCsr.
  virtual Status finish_csr_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                                  std::string_view session_id, const std::vector<Bytes>& signatures,
                                  const Certificate& certificate, UnixSeconds now) = 0;
};

}  // namespace duet::store
