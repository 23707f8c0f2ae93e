#include "gateway/gateway_store.h"


#include "store/sqlite_db.h"

namespace duet::gateway {
namespace {

using store::sqlite::Connection;
using store::sqlite::Statement;

// Version 1. Blobs of up to pdf.max_bytes (+ the update) per order; the
// outbox is the orders table itself (state, attempts, next_attempt_at).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE gw_orders (
  order_id TEXT NOT NULL PRIMARY KEY,
  app_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_digest BLOB NOT NULL,
  holder_id TEXT NOT NULL,
  title TEXT NOT NULL,
  display_text TEXT NOT NULL,
  expires_in INTEGER,
  state TEXT NOT NULL CHECK (state IN ('prepared', 'submitted', 'cosigned', 'signed', 'failed')),
  upstream_order_id TEXT NOT NULL DEFAULT '',
  upstream_state TEXT NOT NULL DEFAULT '',
  prepared_pdf BLOB NOT NULL,
  byte_range_0 INTEGER NOT NULL, byte_range_1 INTEGER NOT NULL,
  byte_range_2 INTEGER NOT NULL, byte_range_3 INTEGER NOT NULL,
  digest BLOB NOT NULL CHECK (length(digest) = 32),
  sub_filter TEXT NOT NULL,
  signing_time INTEGER NOT NULL,
  field_name TEXT NOT NULL,
  cms BLOB,
  signed_pdf BLOB,
  error_code TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX gw_orders_idempotency ON gw_orders (app_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX gw_orders_due ON gw_orders (next_attempt_at) WHERE state IN ('prepared', 'submitted', 'cosigned');
CREATE INDEX gw_orders_upstream ON gw_orders (upstream_order_id) WHERE upstream_order_id <> '';
CREATE TABLE gw_nonces (
  app_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, nonce)
);
PRAGMA user_version = 1;
)sql";

// Version 2: the callback a local app is owed when its order reaches a final
// state (callback_due_at set in the same UPDATE that makes it final; NULL:
// none owed). Orders final before the upgrade owe none.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE gw_orders ADD COLUMN callback_due_at INTEGER;
ALTER TABLE gw_orders ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX gw_orders_callbacks ON gw_orders (callback_due_at) WHERE callback_due_at IS NOT NULL;
PRAGMA user_version = 2;
)sql";

// Version 3: the stamped pages and page count of the prepared document (the
// pages of a hybrid preview). Orders stored before have none: no preview.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE gw_orders ADD COLUMN stamped_pages TEXT NOT NULL DEFAULT '';
ALTER TABLE gw_orders ADD COLUMN page_count INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 3;
)sql";

// Version 4: the name the seal shows (signer_name: the subject CN of the
// holder's certificate, docs/gateway.md "The signer's name") and whether it
// was checked against that certificate at creation (signer_checked 0: duetd
// was unreachable then; the outbox checks it before the upstream create).
// Orders stored before have '' and 1: neither check applies to them. And
// what the seal shows (appearance: name_stamp or handwritten; '' before).
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE gw_orders ADD COLUMN signer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE gw_orders ADD COLUMN signer_checked INTEGER NOT NULL DEFAULT 1;
ALTER TABLE gw_orders ADD COLUMN appearance TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 4;
)sql";

// Version 5: the further documents of a batch order (docs/gateway.md "Batch
// orders"), one row each from index 1; document 0 stays in its order row.
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE gw_documents (
  order_id TEXT NOT NULL REFERENCES gw_orders (order_id),
  idx INTEGER NOT NULL CHECK (idx >= 1),
  prepared_pdf BLOB NOT NULL,
  byte_range_0 INTEGER NOT NULL, byte_range_1 INTEGER NOT NULL,
  byte_range_2 INTEGER NOT NULL, byte_range_3 INTEGER NOT NULL,
  digest BLOB NOT NULL CHECK (length(digest) = 32),
  field_name TEXT NOT NULL,
  stamped_pages TEXT NOT NULL DEFAULT '',
  page_count INTEGER NOT NULL DEFAULT 0,
  cms BLOB,
  signed_pdf BLOB,
  PRIMARY KEY (order_id, idx)
);
PRAGMA user_version = 5;
)sql";

