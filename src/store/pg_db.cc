#include "store/pg_db.h"

#include <libpq-fe.h>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "store/store_error.h"

namespace duet::store::pg {
namespace {

// Type OIDs of the binary result columns Rows reads (pg_type.dat).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

int64_t read_be(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  // Sign-extend narrower integers.
  if (n < 8 && n > 0 && (static_cast<uint8_t>(p[0]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
  return static_cast<int64_t>(v);
}

// A short label for errors: the statement's first words (never values;
// parameters are never inlined into the SQL).
std::string label(std::string_view sql) {
  size_t end = 0;
  int words = 0;
  while (end < sql.size() && words < 4) {
    while (end < sql.size() && sql[end] == ' ') ++end;
    while (end < sql.size() && sql[end] != ' ') ++end;
    ++words;
  }
  return std::string(sql.substr(0, end));
}

void ignore_notice(void*, const char*) {}

std::atomic<uint64_t> g_round_trips{0};
void count_round_trip() { g_round_trips.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

uint64_t round_trips() { return g_round_trips.load(std::memory_order_relaxed); }

Unexpected pg_error(std::string_view sqlstate, std::string_view what, std::string_view detail) {
  std::string msg = "postgres: ";
  msg += what;
  msg += " (SQLSTATE ";
  msg += sqlstate.empty() ? std::string_view("none") : sqlstate;
  msg += ")";
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  if (sqlstate == "23505") return store_error(StoreError::kDuplicate, msg);
  if (sqlstate == "23503") return store_error(StoreError::kNotFound, msg + " (a referenced row does not exist)");
  if (sqlstate == "23514" || sqlstate == "23502" || sqlstate.starts_with("22"))
    return store_error(StoreError::kRefused, msg);  // a record the schema refuses
  if (sqlstate == "XX001" || sqlstate == "XX002") return store_error(StoreError::kCorrupt, msg);
  return store_error(StoreError::kUnavailable, msg);
}

// --- Rows ----------------------------------------------------------------------

Rows::Rows(pg_result* res) : res_(res) {}

Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (res_) PQclear(res_);
    res_ = other.res_;
    other.res_ = nullptr;
  }
  return *this;
}

Rows::~Rows() {
  if (res_) PQclear(res_);
}

int Rows::size() const { return res_ ? PQntuples(res_) : 0; }

int64_t Rows::affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_);
  int64_t v = 0;
  if (n && *n) std::from_chars(n, n + std::strlen(n), v);
  return v;
}

bool Rows::is_null(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

int64_t Rows::get_int(int row, int col) const {
  if (is_null(row, col)) return 0;
  const char* p = PQgetvalue(res_, row, col);
  int len = PQgetlength(res_, row, col);
  switch (PQftype(res_, col)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid:
    case kBoolOid:
      return read_be(p, len);
    default:
      return 0;  // the store selects only integer columns here
  }
}

std::optional<int64_t> Rows::optional_int(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return get_int(row, col);
}

std::string Rows::text(int row, int col) const {
  if (is_null(row, col)) return {};
  return std::string(PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col)));
}

Bytes Rows::blob(int row, int col) const {
  if (is_null(row, col)) return {};
  const auto* p = reinterpret_cast<const uint8_t*>(PQgetvalue(res_, row, col));
  return Bytes(p, p + PQgetlength(res_, row, col));
}

// --- Connection ------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& dsn, const std::string& search_path) {
  // Later keywords override earlier ones: the DSN may set its own
  // connect_timeout; search_path options override the DSN's.
  std::string options = "-c search_path=" + search_path;
  const char* keys[] = {"connect_timeout", "dbname", search_path.empty() ? nullptr : "options", nullptr};
  const char* values[] = {"10", dsn.c_str(), search_path.empty() ? nullptr : options.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return store_error(StoreError::kUnavailable, "postgres: out of memory opening a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    // PQerrorMessage names host and database, not credentials.
    std::string msg = "postgres: cannot connect: ";
    msg += PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn);
    return store_error(StoreError::kUnavailable, msg);
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return poisoned_ || PQstatus(conn_) != CONNECTION_OK; }

bool Connection::idle_alive() {
  if (broken()) return false;
  pollfd p{PQsocket(conn_), POLLIN | POLLRDHUP, 0};
  if (p.fd < 0) return false;
  if (poll(&p, 1, 0) <= 0) return true;  // nothing waiting: the usual case
  // The server closed its end (after its FATAL goodbye): the session is over.
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return false;
  // Something else arrived while idle (a notice, a parameter change): let
  // libpq absorb it.
  if (PQconsumeInput(conn_) == 0) return false;
  (void)PQisBusy(conn_);
  return !broken();
}

Unexpected Connection::fail(pg_result* res, std::string_view sql) {
  std::string sqlstate = "08006";  // no result at all: the connection failed
  std::string detail;
  if (res) {
    const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (s) sqlstate = s;
    const char* constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    last_constraint_ = constraint ? constraint : "";
    if (!last_constraint_.empty()) detail = "constraint " + last_constraint_;
    // Class 42 (syntax, undefined objects) messages name schema objects,
    // never values: worth keeping for whoever debugs it.
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (sqlstate.starts_with("42") && primary) detail = primary;
    PQclear(res);
  } else if (broken()) {
    detail = "connection lost";
  }
  if (is_retryable_sqlstate(sqlstate)) retryable_ = true;
  last_sqlstate_ = sqlstate;
  return pg_error(sqlstate, label(sql), detail);
}

Result<Rows> Connection::query(std::string_view sql, std::span<const Param> params) {
  constexpr size_t kMaxPrepared = 512;
  constexpr size_t kMaxParams = 32;
  const bool send_commit = commit_next_;  // applies to this statement only, whatever happens
  commit_next_ = false;
  if (tx_ == TxState::kBeginFailed) return Unexpected{*begin_error_};  // nothing runs outside the transaction
  if (tx_ == TxState::kEnded) return make_error(ErrorCode::kInternal, "postgres: statement after COMMIT was sent");
  if (params.size() > kMaxParams) return make_error(ErrorCode::kInternal, "postgres: too many parameters");
  const char* values[kMaxParams];
  int lengths[kMaxParams];
  int formats[kMaxParams];
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i].data();
    lengths[i] = params[i].size();
    formats[i] = params[i].binary() ? 1 : 0;
  }
  const int n = static_cast<int>(params.size());
  std::string key(sql);
  auto it = prepared_.find(key);
  const bool send_begin = tx_ == TxState::kPending;
  if (send_begin || send_commit || (it == prepared_.end() && prepared_.size() < kMaxPrepared)) {
    if (it != prepared_.end()) return pipelined(sql, &it->second, nullptr, n, values, lengths, formats, send_commit);
    if (prepared_.size() < kMaxPrepared) {
      std::string name = "s" + std::to_string(prepared_.size() + 1);
      return pipelined(sql, &name, &key, n, values, lengths, formats, send_commit);
    }
    return pipelined(sql, nullptr, nullptr, n, values, lengths, formats, send_commit);
  }
  // The usual case: a prepared statement, nothing travelling with it.
  count_round_trip();
  PGresult* res = it != prepared_.end()
                      ? PQexecPrepared(conn_, it->second.c_str(), n, values, lengths, formats, /*resultFormat=*/1)
                      : PQexecParams(conn_, key.c_str(), n, nullptr, values, lengths, formats, /*resultFormat=*/1);
  if (!res) return fail(nullptr, sql);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail(res, sql);
  return Rows(res);
}

