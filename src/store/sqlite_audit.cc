// The audit chain on SQLite (schema v8, docs/audit.md).
#include "store/sqlite_audit.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <limits>
#include <optional>

#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/audit_encoding.h"
#include "store/audit_snapshot.h"
#include "store/row_decoders.h"
#include "store/sqlite_db.h"
#include "store/sqlite_row.h"
#include "store/store_error.h"
#include "store/validate.h"

namespace duet::store::sqlite {

using row_decoders::kAdminCols;
using row_decoders::read_admin;

int64_t total_changes(Connection& c) { return sqlite3_total_changes64(c.raw()); }

Result<AuditCheckpoint> read_audit_head(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kAuditHead.sqlite()));
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kCorrupt, "audit chain head missing");
  return read_audit_head_row(as_row(st));
}

Status append_audit_event(Connection& c, AuditEvent& event) {
  DUET_TRY_STATUS(validate_audit_event(event));
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
  st.bind(1, after_seq).bind(2, clamp_limit(limit));
  return read_rows<AuditEvent>(st, read_event);
}

Result<std::vector<AuditEvent>> list_tenant_audit_events(Connection& c, std::string_view tenant_id,
                                                         UnixSeconds from, UnixSeconds to, int64_t after_seq,
                                                         size_t limit) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kEventCols) +
          " FROM audit_events WHERE tenant_id = ?1 AND at >= ?2 AND at < ?3 AND seq > ?4 ORDER BY seq LIMIT ?5"));
  st.bind(1, tenant_id).bind(2, from).bind(3, to).bind(4, after_seq).bind(5, clamp_limit(limit));
  return read_rows<AuditEvent>(st, read_event);
}

Status add_audit_checkpoint(Connection& c, const AuditCheckpoint& cp) {
  DUET_TRY_STATUS(validate_audit_checkpoint(cp));
  DUET_ASSIGN_OR_RETURN(Statement ev, Statement::prepare(c, kAuditEventHash.sqlite()));
  ev.bind(1, cp.seq);
  DUET_ASSIGN_OR_RETURN(bool found, ev.step());
  if (!found) return store_error(StoreError::kNotFound, "audit event not found");
  if (ev.column_blob(0) != cp.hash)
    return make_error(ErrorCode::kInvalidArgument, "checkpoint hash differs from the event's hash");
  if (!cp.prev_hash.empty()) {
    // A chained (v2) checkpoint extends the newest one; the unique index on
    // prev_hash refuses a second checkpoint naming the same predecessor.
    DUET_ASSIGN_OR_RETURN(Statement latest, Statement::prepare(c, kLatestAuditCheckpoint.sqlite()));
    DUET_ASSIGN_OR_RETURN(bool any, latest.step());
    std::optional<AuditCheckpoint> newest;
    if (any) newest = read_checkpoint(as_row(latest));
    DUET_TRY_STATUS(check_checkpoint_extends(cp, newest));
  }
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertAuditCheckpoint.sqlite()));
  st.bind(1, cp.seq).bind(2, cp.hash).bind(3, cp.signed_at).bind(4, cp.key_id).bind(5, cp.signature);
  if (cp.prev_hash.empty()) st.bind_null(6);
  else st.bind(6, cp.prev_hash);
  return st.run();
}

Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(Connection& c, int64_t from_seq, int64_t to_seq) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kCheckpointCols) + " FROM audit_checkpoints WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq"));
  st.bind(1, from_seq).bind(2, to_seq);
  return read_rows<AuditCheckpoint>(st, read_checkpoint);
}

Status put_audit_key(Connection& c, const AuditKey& key) {
  DUET_TRY_STATUS(validate_audit_key(key));
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kInsertAuditKey.sqlite()));
  st.bind(1, key.key_id).bind(2, key.public_key_der).bind(3, key.sealed_private_key).bind(4, key.created_at);
  return st.run();
}