// "1,3" <-> {1, 3}; anything that is not a page number is skipped.
std::string pages_text(const std::vector<int>& pages) {
  std::string out;
  for (int p : pages) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}
std::vector<int> pages_of(std::string_view text) {
  std::vector<int> out;
  int v = 0;
  bool any = false;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] >= '0' && text[i] <= '9' && v < 1000000) {
      v = v * 10 + (text[i] - '0');
      any = true;
    } else {
      if (any && v >= 1) out.push_back(v);
      v = 0;
      any = false;
    }
  }
  return out;
}

constexpr const char* kColumns =
    "order_id, app_id, idempotency_key, request_digest, holder_id, title, display_text, expires_in, state, "
    "upstream_order_id, upstream_state, prepared_pdf, byte_range_0, byte_range_1, byte_range_2, byte_range_3, "
    "digest, sub_filter, signing_time, field_name, cms, signed_pdf, error_code, error_message, attempts, "
    "next_attempt_at, created_at, updated_at, callback_attempts, stamped_pages, page_count, signer_name, signer_checked, "
    "appearance";

Result<GatewayOrder> decode(const Statement& st) {
  GatewayOrder o;
  o.order_id = st.column_text(0);
  o.app_id = st.column_text(1);
  o.idempotency_key = st.column_text(2);
  o.request_digest = st.column_blob(3);
  o.holder_id = st.column_text(4);
  o.title = st.column_text(5);
  o.display_text = st.column_text(6);
  o.expires_in = st.column_optional_int(7);
  auto state = order_state_from_name(st.column_text(8));
  if (!state) return make_error(ErrorCode::kInternal, "a gateway order has an unknown state");
  o.state = *state;
  o.upstream_order_id = st.column_text(9);
  o.upstream_state = st.column_text(10);
  o.prepared_pdf = st.column_blob(11);
  for (int i = 0; i < 4; ++i) o.byte_range[i] = static_cast<uint64_t>(st.column_int(12 + i));
  o.digest = st.column_blob(16);
  o.sub_filter = st.column_text(17);
  o.signing_time = st.column_int(18);
  o.field_name = st.column_text(19);
  o.cms = st.column_blob(20);
  o.signed_pdf = st.column_blob(21);
  o.error_code = st.column_text(22);
  o.error_message = st.column_text(23);
  o.attempts = st.column_int(24);
  o.next_attempt_at = st.column_int(25);
  o.created_at = st.column_int(26);
  o.updated_at = st.column_int(27);
  o.callback_attempts = st.column_int(28);
  o.stamped_pages = pages_of(st.column_text(29));
  o.page_count = st.column_int(30);
  o.signer_name = st.column_text(31);
  o.signer_checked = st.column_int(32) != 0;
  o.appearance = st.column_text(33);
  return o;
}

// The first column of every row of `st` (order ids of a due_* query).
Result<std::vector<std::string>> order_ids(Statement& st) {
  std::vector<std::string> out;
  while (true) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(st.column_text(0));
  }
  return out;
}

}  // namespace

std::string_view order_state_name(OrderState s) {
  switch (s) {
    case OrderState::kPrepared: return "prepared";
    case OrderState::kSubmitted: return "submitted";
    case OrderState::kCosigned: return "cosigned";
    case OrderState::kSigned: return "signed";
    case OrderState::kFailed: return "failed";
  }
  return "failed";
}

std::optional<OrderState> order_state_from_name(std::string_view n) {
  for (OrderState s : {OrderState::kPrepared, OrderState::kSubmitted, OrderState::kCosigned, OrderState::kSigned,
                       OrderState::kFailed})
    if (order_state_name(s) == n) return s;
  return std::nullopt;
}

std::string upstream_key(std::string_view order_id) { return "gateway-" + std::string(order_id); }

