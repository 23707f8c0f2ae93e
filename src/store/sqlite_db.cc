#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <algorithm>
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
      // CHECK / NOT NULL / a trigger: a record the schema refuses.
      return store_error(StoreError::kRefused, msg);
    default:
      return store_error(StoreError::kUnavailable, msg);
  }
}

// --- StatementCache -----------------------------------------------------------

StatementCache::Entry* StatementCache::lend(std::string_view sql) {
  auto it = index_.find(sql);
  if (it == index_.end() || it->second->in_use) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);  // iterators stay valid
  it->second->in_use = true;
  return &*it->second;
}

StatementCache::Entry* StatementCache::add(std::string_view sql, sqlite3_stmt* stmt) {
  if (capacity_ == 0 || index_.count(sql)) return nullptr;
  if (index_.size() >= capacity_) {
    // Evict the least recently used idle statement.
    auto victim = lru_.end();
    for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
      if (!it->in_use) {
        victim = std::prev(it.base());
        break;
      }
    }
    if (victim == lru_.end()) return nullptr;
    index_.erase(std::string_view(victim->sql));
    sqlite3_finalize(victim->stmt);
    lru_.erase(victim);
  }
  lru_.push_front(Entry{std::string(sql), stmt, true});
  index_.emplace(std::string_view(lru_.front().sql), lru_.begin());
  return &lru_.front();
}

void StatementCache::clear() {
  index_.clear();
  for (Entry& e : lru_) sqlite3_finalize(e.stmt);
  lru_.clear();
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
  // synchronous=NORMAL in WAL mode: a commit appends to the WAL without an
  // fsync; the WAL is fsynced at each checkpoint. A committed transaction
  // therefore survives the death of the process (kill -9 of duetd: the WAL
  // pages are in the OS page cache and are replayed on the next open; the
  // crash tests rely on this), and the database is never corrupted, but
  // the last transactions before an OS crash or power loss may be lost
  // (rolled back, never half-applied). synchronous=FULL would fsync the WAL
  // on every commit to survive that too, at the cost of one fsync per write.
  //
  // temp_store=MEMORY: sorter and temporary b-trees (ORDER BY without an
  // index, ...) stay in memory; they never hold durable data.
  //
  // Left at SQLite's defaults after measuring with duet_store_bench:
  // - cache_size (2 MiB per connection): -8192 made no difference; in WAL
  //   mode a connection drops its page cache whenever another connection
  //   has committed since its last read, which under load is nearly always.
  // - mmap_size (0): 64, 128 and 256 MiB were within noise or slightly
  //   slower (the file sits in the OS page cache anyway, and writes go to
  //   the WAL, which is never mapped), and an I/O error on a mapped page
  //   is a SIGBUS instead of an error code.
  // secure_delete: deleted or overwritten content (purged payloads and
  // identity ciphertexts, wiped key shares: issue 5 §5) is zeroed in the page
  // instead of lingering in free space.
  const char* pragmas =
      "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;";
  DUET_TRY_STATUS(conn->exec(pragmas, "set pragmas"));
  return conn;
}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Status Connection::exec(std::string_view sql, std::string_view what) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(sqlite3_extended_errcode(db_), what);
  return Status::Ok();
}

Status Connection::run_cached(std::string_view sql, std::string_view what) {
  auto st = Statement::prepare(*this, sql);
  if (!st.ok()) return sqlite_error(sqlite3_extended_errcode(db_), what);
  Status done = st->run();
  if (!done.ok()) return sqlite_error(sqlite3_extended_errcode(db_), what);
  return Status::Ok();
}

int Connection::changes() const { return sqlite3_changes(db_); }

// --- Statement --------------------------------------------------------------

