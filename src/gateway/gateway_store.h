// The gateway's own SQLite store (docs/gateway.md "The store"): not duetd's
// store and not its schema. One table of orders, which is also the outbox —
// each row's `state` says which upstream call comes next and is written
// BEFORE that call is made — and one table of the local apps' request nonces.
//
// Invariants:
//  - an order row is created (state prepared, the stamped document, its
//    ByteRange digest) before anything is sent upstream; its upstream
//    Idempotency-Key (upstream_key()) is derived from its id, so every retry
//    of the create, before or after a restart, names the same upstream order;
//  - states only move forward: prepared → submitted → cosigned → signed, or
//    to failed from any non-final state; each move is one conditional UPDATE
//    on the state it leaves (a second worker or a replayed callback cannot
//    move an order twice);
//  - the document never leaves this file except to the local app that sent it.
// Thread-safe: one connection behind a mutex (the HTTP threads and the
// outbox worker share it).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::store::sqlite {
class Connection;
}

namespace duet::gateway {

enum class OrderState { kPrepared, kSubmitted, kCosigned, kSigned, kFailed };

std::string_view order_state_name(OrderState s);
std::optional<OrderState> order_state_from_name(std::string_view name);
inline bool is_final(OrderState s) { return s == OrderState::kSigned || s == OrderState::kFailed; }

// A further document of a batch order (docs/gateway.md "Batch orders"):
// index 1, 2, …; document 0 is the order row's own. The same holder,
// appearance, SubFilter and signing time as document 0; its own stamped copy,
// ByteRange digest (its item upstream), CMS and signed PDF.
struct GatewayDocument {
  int index = 0;
  Bytes prepared_pdf;  // emptied once the signed PDF is stored
  std::array<uint64_t, 4> byte_range{};
  Bytes digest;
  std::string field_name;
  std::vector<int> stamped_pages = {};
  int64_t page_count = 0;
  Bytes cms;
  Bytes signed_pdf;
};

struct GatewayOrder {
  std::string order_id;         // "gwo_…"
  std::string app_id;           // the local app that created it
  std::string idempotency_key;  // the local request's Idempotency-Key ("" none)
  Bytes request_digest;         // SM3 of the local request body (a replay with another body is 409)
  std::string holder_id;
  std::string title;
  std::string display_text;
  std::optional<int64_t> expires_in;
  OrderState state = OrderState::kPrepared;
  std::string upstream_order_id;  // "" until submitted
  std::string upstream_state;     // duetd's state of the order, as last read
  Bytes prepared_pdf;             // emptied once the signed PDF is stored
  std::array<uint64_t, 4> byte_range{};
  Bytes digest;                   // SM3 of the ByteRange bytes (what goes upstream)
  std::string sub_filter;
  int64_t signing_time = 0;
  std::string field_name;
  Bytes cms;         // the co-signed CMS from duetd (digest-only), once cosigned
  Bytes signed_pdf;  // once signed; empty again once erased by the retention rule
  std::string error_code;  // failed: the public error code
  std::string error_message;
  int64_t attempts = 0;  // upstream calls that failed in a row (backoff)
  int64_t next_attempt_at = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t callback_attempts = 0;  // failed deliveries of the local callback owed (backoff)
  // The pages carrying the seal (from 1, ascending) and the document's page
  // count, as prepared (schema 3; empty/0 for orders stored before): the
  // pages a hybrid preview shows (docs/gateway.md "Page previews").
  std::vector<int> stamped_pages = {};
  int64_t page_count = 0;
  // The name the seal shows: the subject CN of the holder's certificate
  // (schema 4; "" for orders stored before, which no name check covers), and
  // whether it was checked against that certificate. False only when duetd
  // could not be asked at creation and the local system's signer_name was
  // drawn: the outbox checks it before the upstream create.
  std::string signer_name = {};
  bool signer_checked = true;
  // What the seal shows (schema 4): "name_stamp" or "handwritten" (the
  // holder's image read from duetd at creation); "" for orders stored before.
  std::string appearance = {};
  // Documents 1… of a batch order (schema 5); empty for a one-document order.
  std::vector<GatewayDocument> more_documents = {};
};

// The Idempotency-Key the gateway sends upstream for an order.
std::string upstream_key(std::string_view order_id);

class GatewayStore {
 public:
  // Opens (creating) the database at `path` and brings its schema to the
  // current version (PRAGMA user_version).
  static Result<std::unique_ptr<GatewayStore>> open(const std::string& path);
  ~GatewayStore();
  GatewayStore(const GatewayStore&) = delete;
  GatewayStore& operator=(const GatewayStore&) = delete;