GatewayStore::GatewayStore(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
GatewayStore::~GatewayStore() = default;

Result<std::unique_ptr<GatewayStore>> GatewayStore::open(const std::string& path) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::open(path, 5000));
  // Every state move is the record the next restart resumes from: fsync the
  // WAL at each commit (an order must survive a power loss, not only a kill).
  DUET_TRY_STATUS(conn->exec("PRAGMA synchronous=FULL", "set synchronous"));
  // Documents erased (the retention rule, a failed order's prepared copy)
  // are overwritten in the file, not left in free pages.
  DUET_TRY_STATUS(conn->exec("PRAGMA secure_delete=ON", "set secure_delete"));
  DUET_ASSIGN_OR_RETURN(Statement v, Statement::prepare(*conn, "PRAGMA user_version"));
  DUET_ASSIGN_OR_RETURN(bool row, v.step());
  const int64_t version = row ? v.column_int(0) : 0;
  if (version > 5) return make_error(ErrorCode::kUnavailable, "the gateway database is of a newer version");
  // Each version in its own transaction: a crash leaves a whole version.
  const char* steps[] = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5};
  for (int64_t next = version; next < 5; ++next) {
    DUET_TRY_STATUS(conn->exec("BEGIN IMMEDIATE", "begin schema"));
    Status made = conn->exec(steps[next], "migrate the gateway schema");
    if (!made.ok()) {
      (void)conn->exec("ROLLBACK", "rollback schema");
      return Unexpected{made.error()};
    }
    DUET_TRY_STATUS(conn->exec("COMMIT", "commit schema"));
  }
  return std::unique_ptr<GatewayStore>(new GatewayStore(std::move(conn)));
}

Result<GatewayOrder> GatewayStore::read_one(std::string_view where, std::string_view a, std::string_view b) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_, std::string("SELECT ") + kColumns +
                                                                     " FROM gw_orders WHERE " + std::string(where)));
  st.bind(1, a);
  if (!b.empty()) st.bind(2, b);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return make_error(ErrorCode::kNotFound, "no such order");
  DUET_ASSIGN_OR_RETURN(GatewayOrder o, decode(st));
  DUET_ASSIGN_OR_RETURN(Statement docs,
                        Statement::prepare(*conn_,
                                           "SELECT idx, prepared_pdf, byte_range_0, byte_range_1, byte_range_2, "
                                           "byte_range_3, digest, field_name, stamped_pages, page_count, cms, "
                                           "signed_pdf FROM gw_documents WHERE order_id = ?1 ORDER BY idx"));
  docs.bind(1, o.order_id);
  while (true) {
    DUET_ASSIGN_OR_RETURN(bool more, docs.step());
    if (!more) break;
    GatewayDocument d;
    d.index = static_cast<int>(docs.column_int(0));
    d.prepared_pdf = docs.column_blob(1);
    for (int i = 0; i < 4; ++i) d.byte_range[i] = static_cast<uint64_t>(docs.column_int(2 + i));
    d.digest = docs.column_blob(6);
    d.field_name = docs.column_text(7);
    d.stamped_pages = pages_of(docs.column_text(8));
    d.page_count = docs.column_int(9);
    d.cms = docs.column_blob(10);
    d.signed_pdf = docs.column_blob(11);
    o.more_documents.push_back(std::move(d));
  }
  return o;
}

template <typename F>
Status GatewayStore::in_transaction(F body) {
  DUET_TRY_STATUS(conn_->exec("BEGIN IMMEDIATE", "begin"));
  Status st = body();
  if (!st.ok()) {
    (void)conn_->exec("ROLLBACK", "rollback");
    return st;
  }
  Status committed = conn_->exec("COMMIT", "commit");
  if (!committed.ok()) (void)conn_->exec("ROLLBACK", "rollback");
  return committed;
}

