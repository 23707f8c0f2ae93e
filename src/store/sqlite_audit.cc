// The audit chain on SQLite (schema v8, docs/audit.md).
#include "store/sqlite_audit.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <limits>

#include "store/audit_encoding.h"
#include "store/audit_snapshot.h"
#include "store/sqlite_db.h"
#include "store/store_error.h"

namespace duet::store::sqlite {
namespace {

constexpr std::string_view kEventCols =
    "seq, at, tenant_id, actor_type, actor_id, action, target, outcome, address, request_id, details, prev_hash, "
    "hash";

AuditEvent read_event(const Statement& st) {
  AuditEvent e;
  e.seq = st.column_int(0);
  e.at = st.column_int(1);
  e.tenant_id = st.column_text(2);
  e.actor_type = st.column_text(3);
  e.actor_id = st.column_text(4);
  e.action = st.column_text(5);
  e.target = st.column_text(6);
  e.outcome = st.column_text(7);
  e.address = st.column_text(8);
  e.request_id = st.column_text(9);
  e.details = st.column_text(10);
  e.prev_hash = st.column_blob(11);
  e.hash = st.column_blob(12);
  return e;
}

int64_t clamp(size_t limit) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int64_t>::max() - 1);
  return static_cast<int64_t>(limit < kMax ? limit : kMax);
}

Result<std::vector<AuditEvent>> collect(Statement& st) {
  std::vector<AuditEvent> out;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_event(st));
  }
  return out;
}

bool valid_actor_type(std::string_view t) {
  return t == "app" || t == "holder" || t == "operator" || t == "system" || t == "anonymous";
}

}  // namespace

int64_t total_changes(Connection& c) { return sqlite3_total_changes64(c.raw()); }

Result<AuditCheckpoint> read_audit_head(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, "SELECT seq, hash FROM audit_head WHERE id = 1"));
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kCorrupt, "audit chain head missing");
  AuditCheckpoint head;
  head.seq = st.column_int(0);
  head.hash = st.column_blob(1);
  if (head.hash.size() != kAuditHashSize) return store_error(StoreError::kCorrupt, "audit chain head malformed");
  return head;
}

Status append_audit_event(Connection& c, AuditEvent& event) {
  if (event.action.empty() || event.outcome.empty() || !valid_actor_type(event.actor_type))
    return make_error(ErrorCode::kInvalidArgument, "audit event needs an actor type, an action and an outcome");
  DUET_ASSIGN_OR_RETURN(AuditCheckpoint head, read_audit_head(c));
  event.seq = head.seq + 1;
  event.prev_hash = head.hash;
  event.hash = audit_event_hash(event.prev_hash, event);
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO audit_events (seq, at, tenant_id, actor_type, actor_id, action, target, outcome, address, "
        "request_id, details, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    st.bind(1, event.seq).bind(2, event.at).bind(3, event.tenant_id).bind(4, event.actor_type)
        .bind(5, event.actor_id).bind(6, event.action).bind(7, event.target).bind(8, event.outcome)
        .bind(9, event.address).bind(10, event.request_id).bind(11, event.details).bind(12, event.prev_hash)
        .bind(13, event.hash);
    DUET_TRY_STATUS(st.run());
  }
  // Conditional on the head read above: a concurrent appender (impossible
  // under BEGIN IMMEDIATE, but cheap to check) makes this change nothing.
  DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
      "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1 AND seq = ?3"));
  up.bind(1, event.seq).bind(2, event.hash).bind(3, head.seq);
  DUET_TRY_STATUS(up.run());
  if (c.changes() != 1) return store_error(StoreError::kConflict, "audit chain head moved");
  return Status::Ok();
}

Result<std::vector<AuditEvent>> list_audit_events(Connection& c, int64_t after_seq, size_t limit) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kEventCols) + " FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"));
  st.bind(1, after_seq).bind(2, clamp(limit));
  return collect(st);
}