Result<Statement> Statement::prepare(Connection& conn, std::string_view sql) {
  StatementCache& cache = conn.statements();
  if (StatementCache::Entry* e = cache.lend(sql)) return Statement(e->stmt, e);
  // Not cached, or cached but lent to a live wrapper (a nested use of the
  // same SQL): prepare a statement. Only the first is kept in the cache.
  const bool cacheable = !cache.contains(sql);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(conn.raw(), sql.data(), static_cast<int>(sql.size()),
                              cacheable ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    // A label for errors: the first words of the SQL (no values are ever inlined).
    return sqlite_error(rc, "prepare " + std::string(sql.substr(0, std::min<size_t>(sql.size(), 48))));
  }
  StatementCache::Entry* entry = cacheable ? cache.add(sql, stmt) : nullptr;
  return Statement(stmt, entry);
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), entry_(std::exchange(other.entry_, nullptr)),
      bind_rc_(other.bind_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Statement::~Statement() { release(); }

void Statement::release() noexcept {
  if (!stmt_) return;
  if (entry_) {
    // Back to the cache: ends any read it was doing (so it holds no
    // snapshot or lock) and drops the bound values (no data lingers).
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    entry_->in_use = false;
    entry_ = nullptr;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

std::string Statement::what() const {
  const char* sql = stmt_ ? sqlite3_sql(stmt_) : nullptr;
  if (!sql) return "statement";
  std::string_view text(sql);
  return std::string(text.substr(0, std::min<size_t>(text.size(), 48)));
}

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
  if (bind_rc_ != SQLITE_OK) return sqlite_error(bind_rc_, "bind " + what());
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(sqlite3_extended_errcode(sqlite3_db_handle(stmt_)), what());
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

namespace {
// Best effort; a failed rollback leaves SQLite to roll back on close.
void rollback_if_open(Connection& conn) {
  if (!sqlite3_get_autocommit(conn.raw())) (void)conn.run_cached("ROLLBACK", "rollback");
}
}  // namespace

Status Connection::tx_begin(TransactionKind kind) {
  return run_cached(kind == TransactionKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", "begin transaction");
}

Status Connection::tx_commit() {
  Status s = run_cached("COMMIT", "commit");
  if (!s.ok()) rollback_if_open(*this);
  return s;
}

void Connection::tx_rollback() { rollback_if_open(*this); }

// --- ConnectionPool ---------------------------------------------------------

ConnectionPool::ConnectionPool(std::string path, int busy_timeout_ms, int max_connections, int checkpoint_pages)
    : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms),
      max_connections_(max_connections < 1 ? 1 : max_connections),
      checkpoint_pages_(checkpoint_pages < 1 ? kDefaultCheckpointPages : checkpoint_pages) {}

ConnectionPool::~ConnectionPool() {
  {
    std::lock_guard lock(checkpoint_mu_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

// Called by SQLite on the writer's thread after each commit, with the WAL's
// frame count. Must not run SQL on `db`; it wakes the checkpointer when
// `checkpoint_pages` frames have been added since the last checkpoint
// (counting from the frame count a checkpoint left behind: while readers hold
// old snapshots a PASSIVE checkpoint cannot reset the WAL, and waking the
// thread after every commit would checkpoint, and fsync, over and over).
int ConnectionPool::on_wal_commit(void* arg, sqlite3* db, const char*, int frames) {
  auto* pool = static_cast<ConnectionPool*>(arg);
  int done = pool->checkpointed_frames_.load(std::memory_order_relaxed);
  if (frames < done) {  // the WAL was restarted from its beginning
    done = 0;
    pool->checkpointed_frames_.store(0, std::memory_order_relaxed);
  }
  const int pending = frames - done;
  if (pending < pool->checkpoint_pages_) return SQLITE_OK;
  if (pending >= 4 * pool->checkpoint_pages_) {
    // The background thread has fallen behind: try a checkpoint here. It is
    // SQLITE_BUSY while the thread's own checkpoint holds the checkpoint lock
    // (it fsyncs); then the thread, woken below, is the one that catches up.
    int log = 0, copied = 0;
    if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK) {
      pool->checkpointed_frames_.store(log, std::memory_order_relaxed);
      return SQLITE_OK;
    }
  }
  // Wake the thread whenever the pending frames pass the threshold and no
  // checkpoint here succeeded: a request is never dropped, or a WAL past
  // 4 x checkpoint_pages would wait for a checkpoint nobody asks for.
  {
    std::lock_guard lock(pool->checkpoint_mu_);
    pool->checkpoint_wanted_ = true;
  }
  pool->checkpoint_cv_.notify_one();
  return SQLITE_OK;
}

void ConnectionPool::checkpointer_loop() {
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [&] { return checkpoint_wanted_ || stopping_; });
    if (stopping_) return;
    checkpoint_wanted_ = false;
    // Unlocked while it works: the writer's commit hook takes checkpoint_mu_
    // and must never wait for a checkpoint. checkpoint_conn_ is this thread's.
    lock.unlock();
    // A failed checkpoint (I/O, busy) is retried at the next request for one;
    // the WAL keeps every committed transaction meanwhile.
    if (!checkpoint_conn_) {
      auto opened = open_connection();
      if (opened.ok()) checkpoint_conn_ = std::move(opened).value();
    }
    int log = 0, copied = 0;
    if (checkpoint_conn_ && sqlite3_wal_checkpoint_v2(checkpoint_conn_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                      &log, &copied) == SQLITE_OK) {
      // The frames present now count as handled, whether or not readers let
      // all of them be copied: the next checkpoint comes after as many new ones.
      checkpointed_frames_.store(log, std::memory_order_relaxed);
      if (log >= 4 * checkpoint_pages_) restart_wal();
    }
    lock.lock();
  }
}

void ConnectionPool::restart_wal() {
  // The writer's lease: no write transaction is open while it is held, so
  // this checkpoint copies every frame that no reader's snapshot still needs.
  auto writer = acquire_writer();
  if (!writer.ok()) return;
  int log = 0, copied = 0;
  if (sqlite3_wal_checkpoint_v2(checkpoint_conn_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) ==
      SQLITE_OK) {
    checkpointed_frames_.store(log, std::memory_order_relaxed);
  }
}

Result<std::unique_ptr<Connection>> ConnectionPool::open_connection() {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::open(path_, busy_timeout_ms_));
  // SQLite's auto-checkpoint is off on every connection: the background
  // thread checkpoints (see the class comment).
  DUET_TRY_STATUS(conn->exec("PRAGMA wal_autocheckpoint=0", "checkpoint setting"));
  return conn;
}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->give_back(std::move(conn_), writer_);
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_connections_; });
  if (!idle_.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn), false);
  }
  ++open_count_;
  lock.unlock();
  auto conn = open_connection();
  if (!conn.ok()) {
    lock.lock();
    --open_count_;
    cv_.notify_one();
    return Unexpected{conn.error()};
  }
  return Lease(this, std::move(conn).value(), false);
}