Result<GatewayOrder> GatewayStore::create_order(const GatewayOrder& o, bool* replayed) {
  std::lock_guard lock(mu_);
  *replayed = false;
  if (!o.idempotency_key.empty()) {
    auto existing = read_one("app_id = ?1 AND idempotency_key = ?2", o.app_id, o.idempotency_key);
    if (existing.ok()) {
      *replayed = true;
      return existing;
    }
    if (existing.code() != ErrorCode::kNotFound) return existing;
  }
  Status inserted = in_transaction([&]() -> Status {
  DUET_ASSIGN_OR_RETURN(
      Statement st,
      Statement::prepare(*conn_, std::string("INSERT INTO gw_orders (") + kColumns +
                                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '', '', ?10, ?11, ?12, ?13, ?14, "
                                     "?15, ?16, ?17, ?18, NULL, NULL, '', '', 0, ?19, ?20, ?20, 0, ?21, ?22, ?23, ?24, ?25)"));
  st.bind(1, o.order_id).bind(2, o.app_id).bind(3, o.idempotency_key).bind(4, o.request_digest);
  st.bind(5, o.holder_id).bind(6, o.title).bind(7, o.display_text).bind(8, o.expires_in);
  st.bind(9, order_state_name(OrderState::kPrepared)).bind(10, o.prepared_pdf);
  for (int i = 0; i < 4; ++i) st.bind(11 + i, static_cast<int64_t>(o.byte_range[i]));
  st.bind(15, o.digest).bind(16, o.sub_filter).bind(17, o.signing_time).bind(18, o.field_name);
  st.bind(19, o.next_attempt_at).bind(20, o.created_at).bind(21, pages_text(o.stamped_pages)).bind(22, o.page_count);
  st.bind(23, o.signer_name).bind(24, static_cast<int64_t>(o.signer_checked ? 1 : 0)).bind(25, o.appearance);
  DUET_TRY_STATUS(st.run());
  for (const GatewayDocument& d : o.more_documents) {
    DUET_ASSIGN_OR_RETURN(Statement ds,
                          Statement::prepare(*conn_,
                                             "INSERT INTO gw_documents (order_id, idx, prepared_pdf, byte_range_0, "
                                             "byte_range_1, byte_range_2, byte_range_3, digest, field_name, "
                                             "stamped_pages, page_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                             "?9, ?10, ?11)"));
    ds.bind(1, o.order_id).bind(2, static_cast<int64_t>(d.index)).bind(3, d.prepared_pdf);
    for (int i = 0; i < 4; ++i) ds.bind(4 + i, static_cast<int64_t>(d.byte_range[i]));
    ds.bind(8, d.digest).bind(9, d.field_name).bind(10, pages_text(d.stamped_pages)).bind(11, d.page_count);
    DUET_TRY_STATUS(ds.run());
  }
  return Status::Ok();
  });
  DUET_TRY_STATUS(inserted);
  return read_one("order_id = ?1", o.order_id, "");
}

Result<GatewayOrder> GatewayStore::get_order(std::string_view app_id, std::string_view order_id) {
  std::lock_guard lock(mu_);
  return read_one("order_id = ?1 AND app_id = ?2", order_id, app_id);
}

Result<GatewayOrder> GatewayStore::get_order_any(std::string_view order_id) {
  std::lock_guard lock(mu_);
  return read_one("order_id = ?1", order_id, "");
}

Result<std::string> GatewayStore::order_of_upstream(std::string_view upstream_order_id) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st,
                        Statement::prepare(*conn_, "SELECT order_id FROM gw_orders WHERE upstream_order_id = ?1"));
  st.bind(1, upstream_order_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row || upstream_order_id.empty()) return make_error(ErrorCode::kNotFound, "no such order");
  return st.column_text(0);
}

Result<std::vector<std::string>> GatewayStore::due_orders(int64_t now, size_t limit) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "SELECT order_id FROM gw_orders WHERE state IN ('prepared', "
                                                         "'submitted', 'cosigned') AND next_attempt_at <= ?1 "
                                                         "ORDER BY created_at, order_id LIMIT ?2"));
  st.bind(1, now).bind(2, static_cast<int64_t>(limit));
  return order_ids(st);
}

Status GatewayStore::one_row(std::string_view what) {
  if (conn_->changes() != 1)
    return make_error(ErrorCode::kConflict, "the order is no longer in the state " + std::string(what) + " expects");
  return Status::Ok();
}