Result<std::vector<AuditKey>> list_audit_keys(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kAuditKeyCols) + " FROM audit_keys ORDER BY created_at, key_id"));
  return read_rows<AuditKey>(st, read_audit_key);
}

Result<std::vector<AdminToken>> list_admin_tokens(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kAdminCols) + " FROM admin_tokens ORDER BY created_at, name"));
  return read_rows<AdminToken>(st, read_admin);
}

Result<size_t> revoke_admin_tokens(Connection& c, std::string_view name, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kRevokeAdminTokens.sqlite()));
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

// A raw statement's current row, as the shared row readers (store/area_rows.h)
// take it.
class RawRow final : public RowReader {
 public:
  explicit RawRow(sqlite3_stmt* st) : st_(st) {}
  bool is_null(int col) const override { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  int64_t get_int(int col) const override { return sqlite3_column_int64(st_, col); }
  std::optional<int64_t> optional_int(int col) const override {
    if (is_null(col)) return std::nullopt;
    return get_int(col);
  }
  std::string text(int col) const override {
    const unsigned char* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st_, col)))
             : std::string();
  }
  Bytes blob(int col) const override {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st_, col));
    int n = sqlite3_column_bytes(st_, col);
    return p ? Bytes(p, p + n) : Bytes();
  }

 private:
  sqlite3_stmt* st_;
};

template <typename Row>
Status each_row(sqlite3* db, std::string_view sql, Row&& row) {
  RawStmt s;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s.st, nullptr);
  if (rc != SQLITE_OK) {
    if (std::string(sqlite3_errmsg(db)).find("no such table") != std::string::npos)
      return store_error(StoreError::kNotFound, "the database has no audit log (schema older than version 8)");
    return sqlite::sqlite_error(rc, "read audit snapshot");
  }
  for (;;) {
    rc = sqlite3_step(s.st);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return sqlite::sqlite_error(rc, "read audit snapshot");
    row(RawRow(s.st));
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
  DUET_TRY_STATUS(each_row(d.db, "SELECT " + std::string(kEventCols) + " FROM audit_events ORDER BY seq",
                           [&](const RawRow& r) { snap.events.push_back(read_event(r)); }));
  // A database from before schema v15 (not migrated: opened read-only as
  // found, e.g. a restored backup) has no prev_hash: its checkpoints are v1.
  bool chained = false;
  DUET_TRY_STATUS(each_row(d.db, "SELECT 1 FROM pragma_table_info('audit_checkpoints') WHERE name = 'prev_hash'",
                           [&](const RawRow&) { chained = true; }));
  const std::string cols = chained ? std::string(kCheckpointCols) : "seq, hash, signed_at, key_id, signature, NULL";
  DUET_TRY_STATUS(each_row(d.db, "SELECT " + cols + " FROM audit_checkpoints ORDER BY seq",
                           [&](const RawRow& r) { snap.checkpoints.push_back(read_checkpoint(r)); }));
  // The snapshot leaves the sealed private keys out.
  DUET_TRY_STATUS(each_row(d.db, "SELECT key_id, public_key_der, created_at FROM audit_keys ORDER BY created_at, key_id",
                           [&](const RawRow& r) {
                             AuditKey k;
                             k.key_id = r.text(0);
                             k.public_key_der = r.blob(1);
                             k.created_at = r.get_int(2);
                             snap.keys.push_back(std::move(k));
                           }));
  bool head_found = false;
  DUET_TRY_STATUS(each_row(d.db, kAuditHead.sqlite(), [&](const RawRow& r) {
    snap.head.seq = r.get_int(0);
    snap.head.hash = r.blob(1);
    head_found = true;
  }));
  if (!head_found) return store_error(StoreError::kCorrupt, "audit chain head missing");
  sqlite3_exec(d.db, "COMMIT", nullptr, nullptr, nullptr);
  return snap;
}

}  // namespace duet::store