Result<ConnectionPool::Lease> ConnectionPool::acquire_writer() {
  std::unique_lock lock(mu_);
  writer_cv_.wait(lock, [&] { return !writer_busy_; });
  writer_busy_ = true;
  std::unique_ptr<Connection> conn = std::move(writer_);
  lock.unlock();
  if (!conn) {
    auto opened = open_connection();
    if (opened.ok()) {
      sqlite3_wal_hook((*opened)->raw(), &ConnectionPool::on_wal_commit, this);
      std::lock_guard checkpoint_lock(checkpoint_mu_);
      if (!checkpointer_.joinable()) checkpointer_ = std::thread([this] { checkpointer_loop(); });
    }
    if (!opened.ok()) {
      lock.lock();
      writer_busy_ = false;
      writer_cv_.notify_one();
      return Unexpected{opened.error()};
    }
    conn = std::move(opened).value();
  }
  return Lease(this, std::move(conn), true);
}

Result<ConnectionPool::Lease> ConnectionPool::acquire_for_read() {
  {
    std::lock_guard lock(mu_);
    if (!writer_busy_ && writer_) {
      writer_busy_ = true;
      return Lease(this, std::move(writer_), true);
    }
  }
  return acquire();
}

void ConnectionPool::give_back(std::unique_ptr<Connection> conn, bool writer) {
  // Never hand out a connection with a transaction left open.
  rollback_if_open(*conn);
  {
    std::lock_guard lock(mu_);
    if (writer) {
      writer_ = std::move(conn);
      writer_busy_ = false;
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  if (writer) writer_cv_.notify_one(); else cv_.notify_one();
}

}  // namespace duet::store::sqlite
