#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "store/store_error.h"

namespace duet::store::sqlite {

Unexpected sqlite_error(int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += sqlite3_errstr(rc);
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return store_error(StoreError::kDuplicate, msg);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return store_error(StoreError::kNotFound, msg + " (a referenced row does not exist)");
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return store_error(StoreError::kCorrupt, msg);
    case SQLITE_CONSTRAINT:
      // CHECK / NOT NULL: a record the schema refuses.
      return make_error(ErrorCode::kInvalidArgument, msg);
    default:
      return store_error(StoreError::kUnavailable, msg);
  }
}

// --- Connection -------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return sqlite_error(rc, "open database");
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // journal_mode returns a row; exec ignores it. WAL persists in the file.
  DUET_TRY_STATUS(conn->exec("PRAGMA journal_mode=WAL", "enable WAL"));
  DUET_TRY_STATUS(conn->exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", "set pragmas"));
  return conn;
}

Connection::~Connection() { sqlite3_close_v2(db_); }

Status Connection::exec(std::string_view sql, std::string_view what) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(sqlite3_extended_errcode(db_), what);
  return Status::Ok();
}

int Connection::changes() const { return sqlite3_changes(db_); }

// --- Statement --------------------------------------------------------------

Result<Statement> Statement::prepare(Connection& conn, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  // A label for errors: the first words of the SQL (no values are ever inlined).
  std::string what(sql.substr(0, std::min<size_t>(sql.size(), 48)));
  int rc = sqlite3_prepare_v3(conn.raw(), sql.data(), static_cast<int>(sql.size()), 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(rc, "prepare " + what);
  }
  return Statement(stmt, std::move(what));
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), what_(std::move(other.what_)), bind_rc_(other.bind_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    what_ = std::move(other.what_);
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::note_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Statement& Statement::bind(int index, int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  note_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, ByteView value) {
  // A zero-length blob must stay a blob, not NULL: pass a valid pointer.
  static const uint8_t kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  note_bind(sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind(int index, const std::optional<int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  note_bind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return sqlite_error(bind_rc_, "bind " + what_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(sqlite3_extended_errcode(sqlite3_db_handle(stmt_)), what_);
}

Status Statement::run() {
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return Status::Ok();
  }
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::column_text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

Bytes Statement::column_blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (!p || n <= 0) return {};
  const auto* b = static_cast<const uint8_t*>(p);
  return Bytes(b, b + n);
}

bool Statement::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::optional<int64_t> Statement::column_optional_int(int col) const {
  if (column_is_null(col)) return std::nullopt;
  return column_int(col);
}

// --- Transaction ------------------------------------------------------------

Result<Transaction> Transaction::begin(Connection& conn, Kind kind) {
  DUET_TRY_STATUS(conn.exec(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", "begin transaction"));
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ && !sqlite3_get_autocommit(conn_->raw())) {
    // Best effort; a failed rollback leaves SQLite to roll back on close.
    sqlite3_exec(conn_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status Transaction::commit() {
  Connection* conn = std::exchange(conn_, nullptr);
  Status s = conn->exec("COMMIT", "commit");
  if (!s.ok() && !sqlite3_get_autocommit(conn->raw())) {
    sqlite3_exec(conn->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return s;
}

// --- ConnectionPool ---------------------------------------------------------

ConnectionPool::ConnectionPool(std::string path, int busy_timeout_ms, int max_connections)
    : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms),
      max_connections_(max_connections < 1 ? 1 : max_connections) {}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->give_back(std::move(conn_));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_connections_; });
  if (!idle_.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_count_;
  lock.unlock();
  auto conn = Connection::open(path_, busy_timeout_ms_);
  if (!conn.ok()) {
    lock.lock();
    --open_count_;
    cv_.notify_one();
    return Unexpected{conn.error()};
  }
  return Lease(this, std::move(conn).value());
}

void ConnectionPool::give_back(std::unique_ptr<Connection> conn) {
  // Never hand out a connection with a transaction left open.
  if (!sqlite3_get_autocommit(conn->raw())) {
    sqlite3_exec(conn->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

}  // namespace duet::store::sqlite