// One pipeline: [BEGIN] [PREPARE] statement [COMMIT], then Sync; one round
// trip. The server runs them in order and skips everything after the first
// failure up to the Sync, so a failed BEGIN runs nothing and a failed
// statement never commits. Errors are reported as the sequential calls
// would: the BEGIN's as "begin transaction", a PREPARE's or the statement's
// under the statement's label, the COMMIT's by Transaction::commit().
Result<Rows> Connection::pipelined(std::string_view sql, const std::string* prepared_name,
                                   const std::string* to_prepare, int n, const char* const* values,
                                   const int* lengths, const int* formats, bool send_commit) {
  const bool send_begin = tx_ == TxState::kPending;
  enum Step { kBegin, kPrepare, kStatement, kCommit, kSteps };
  bool sent[kSteps] = {send_begin, to_prepare != nullptr, true, send_commit};
  PGresult* res[kSteps] = {};
  auto clear_all = [&] {
    for (PGresult*& r : res) {
      if (r) PQclear(r);
      r = nullptr;
    }
  };

  count_round_trip();
  bool ok = PQenterPipelineMode(conn_) == 1;
  if (ok && send_begin) ok = PQsendQueryParams(conn_, begin_sql_, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  if (ok && to_prepare) ok = PQsendPrepare(conn_, prepared_name->c_str(), to_prepare->c_str(), 0, nullptr) == 1;
  if (ok) {
    ok = prepared_name
             ? PQsendQueryPrepared(conn_, prepared_name->c_str(), n, values, lengths, formats, /*resultFormat=*/1) == 1
             : PQsendQueryParams(conn_, std::string(sql).c_str(), n, nullptr, values, lengths, formats,
                                 /*resultFormat=*/1) == 1;
  }
  if (ok && send_commit) ok = PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  if (ok) ok = PQpipelineSync(conn_) == 1;
  if (ok) {
    // Each sent command yields its result(s) and then NULL; the Sync yields
    // PGRES_PIPELINE_SYNC. A lost connection ends the reading.
    for (int step = 0; step < kSteps && ok; ++step) {
      if (!sent[step]) continue;
      PGresult* first = PQgetResult(conn_);
      if (!first) {
        ok = false;
        break;
      }
      res[step] = first;
      for (int guard = 0; guard < 16; ++guard) {
        PGresult* more = PQgetResult(conn_);
        if (!more) break;
        PQclear(more);
      }
      if (PQstatus(conn_) != CONNECTION_OK) ok = false;
    }
    if (ok) {
      PGresult* sync = PQgetResult(conn_);
      ok = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
      if (sync) PQclear(sync);
    }
  }
  if (!ok || PQexitPipelineMode(conn_) != 1) poisoned_ = true;  // closed by the pool, never reused

  auto good = [&](Step step) {
    if (!res[step]) return false;
    ExecStatusType st = PQresultStatus(res[step]);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  };
  auto take = [&](Step step) {
    PGresult* r = res[step];
    res[step] = nullptr;
    return r;
  };

  if (send_begin) {
    if (!good(kBegin)) {
      tx_ = TxState::kBeginFailed;
      PGresult* r = take(kBegin);
      clear_all();
      Unexpected e = fail(r, "begin transaction");
      begin_error_ = e.error;
      return e;
    }
    tx_ = TxState::kOpen;
    begin_unanswered_ = false;
  }
  if (to_prepare) {
    if (!good(kPrepare)) {
      PGresult* r = take(kPrepare);
      clear_all();
      return fail(r, sql);
    }
    prepared_.emplace(*to_prepare, *prepared_name);
  }
  if (!good(kStatement)) {
    // The COMMIT (if sent) was skipped: the transaction stays open (failed)
    // and rolls back.
    PGresult* r = take(kStatement);
    clear_all();
    return fail(r, sql);
  }
  Rows rows(take(kStatement));
  if (send_commit) {
    // Whatever the COMMIT's outcome, the transaction is over (or, if the
    // connection was lost, its fate unknown): nothing rolls back.
    tx_ = TxState::kEnded;
    if (good(kCommit)) {
      commit_status_ = Status::Ok();
    } else {
      PGresult* r = take(kCommit);
      commit_status_ = fail(r, "commit");
    }
  }
  clear_all();
  return rows;
}

Status Connection::flush_begin() {
  if (tx_ != TxState::kPending) return Status::Ok();
  count_round_trip();
  PGresult* res = PQexec(conn_, begin_sql_);
  if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
    PQclear(res);
    tx_ = TxState::kOpen;
    begin_unanswered_ = false;
    return Status::Ok();
  }
  tx_ = TxState::kBeginFailed;
  Unexpected e = fail(res, "begin transaction");
  begin_error_ = e.error;
  return e;
}