  // Inserts a new order. With an idempotency key already used by the same
  // app, nothing is inserted and the existing order is returned with
  // *replayed = true.
  Result<GatewayOrder> create_order(const GatewayOrder& o, bool* replayed);
  // kNotFound unless the order exists and belongs to `app_id`.
  Result<GatewayOrder> get_order(std::string_view app_id, std::string_view order_id);
  Result<GatewayOrder> get_order_any(std::string_view order_id);
  // The order whose upstream order is `upstream_order_id` (kNotFound).
  Result<std::string> order_of_upstream(std::string_view upstream_order_id);
  // Ids of non-final orders due at `now`, oldest first.
  Result<std::vector<std::string>> due_orders(int64_t now, size_t limit);

  // State moves: each applies only from `from` (kConflict otherwise).
  // mark_submitted also only once the signer's name is checked.
  Status mark_submitted(std::string_view order_id, std::string_view upstream_order_id, std::string_view upstream_state,
                        int64_t now);
  // A prepared order's signer_name was found to be its holder's certificate CN.
  Status mark_signer_checked(std::string_view order_id, int64_t now);
  // With a batch, `more` holds the CMS / signed PDF of documents 1… in
  // order, all written in the one transaction of the state move.
  Status mark_cosigned(std::string_view order_id, ByteView cms, int64_t now, const std::vector<Bytes>& more = {});
  Status mark_signed(std::string_view order_id, ByteView signed_pdf, int64_t now, const std::vector<Bytes>& more = {});
  Status mark_failed(std::string_view order_id, std::string_view code, std::string_view message, int64_t now);
  // A retry later (attempts + 1) or a poll later (attempts reset), with the
  // upstream state last seen ("" keeps it).
  Status reschedule(std::string_view order_id, int64_t next_attempt_at, bool failed_attempt,
                    std::string_view upstream_state, int64_t now);
  // Due now (a verified callback named it).
  Status wake(std::string_view order_id);

  // False when the nonce was seen before for the app. Nonces older than
  // `forget_before` are dropped (the request window makes them useless).
  Result<bool> record_nonce(std::string_view app_id, std::string_view nonce, int64_t now, int64_t forget_before);

  // Local callbacks (docs/gateway.md "Callbacks to local systems"): one is
  // owed from the moment mark_signed/mark_failed commits (same UPDATE).
  // Ids of orders whose callback is due at `now`, oldest first.
  Result<std::vector<std::string>> due_callbacks(int64_t now, size_t limit);
  // Delivered (or none to deliver: the app has no callback_url): owed no more.
  Status callback_done(std::string_view order_id);
  // Not delivered: due again at `next_attempt_at`, attempts + 1.
  Status callback_retry(std::string_view order_id, int64_t next_attempt_at);

  // The retention rule: empties signed_pdf of the signed orders signed
  // (updated_at) before `signed_before`; returns how many. Their order rows,
  // digests and CMS stay. The freed pages are zeroed (secure_delete).
  Result<int64_t> erase_signed_pdfs(int64_t signed_before);

  // Number of orders per state (metrics).
  Result<std::vector<std::pair<std::string, int64_t>>> count_by_state();

 private:
  explicit GatewayStore(std::unique_ptr<store::sqlite::Connection> conn);
  // Runs a state-moving UPDATE (?1 = order id) and checks that it changed one row.
  Status one_row(std::string_view what);
  Result<GatewayOrder> read_one(std::string_view where, std::string_view a, std::string_view b);
  // Runs `body` in one write transaction (rolled back when it fails).
  template <typename F>
  Status in_transaction(F body);
  // Sets `column` of documents 1… to `values` (in order); drop_prepared also
  // empties their prepared copies. Inside a transaction.
  Status set_documents(std::string_view order_id, std::string_view column, const std::vector<Bytes>& values,
                       bool drop_prepared);

  std::mutex mu_;
  std::unique_ptr<store::sqlite::Connection> conn_;
};

}  // namespace duet::gateway
