// Thin RAII over libpq, private to the PostgreSQL backend (core never
// includes this; libpq-fe.h stays in the .cc).
//
// - Connection: one PGconn, used by one thread at a time. Every statement with
//   parameters goes through the connection's prepared-statement cache (named
//   "s1", "s2", ... prepared on first use, executed with PQexecPrepared), so a
//   statement is parsed and planned once per connection.
// - Parameters travel in text format, except byte strings which travel in
//   binary format (BYTEA without escaping). Results come back in binary
//   format; Rows reads int2/int4/int8/bool/text/bytea columns from it.
// - Errors map from SQLSTATE to store kinds (pg_error); messages name the
//   statement's first words and the SQLSTATE, never parameter values.
// - Transaction: BEGIN is deferred and travels with the transaction's first
//   statement in one pipeline (one round trip for both); COMMIT may travel
//   with the last statement (Connection::commit_with_next); ROLLBACK on
//   destruction unless committed. A transaction that sent nothing sends
//   nothing to commit or roll back.
// - ConnectionPool: up to max_connections opened lazily, each lent to one
//   thread at a time; a connection found broken is closed, not given back.
#pragma once

#include <charconv>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/basic_transaction.h"
#include "store/row_reader.h"

struct pg_conn;
struct pg_result;

namespace duet::store::pg {

// Round trips to the server made by this process's connections so far (each
// wait for an answer counts once: a statement, a PREPARE, a pipeline), for
// benchmarks and tests.
uint64_t round_trips();

// SQLSTATE classes the backend acts on.
inline bool is_retryable_sqlstate(std::string_view s) { return s == "40001" || s == "40P01"; }

// Maps a failed statement to a store error: 23505 -> kDuplicate, 23503 ->
// kNotFound, 23514/23502/22xxx -> ErrorCode::kInvalidArgument, XX001/XX002 ->
// kCorrupt, everything else (connection loss, 40001/40P01 after retries,
// resources, ...) -> kUnavailable.
Unexpected pg_error(std::string_view sqlstate, std::string_view what, std::string_view detail = {});

// One statement parameter. Holds a view of strings and bytes (the caller's
// data must outlive the call) and formats integers itself.
class Param {
 public:
  Param(std::string_view text) : data_(text.data()), size_(text.size()) {}  // NOLINT: implicit by design
  Param(const std::string& text) : Param(std::string_view(text)) {}        // NOLINT
  Param(const char* text) : Param(std::string_view(text)) {}               // NOLINT
  Param(ByteView bytes)                                                      // NOLINT
      : data_(reinterpret_cast<const char*>(bytes.data())), size_(bytes.size()), binary_(true) {}
  Param(const Bytes& bytes) : Param(ByteView(bytes)) {}  // NOLINT
  Param(int64_t v) { set_int(v); }                       // NOLINT
  Param(int v) { set_int(v); }                           // NOLINT
  Param(std::optional<int64_t> v) {                      // NOLINT
    if (v) set_int(*v); else null_ = true;
  }
  static Param null() {
    Param p{std::string_view()};
    p.null_ = true;
    return p;
  }
  Param(bool) = delete;  // say 1/0 explicitly

  // Pointer to the value (nullptr for NULL), its length and format.
  // (An empty value is "", never nullptr, which libpq would read as NULL.)
  const char* data() const { return null_ ? nullptr : owned_ ? buf_ : data_ ? data_ : ""; }
  int size() const { return static_cast<int>(size_); }
  bool binary() const { return binary_; }

 private:
  void set_int(int64_t v) {
    auto [end, ec] = std::to_chars(buf_, buf_ + sizeof buf_, v);
    (void)ec;
    size_ = static_cast<size_t>(end - buf_);
    owned_ = true;
  }
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool binary_ = false;
  bool null_ = false;
  bool owned_ = false;
  char buf_[24] = {};
};

// A statement's result (binary format). Row and column indexes are 0-based.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* res);
  Rows(Rows&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  bool empty() const { return size() == 0; }
  // Rows changed by an INSERT/UPDATE/DELETE (with or without RETURNING).
  int64_t affected() const;

  bool is_null(int row, int col) const;
  int64_t get_int(int row, int col) const;  // int2/int4/int8/bool; NULL -> 0
  std::optional<int64_t> optional_int(int row, int col) const;
  std::string text(int row, int col) const;  // NULL -> ""
  Bytes blob(int row, int col) const;        // NULL -> empty

 private:
  pg_result* res_ = nullptr;
};

// One row of a Rows, for readers: row.text(0), row.blob(3), ... A RowReader
// (store/row_reader.h) for the shared record decoders.
class Row final : public RowReader {
 public:
  Row(const Rows& rows, int row) : rows_(&rows), row_(row) {}
  bool is_null(int col) const override { return rows_->is_null(row_, col); }
  int64_t get_int(int col) const override { return rows_->get_int(row_, col); }
  std::optional<int64_t> optional_int(int col) const override { return rows_->optional_int(row_, col); }
  std::string text(int col) const override { return rows_->text(row_, col); }
  Bytes blob(int col) const override { return rows_->blob(row_, col); }

