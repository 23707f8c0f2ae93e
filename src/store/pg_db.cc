#include "store/pg_db.h"

#include <libpq-fe.h>

#include <poll.h>

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

}  // namespace

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
    return make_error(ErrorCode::kInvalidArgument, msg);  // a record the schema refuses
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

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

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
  PGresult* res = nullptr;
  if (it == prepared_.end() && prepared_.size() < kMaxPrepared) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    PGresult* prep = PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr);
    if (!prep || PQresultStatus(prep) != PGRES_COMMAND_OK) return fail(prep, sql);
    PQclear(prep);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  if (it != prepared_.end()) {
    res = PQexecPrepared(conn_, it->second.c_str(), n, values, lengths, formats, /*resultFormat=*/1);
  } else {
    res = PQexecParams(conn_, key.c_str(), n, nullptr, values, lengths, formats, /*resultFormat=*/1);
  }
  if (!res) return fail(nullptr, sql);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail(res, sql);
  return Rows(res);
}

Status Connection::exec(std::string_view sql, std::string_view what) {
  std::string text(sql);
  PGresult* res = PQexec(conn_, text.c_str());
  if (!res) return fail(nullptr, what);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail(res, what);
  PQclear(res);
  return Status::Ok();
}

// --- Transaction -------------------------------------------------------------------

Result<Transaction> Transaction::begin(Connection& conn, Kind kind) {
  conn.clear_failure();
  DUET_TRY_STATUS(conn.exec(kind == Kind::kWrite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                            "begin transaction"));
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ && !conn_->broken()) (void)conn_->exec("ROLLBACK", "rollback");
}

Status Transaction::commit() {
  Connection* c = conn_;
  conn_ = nullptr;
  return c->exec("COMMIT", "commit");
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