Status GatewayStore::mark_submitted(std::string_view order_id, std::string_view upstream_order_id,
                                    std::string_view upstream_state, int64_t now) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET state = 'submitted', upstream_order_id "
                                                         "= ?2, upstream_state = ?3, attempts = 0, next_attempt_at = "
                                                         "?4, updated_at = ?4 WHERE order_id = ?1 AND state = "
                                                         "'prepared' AND signer_checked = 1"));
  st.bind(1, order_id).bind(2, upstream_order_id).bind(3, upstream_state).bind(4, now);
  DUET_TRY_STATUS(st.run());
  return one_row("submitted");
}

Status GatewayStore::mark_signer_checked(std::string_view order_id, int64_t now) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET signer_checked = 1, updated_at = ?2 "
                                                         "WHERE order_id = ?1 AND state = 'prepared'"));
  st.bind(1, order_id).bind(2, now);
  DUET_TRY_STATUS(st.run());
  return one_row("prepared");
}

Status GatewayStore::set_documents(std::string_view order_id, std::string_view column, const std::vector<Bytes>& values,
                                   bool drop_prepared) {
  for (size_t i = 0; i < values.size(); ++i) {
    DUET_ASSIGN_OR_RETURN(Statement st,
                          Statement::prepare(*conn_, "UPDATE gw_documents SET " + std::string(column) + " = ?3" +
                                                         (drop_prepared ? ", prepared_pdf = x''" : "") +
                                                         " WHERE order_id = ?1 AND idx = ?2"));
    st.bind(1, order_id).bind(2, static_cast<int64_t>(i + 1)).bind(3, values[i]);
    DUET_TRY_STATUS(st.run());
    if (conn_->changes() != 1) return make_error(ErrorCode::kConflict, "the batch order has fewer documents");
  }
  return Status::Ok();
}

Status GatewayStore::mark_cosigned(std::string_view order_id, ByteView cms, int64_t now,
                                   const std::vector<Bytes>& more) {
  std::lock_guard lock(mu_);
  return in_transaction([&]() -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                           "UPDATE gw_orders SET state = 'cosigned', cms = ?2, "
                                                           "upstream_state = 'signed', attempts = 0, next_attempt_at = "
                                                           "?3, updated_at = ?3 WHERE order_id = ?1 AND state = "
                                                           "'submitted'"));
    st.bind(1, order_id).bind(2, cms).bind(3, now);
    DUET_TRY_STATUS(st.run());
    DUET_TRY_STATUS(one_row("cosigned"));
    return set_documents(order_id, "cms", more, false);
  });
}

Status GatewayStore::mark_signed(std::string_view order_id, ByteView signed_pdf, int64_t now,
                                 const std::vector<Bytes>& more) {
  std::lock_guard lock(mu_);
  // The prepared documents are no longer needed: the signed ones extend them.
  return in_transaction([&]() -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                           "UPDATE gw_orders SET state = 'signed', signed_pdf = ?2, "
                                                           "prepared_pdf = x'', updated_at = ?3, callback_due_at = ?3 "
                                                           "WHERE order_id = ?1 AND state = 'cosigned'"));
    st.bind(1, order_id).bind(2, signed_pdf).bind(3, now);
    DUET_TRY_STATUS(st.run());
    DUET_TRY_STATUS(one_row("signed"));
    return set_documents(order_id, "signed_pdf", more, true);
  });
}

Status GatewayStore::mark_failed(std::string_view order_id, std::string_view code, std::string_view message,
                                 int64_t now) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET state = 'failed', error_code = ?2, "
                                                         "error_message = ?3, prepared_pdf = x'', updated_at = ?4, "
                                                         "callback_due_at = ?4 WHERE order_id = ?1 AND state IN ('prepared', 'submitted', "
                                                         "'cosigned')"));
  st.bind(1, order_id).bind(2, code).bind(3, message).bind(4, now);
  return in_transaction([&]() -> Status {
    DUET_TRY_STATUS(st.run());
    DUET_TRY_STATUS(one_row("failed"));
    DUET_ASSIGN_OR_RETURN(Statement docs, Statement::prepare(*conn_,
                                                             "UPDATE gw_documents SET prepared_pdf = x'' WHERE "
                                                             "order_id = ?1"));
    docs.bind(1, order_id);
    return docs.run();
  });
}