Result<std::vector<AuditEvent>> list_tenant_audit_events(Connection& c, std::string_view tenant_id,
                                                         UnixSeconds from, UnixSeconds to, int64_t after_seq,
                                                         size_t limit) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kEventCols) +
          " FROM audit_events WHERE tenant_id = ?1 AND at >= ?2 AND at < ?3 AND seq > ?4 ORDER BY seq LIMIT ?5"));
  st.bind(1, tenant_id).bind(2, from).bind(3, to).bind(4, after_seq).bind(5, clamp(limit));
  return collect(st);
}

Status add_audit_checkpoint(Connection& c, const AuditCheckpoint& cp) {
  if (cp.seq <= 0 || cp.hash.size() != kAuditHashSize || cp.key_id.empty() || cp.signature.empty())
    return make_error(ErrorCode::kInvalidArgument, "incomplete audit checkpoint");
  DUET_ASSIGN_OR_RETURN(Statement ev, Statement::prepare(c, "SELECT hash FROM audit_events WHERE seq = ?1"));
  ev.bind(1, cp.seq);
  DUET_ASSIGN_OR_RETURN(bool found, ev.step());
  if (!found) return store_error(StoreError::kNotFound, "audit event not found");
  if (ev.column_blob(0) != cp.hash)
    return make_error(ErrorCode::kInvalidArgument, "checkpoint hash differs from the event's hash");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) VALUES (?1, ?2, ?3, ?4, ?5)"));
  st.bind(1, cp.seq).bind(2, cp.hash).bind(3, cp.signed_at).bind(4, cp.key_id).bind(5, cp.signature);
  return st.run();
}

Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(Connection& c, int64_t from_seq, int64_t to_seq) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints WHERE seq >= ?1 AND seq <= ?2 "
      "ORDER BY seq"));
  st.bind(1, from_seq).bind(2, to_seq);
  std::vector<AuditCheckpoint> out;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    AuditCheckpoint cp;
    cp.seq = st.column_int(0);
    cp.hash = st.column_blob(1);
    cp.signed_at = st.column_int(2);
    cp.key_id = st.column_text(3);
    cp.signature = st.column_blob(4);
    out.push_back(std::move(cp));
  }
  return out;
}

Status put_audit_key(Connection& c, const AuditKey& key) {
  if (key.key_id.empty() || key.public_key_der.empty() || key.sealed_private_key.empty())
    return make_error(ErrorCode::kInvalidArgument, "incomplete audit key");
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "INSERT INTO audit_keys (key_id, public_key_der, sealed_private_key, created_at) VALUES (?1, ?2, ?3, ?4)"));
  st.bind(1, key.key_id).bind(2, key.public_key_der).bind(3, key.sealed_private_key).bind(4, key.created_at);
  return st.run();
}

Result<std::vector<AuditKey>> list_audit_keys(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT key_id, public_key_der, sealed_private_key, created_at FROM audit_keys ORDER BY created_at, key_id"));
  std::vector<AuditKey> out;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    AuditKey k;
    k.key_id = st.column_text(0);
    k.public_key_der = st.column_blob(1);
    k.sealed_private_key = st.column_blob(2);
    k.created_at = st.column_int(3);
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<AdminToken>> list_admin_tokens(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT token_hash, name, role, created_at, revoked_at FROM admin_tokens ORDER BY created_at, name"));
  std::vector<AdminToken> out;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    AdminToken t;
    t.token_hash = st.column_blob(0);
    t.name = st.column_text(1);
    t.role = st.column_text(2);
    t.created_at = st.column_int(3);
    t.revoked_at = st.column_optional_int(4);
    out.push_back(std::move(t));
  }
  return out;
}

Result<size_t> revoke_admin_tokens(Connection& c, std::string_view name, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "UPDATE admin_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL"));
  st.bind(1, name).bind(2, now);
  DUET_TRY_STATUS(st.run());
  int n = c.changes();
  if (n == 0) return store_error(StoreError::kNotFound, "operator not found");
  return static_cast<size_t>(n);
}

}  // namespace duet::store::sqlite

// --- offline snapshot (store/audit_snapshot.h) -------------------------------