Status Connection::exec(std::string_view sql, std::string_view what) {
  if (tx_ == TxState::kBeginFailed) return Unexpected{*begin_error_};
  DUET_TRY_STATUS(flush_begin());
  std::string text(sql);
  count_round_trip();
  PGresult* res = PQexec(conn_, text.c_str());
  if (!res) return fail(nullptr, what);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail(res, what);
  PQclear(res);
  return Status::Ok();
}

Status Connection::tx_begin(TransactionKind kind) {
  clear_failure();
  begin_unanswered_ = true;
  tx_ = TxState::kPending;
  begin_sql_ = kind == TransactionKind::kWrite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  commit_next_ = false;
  begin_error_.reset();
  commit_status_ = Status::Ok();
  return Status::Ok();
}

Status Connection::tx_commit() {
  const TxState state = tx_;
  tx_ = TxState::kNone;
  commit_next_ = false;
  switch (state) {
    case TxState::kNone:
    case TxState::kPending:  // nothing was sent: nothing to commit
      return Status::Ok();
    case TxState::kBeginFailed:
      return Unexpected{*begin_error_};
    case TxState::kEnded:
      return commit_status_;
    case TxState::kOpen:
      break;
  }
  count_round_trip();
  PGresult* res = PQexec(conn_, "COMMIT");
  if (!res) return fail(nullptr, "commit");
  if (PQresultStatus(res) != PGRES_COMMAND_OK) return fail(res, "commit");
  PQclear(res);
  return Status::Ok();
}