Status GatewayStore::reschedule(std::string_view order_id, int64_t next_attempt_at, bool failed_attempt,
                                std::string_view upstream_state, int64_t now) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET next_attempt_at = ?2, attempts = CASE "
                                                         "WHEN ?3 THEN attempts + 1 ELSE 0 END, upstream_state = CASE "
                                                         "WHEN ?4 = '' THEN upstream_state ELSE ?4 END, updated_at = "
                                                         "?5 WHERE order_id = ?1"));
  st.bind(1, order_id).bind(2, next_attempt_at).bind(3, failed_attempt ? 1 : 0).bind(4, upstream_state).bind(5, now);
  return st.run();
}

Status GatewayStore::wake(std::string_view order_id) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET next_attempt_at = 0 WHERE order_id = ?1 "
                                                         "AND state IN ('prepared', 'submitted', 'cosigned')"));
  st.bind(1, order_id);
  return st.run();
}

Result<bool> GatewayStore::record_nonce(std::string_view app_id, std::string_view nonce, int64_t now,
                                        int64_t forget_before) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement prune, Statement::prepare(*conn_, "DELETE FROM gw_nonces WHERE seen_at < ?1"));
  prune.bind(1, forget_before);
  DUET_TRY_STATUS(prune.run());
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "INSERT INTO gw_nonces (app_id, nonce, seen_at) VALUES (?1, "
                                                         "?2, ?3) ON CONFLICT DO NOTHING"));
  st.bind(1, app_id).bind(2, nonce).bind(3, now);
  DUET_TRY_STATUS(st.run());
  return conn_->changes() == 1;
}

Result<std::vector<std::string>> GatewayStore::due_callbacks(int64_t now, size_t limit) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "SELECT order_id FROM gw_orders WHERE callback_due_at <= ?1 "
                                                         "ORDER BY callback_due_at, order_id LIMIT ?2"));
  st.bind(1, now).bind(2, static_cast<int64_t>(limit));
  return order_ids(st);
}

Status GatewayStore::callback_done(std::string_view order_id) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET callback_due_at = NULL, "
                                                         "callback_attempts = 0 WHERE order_id = ?1"));
  st.bind(1, order_id);
  return st.run();
}

Status GatewayStore::callback_retry(std::string_view order_id, int64_t next_attempt_at) {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET callback_due_at = ?2, callback_attempts "
                                                         "= callback_attempts + 1 WHERE order_id = ?1 AND "
                                                         "callback_due_at IS NOT NULL"));
  st.bind(1, order_id).bind(2, next_attempt_at);
  return st.run();
}

Result<int64_t> GatewayStore::erase_signed_pdfs(int64_t signed_before) {
  std::lock_guard lock(mu_);
  // A signed order no longer moves, so updated_at is when it was signed.
  DUET_ASSIGN_OR_RETURN(Statement docs, Statement::prepare(*conn_,
                                                           "UPDATE gw_documents SET signed_pdf = x'' WHERE "
                                                           "length(signed_pdf) > 0 AND order_id IN (SELECT order_id "
                                                           "FROM gw_orders WHERE state = 'signed' AND updated_at < ?1)"));
  docs.bind(1, signed_before);
  DUET_TRY_STATUS(docs.run());
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(*conn_,
                                                         "UPDATE gw_orders SET signed_pdf = x'' WHERE state = 'signed' "
                                                         "AND length(signed_pdf) > 0 AND updated_at < ?1"));
  st.bind(1, signed_before);
  DUET_TRY_STATUS(st.run());
  return static_cast<int64_t>(conn_->changes());
}

Result<std::vector<std::pair<std::string, int64_t>>> GatewayStore::count_by_state() {
  std::lock_guard lock(mu_);
  DUET_ASSIGN_OR_RETURN(Statement st,
                        Statement::prepare(*conn_, "SELECT state, count(*) FROM gw_orders GROUP BY state"));
  std::vector<std::pair<std::string, int64_t>> out;
  while (true) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.emplace_back(st.column_text(0), st.column_int(1));
  }
  return out;
}

}  // namespace duet::gateway
