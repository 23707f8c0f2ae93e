// Thin RAII over the SQLite C API, private to the SQLite backend (core never
// includes this). sqlite3.h stays in the .cc.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/basic_transaction.h"
#include "store/row_reader.h"

struct sqlite3;
struct sqlite3_stmt;

namespace duet::store::sqlite {

// Maps an SQLite result code to a store error (kDuplicate for unique/primary
// key violations, kNotFound for foreign keys, kCorrupt for corruption,
// kUnavailable otherwise). The message names `what` and SQLite's generic
// text for the code, never parameter values.
Unexpected sqlite_error(int rc, std::string_view what);

class Connection;

// The prepared statements of one connection, keyed by their SQL text and
// prepared once with SQLITE_PREPARE_PERSISTENT (compiling a statement costs
// far more than running it; docs/performance.md). Owned by the Connection and,
// like it, used by one thread at a time, so it needs no lock.
//
// - A cached statement is lent to one Statement wrapper at a time; the
//   wrapper resets it and clears its bindings when it goes out of scope.
//   While it is lent, a second use of the same SQL (a nested query) gets a
//   fresh statement of its own that is finalized after use.
// - The cache holds at most `capacity` statements and evicts the least
//   recently used idle one, so SQL built at run time cannot grow it without
//   bound (all of the store's SQL comes from a small fixed set of texts).
class StatementCache {
 public:
  static constexpr size_t kDefaultCapacity = 256;

  struct Entry {
    std::string sql;
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  explicit StatementCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // An idle cached statement for `sql`, marked in use; nullptr if it is not
  // cached or is in use.
  Entry* lend(std::string_view sql);
  // Adds a statement just prepared for `sql` (not cached yet), marked in
  // use, evicting the least recently used idle entry when full. nullptr if
  // every entry is in use: the caller keeps `stmt` as an uncached statement.
  Entry* add(std::string_view sql, sqlite3_stmt* stmt);
  // Is `sql` cached (whether lent or idle)?
  bool contains(std::string_view sql) const { return index_.count(sql) != 0; }
  size_t size() const { return index_.size(); }
  // Finalizes every statement (none may be lent).
  void clear();

 private:
  size_t capacity_;
  std::list<Entry> lru_;  // most recently lent first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // keys view Entry::sql
};

// One open database connection. Used by one thread at a time.
class Connection {
 public:
  // Opens `path` (created if absent), sets extended result codes, busy
  // timeout, WAL, synchronous=NORMAL (see the .cc for what that guarantees),
  // foreign_keys=ON and temp_store=MEMORY.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL without results (may hold several statements). Not cached:
  // for pragmas and migrations.
  Status exec(std::string_view sql, std::string_view what);
  // Runs one statement without results through the statement cache (BEGIN,
  // COMMIT, ROLLBACK); an error is reported as `what`.
  Status run_cached(std::string_view sql, std::string_view what);
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int changes() const;
  sqlite3* raw() { return db_; }
  StatementCache& statements() { return statements_; }

 private:
  friend class BasicTransaction<Connection>;
  explicit Connection(sqlite3* db) : db_(db) {}
  // For Transaction: BEGIN IMMEDIATE or DEFERRED, COMMIT (rolling back if it
  // fails), ROLLBACK if a transaction is open.
  Status tx_begin(TransactionKind kind);
  Status tx_commit();
  void tx_rollback();
  sqlite3* db_;
  StatementCache statements_;
};

// A prepared statement: borrowed from the connection's cache (reset, its
// bindings cleared and given back on destruction) or, when the cached one is
// busy, prepared for this use only (finalized on destruction). Parameters
// are 1-based, columns 0-based. Bind errors are remembered and reported by
// step(). Its current row is a RowReader (store/row_reader.h) for the shared
// record decoders; SQLite code itself reads it with the column_* calls.
class Statement final : public RowReader {
 public:
  static Result<Statement> prepare(Connection& conn, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, ByteView value);
  Statement& bind(int index, const std::optional<int64_t>& value);
  Statement& bind_null(int index);
  // Avoid accidental bool/const char* overloads picking the wrong type.
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const Bytes& value) { return bind(index, ByteView(value)); }
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }

  // Advances: true if a row is available, false when done.
  Result<bool> step();
  // Steps to completion (for statements returning no rows).
  Status run();

  int64_t column_int(int col) const;
  std::string column_text(int col) const;
  Bytes column_blob(int col) const;
  bool column_is_null(int col) const;
  std::optional<int64_t> column_optional_int(int col) const;

  // Was this statement borrowed from the cache (for tests)?
  bool cached() const { return entry_ != nullptr; }