namespace duet::store {
namespace {

struct RawDb {
  sqlite3* db = nullptr;
  ~RawDb() {
    if (db) sqlite3_close(db);
  }
};

struct RawStmt {
  sqlite3_stmt* st = nullptr;
  ~RawStmt() {
    if (st) sqlite3_finalize(st);
  }
};

std::string text(sqlite3_stmt* st, int col) {
  const unsigned char* p = sqlite3_column_text(st, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, col)))
           : std::string();
}

Bytes blob(sqlite3_stmt* st, int col) {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st, col));
  int n = sqlite3_column_bytes(st, col);
  return p ? Bytes(p, p + n) : Bytes();
}

template <typename Row>
Status each_row(sqlite3* db, const char* sql, Row&& row) {
  RawStmt s;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s.st, nullptr);
  if (rc != SQLITE_OK) {
    if (std::string(sqlite3_errmsg(db)).find("no such table") != std::string::npos)
      return store_error(StoreError::kNotFound, "the database has no audit log (schema older than version 8)");
    return sqlite::sqlite_error(rc, "read audit snapshot");
  }
  for (;;) {
    rc = sqlite3_step(s.st);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return sqlite::sqlite_error(rc, "read audit snapshot");
    row(s.st);
  }
}

}  // namespace

Result<AuditSnapshot> read_sqlite_audit_snapshot(const std::string& db_path) {
  struct stat sb;
  if (::stat(db_path.c_str(), &sb) != 0) return store_error(StoreError::kNotFound, "no database file");
  RawDb d;
  int rc = sqlite3_open_v2(db_path.c_str(), &d.db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) return sqlite::sqlite_error(rc, "open database read-only");
  sqlite3_busy_timeout(d.db, 5000);
  // One snapshot across the reads.
  char* err = nullptr;
  rc = sqlite3_exec(d.db, "BEGIN", nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return sqlite::sqlite_error(rc, "begin read");
  AuditSnapshot snap;
  DUET_TRY_STATUS(each_row(d.db,
      "SELECT seq, at, tenant_id, actor_type, actor_id, action, target, outcome, address, request_id, details, "
      "prev_hash, hash FROM audit_events ORDER BY seq",
      [&](sqlite3_stmt* st) {
        AuditEvent e;
        e.seq = sqlite3_column_int64(st, 0);
        e.at = sqlite3_column_int64(st, 1);
        e.tenant_id = text(st, 2);
        e.actor_type = text(st, 3);
        e.actor_id = text(st, 4);
        e.action = text(st, 5);
        e.target = text(st, 6);
        e.outcome = text(st, 7);
        e.address = text(st, 8);
        e.request_id = text(st, 9);
        e.details = text(st, 10);
        e.prev_hash = blob(st, 11);
        e.hash = blob(st, 12);
        snap.events.push_back(std::move(e));
      }));
  DUET_TRY_STATUS(each_row(d.db, "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints ORDER BY seq",
                           [&](sqlite3_stmt* st) {
                             AuditCheckpoint cp;
                             cp.seq = sqlite3_column_int64(st, 0);
                             cp.hash = blob(st, 1);
                             cp.signed_at = sqlite3_column_int64(st, 2);
                             cp.key_id = text(st, 3);
                             cp.signature = blob(st, 4);
                             snap.checkpoints.push_back(std::move(cp));
                           }));
  DUET_TRY_STATUS(each_row(d.db, "SELECT key_id, public_key_der, created_at FROM audit_keys ORDER BY created_at, key_id",
                           [&](sqlite3_stmt* st) {
                             AuditKey k;
                             k.key_id = text(st, 0);
                             k.public_key_der = blob(st, 1);
                             k.created_at = sqlite3_column_int64(st, 2);
                             snap.keys.push_back(std::move(k));
                           }));
  bool head_found = false;
  DUET_TRY_STATUS(each_row(d.db, "SELECT seq, hash FROM audit_head WHERE id = 1", [&](sqlite3_stmt* st) {
    snap.head.seq = sqlite3_column_int64(st, 0);
    snap.head.hash = blob(st, 1);
    head_found = true;
  }));
  if (!head_found) return store_error(StoreError::kCorrupt, "audit chain head missing");
  sqlite3_exec(d.db, "COMMIT", nullptr, nullptr, nullptr);
  return snap;
}

}  // namespace duet::store