 private:
  const Rows* rows_;
  int row_;
};

class Connection {
 public:
  // Connects with `dsn` (a libpq connection string or URI). A non-empty
  // `search_path` is set for the session at connect time (no extra round
  // trip); the caller has checked it is a plain identifier.
  static Result<std::unique_ptr<Connection>> open(const std::string& dsn, const std::string& search_path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement through the prepared-statement cache. Inside a
  // Transaction whose BEGIN has not been sent yet, BEGIN, the statement (and
  // its PREPARE on first use) go in one pipeline: one round trip. If the
  // BEGIN fails, this statement and every later one of the transaction fail
  // with the BEGIN's error ("begin transaction"), without running.
  Result<Rows> query(std::string_view sql, std::span<const Param> params);
  Result<Rows> query(std::string_view sql, std::initializer_list<Param> params = {}) {
    return query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs SQL without parameters over the simple protocol (may hold several
  // statements; not cached): migrations, ROLLBACK. Inside a Transaction a
  // deferred BEGIN is sent first, on its own.
  Status exec(std::string_view sql, std::string_view what);

  // Inside a Transaction: the NEXT query() sends COMMIT in the same pipeline
  // right after its statement, so the statement and the commit cost one
  // round trip. Only for a transaction's last statement, and only where
  // every outcome that must stop the commit is an SQL error of that
  // statement (a failed statement makes the server skip the COMMIT; the
  // transaction then stays open and rolls back). query() returns the
  // statement's result; Transaction::commit() returns the COMMIT's.
  void commit_with_next() { commit_next_ = tx_ == TxState::kPending || tx_ == TxState::kOpen; }

  // A transaction's BEGIN has not been answered successfully (not sent yet,
  // or sent and failed or lost): nothing of the transaction can have
  // committed, so when the connection is lost it is safe to run it again.
  // Holds after the transaction ended, until the next one or clear_failure().
  bool begin_unanswered() const { return begin_unanswered_; }

  // The connection is unusable (lost, or left in an unknown protocol state);
  // the pool closes it.
  bool broken() const;
  // For an idle connection: false when the server has ended the session
  // meanwhile (its goodbye message or EOF is waiting on the socket), found
  // without a round trip. The pool checks this before lending a connection,
  // so a write is never sent on a connection already closed by a server
  // restart, failover or pg_terminate_backend.
  bool idle_alive();
  // Did a statement since the last clear fail with a serialization failure
  // or deadlock (SQLSTATE 40001 / 40P01)? The transaction is then worth
  // running again from the start.
  bool retryable_failure() const { return retryable_; }
  void clear_failure() {
    retryable_ = false;
    begin_unanswered_ = false;
    last_constraint_.clear();
    last_sqlstate_.clear();
  }
  // The SQLSTATE of the last failed statement since the last clear ("08006"
  // when the connection broke without one; "" if none failed).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // The session was ended by the server (SQLSTATE class 57P: shutdown,
  // pg_terminate_backend, failover) before or while the failed statement
  // ran: PostgreSQL rolled the statement back, so it is safe to run again
  // on a new connection.
  bool ended_by_server() const { return last_sqlstate_.starts_with("57P"); }
  // The constraint named by the last failed statement ("" if none), so a
  // caller can tell which unique key was violated.
  const std::string& last_constraint() const { return last_constraint_; }
  size_t prepared_count() const { return prepared_.size(); }

 private:
  friend class BasicTransaction<Connection>;
  // kNone: no transaction. kPending: BEGIN deferred (nothing sent yet).
  // kOpen: BEGIN answered. kBeginFailed: the deferred BEGIN failed or was
  // lost. kEnded: COMMIT sent (with a statement); its outcome is commit_status_.
  enum class TxState { kNone, kPending, kOpen, kBeginFailed, kEnded };

  explicit Connection(pg_conn* conn) : conn_(conn) {}
  Unexpected fail(pg_result* res, std::string_view sql);
  // query() when BEGIN, PREPARE or COMMIT travel with the statement.
  Result<Rows> pipelined(std::string_view sql, const std::string* prepared_name, const std::string* to_prepare,
                         int n, const char* const* values, const int* lengths, const int* formats, bool send_commit);
  // Sends a deferred BEGIN on its own (before exec()).
  Status flush_begin();
  // For Transaction: starts (deferred: sends nothing, always Ok), commits,
  // abandons.
  Status tx_begin(TransactionKind kind);
  Status tx_commit();
  void tx_rollback();

  pg_conn* conn_;
  bool poisoned_ = false;  // protocol state unknown (a pipeline went wrong): close it
  TxState tx_ = TxState::kNone;
  const char* begin_sql_ = nullptr;
  bool commit_next_ = false;
  bool begin_unanswered_ = false;
  std::optional<Error> begin_error_;  // kBeginFailed: the BEGIN's error
  Status commit_status_ = Status::Ok();  // kEnded: the pipelined COMMIT's outcome
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  bool retryable_ = false;
  std::string last_constraint_;
  std::string last_sqlstate_;
};

// A transaction on one connection (store/basic_transaction.h). kWrite is READ
// COMMITTED (the store's writes are conditional
// updates and row locks); kRead is REPEATABLE READ READ ONLY (one snapshot
// across several statements). BEGIN is deferred to the first statement
// (Connection::query), so begin() sends nothing and always succeeds; a
// BEGIN that fails is reported by that statement, and the caller asks
// Connection::begin_unanswered() whether the transaction may be run again.
using Transaction = BasicTransaction<Connection>;

class ConnectionPool {
 public:
  ConnectionPool(std::string dsn, std::string search_path, int max_connections);

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // Waits for a free connection, opening a new one while under the maximum.
  Result<Lease> acquire();

 private:
  void give_back(std::unique_ptr<Connection> conn);

  std::string dsn_;
  std::string search_path_;
  int max_connections_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_count_ = 0;
};

}  // namespace duet::store::pg