 private:
  // RowReader: the current row, as the column_* calls read it.
  bool is_null(int col) const override { return column_is_null(col); }
  int64_t get_int(int col) const override { return column_int(col); }
  std::optional<int64_t> optional_int(int col) const override { return column_optional_int(col); }
  std::string text(int col) const override { return column_text(col); }
  Bytes blob(int col) const override { return column_blob(col); }

  Statement(sqlite3_stmt* stmt, StatementCache::Entry* entry) : stmt_(stmt), entry_(entry) {}
  void release() noexcept;
  // A short label for errors: the first words of the SQL (no values are
  // ever inlined). Built only when an error is reported.
  std::string what() const;
  void note_bind(int rc);
  sqlite3_stmt* stmt_ = nullptr;
  StatementCache::Entry* entry_ = nullptr;  // non-null: lent by the cache
  int bind_rc_ = 0;
};

// A transaction on one connection (store/basic_transaction.h). Write
// transactions use BEGIN IMMEDIATE (take the write lock up front and wait for
// it under the busy timeout). BEGIN/COMMIT/ROLLBACK run as cached prepared
// statements.
using Transaction = BasicTransaction<Connection>;

// The connections of one process to one file: a small pool of reader
// connections, each lent to one thread at a time, and ONE writer connection
// that every write transaction of this process uses, lent under a mutex.
//
// Why one writer: SQLite admits one writer at a time anyway, so nothing is
// lost; writers of this process wait on a mutex (woken at once) instead of
// SQLite's busy handler (which sleeps and retries); and the writer's page
// cache stays valid from one write to the next (in WAL mode a connection
// drops its cache whenever ANOTHER connection has committed), so a write
// re-reads no pages. Other processes (backup, offline tools) still meet
// SQLite's locks and the busy timeout.
//
// Checkpoints (copying the WAL back into the database file) run on a
// background thread with a connection of its own, so no request waits for
// one: after a write commits with `checkpoint_pages` or more frames in the
// WAL, the thread is woken and runs a PASSIVE checkpoint (it never blocks
// readers or the writer). SQLite's own auto-checkpoint is off on every
// connection; should the WAL still reach 4 × `checkpoint_pages` (the thread
// cannot keep up), the writer checkpoints inline once.
//
// The WAL starts again from its beginning only when a write begins with every
// frame copied. Under a steady stream of writes the thread's checkpoint never
// ends so — the writer appended more while it ran — and the WAL grew without
// bound (15 GB for 50 k seeded orders; 130 KB per co-signature under `duet
// bench`, never reused). So when a checkpoint leaves the WAL at 4 ×
// `checkpoint_pages` frames or more, the thread takes the writer's lease (the
// writers of this process wait on the mutex, as for any write) and
// checkpoints once more: with no write in progress that copies up to the
// last frame, and the next write restarts the WAL (unless a reader still
// holds an older snapshot; then the next checkpoint tries again). The
// threshold is
// larger than SQLite's default of 1000 pages, which rewrote the same hot
// pages into the database too often (docs/performance.md).
class ConnectionPool {
 public:
  static constexpr int kDefaultCheckpointPages = 4000;
  ConnectionPool(std::string path, int busy_timeout_ms, int max_connections,
                 int checkpoint_pages = kDefaultCheckpointPages);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn, bool writer)
        : pool_(pool), conn_(std::move(conn)), writer_(writer) {}
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
    bool writer_;
  };

  // A reader: waits for a free one, opening a new one while under the maximum.
  Result<Lease> acquire();
  // The writer: waits until no other thread of this process holds it (opened
  // on first use). A thread must not ask for it while it holds it.
  Result<Lease> acquire_writer();
  // For a read: the writer connection if it is idle right now (its page
  // cache is current: no page is read again), else a reader. Never waits
  // for the writer.
  Result<Lease> acquire_for_read();

 private:
  void give_back(std::unique_ptr<Connection> conn, bool writer);
  // A new connection to path_ with SQLite's auto-checkpoint off.
  Result<std::unique_ptr<Connection>> open_connection();

  std::string path_;
  int busy_timeout_ms_;
  int max_connections_;
  int checkpoint_pages_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_count_ = 0;
  // The writer: null while lent (writer_busy_) or before its first use.
  std::unique_ptr<Connection> writer_;
  bool writer_busy_ = false;
  std::condition_variable writer_cv_;

  // The background checkpointer (started with the writer).
  static int on_wal_commit(void* pool, sqlite3* db, const char* schema, int frames);
  void checkpointer_loop();
  // A checkpoint with the writer's lease held, after which the next write
  // restarts the WAL (the class comment); on the checkpointer thread only.
  void restart_wal();
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;  // guards checkpoint_wanted_ and stopping_
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool stopping_ = false;
  std::unique_ptr<Connection> checkpoint_conn_;  // the checkpointer thread's own
  std::atomic<int> checkpointed_frames_{0};  // WAL frames at the last checkpoint
};

}  // namespace duet::store::sqlite