void Connection::tx_rollback() {
  const TxState state = tx_;
  tx_ = TxState::kNone;
  commit_next_ = false;
  // kPending: nothing sent. kEnded: COMMIT sent (committed, failed or lost).
  // kBeginFailed: the BEGIN ran nothing (a stray ROLLBACK is harmless, and
  // one is sent in case the server did open the transaction).
  if ((state == TxState::kOpen || state == TxState::kBeginFailed) && !broken()) {
    count_round_trip();
    PGresult* res = PQexec(conn_, "ROLLBACK");
    if (res) PQclear(res);
  }
}

// --- ConnectionPool ------------------------------------------------------------------

ConnectionPool::ConnectionPool(std::string dsn, std::string search_path, int max_connections)
    : dsn_(std::move(dsn)), search_path_(std::move(search_path)),
      max_connections_(max_connections < 1 ? 1 : max_connections) {}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->give_back(std::move(conn_));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->idle_alive()) {  // ended by the server while idle: replace it
        --open_count_;
        continue;
      }
      return Lease(this, std::move(conn));
    }
    if (open_count_ < max_connections_) {
      ++open_count_;
      lock.unlock();
      auto conn = Connection::open(dsn_, search_path_);
      if (!conn.ok()) {
        lock.lock();
        --open_count_;
        cv_.notify_one();
        return Unexpected{conn.error()};
      }
      return Lease(this, std::move(conn).value());
    }
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !idle_.empty() || open_count_ < max_connections_; }))
      return store_error(StoreError::kUnavailable, "postgres: no pooled connection became free");
  }
}

void ConnectionPool::give_back(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn->broken()) {
    --open_count_;
    conn.reset();
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

}  // namespace duet::store::pg
