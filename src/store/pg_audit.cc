// The audit chain on PostgreSQL (schema v8, docs/audit.md); mirrors
// sqlite_audit.cc.
#include "store/area_rows.h"
#include "store/area_sql.h"
#include "store/audit_encoding.h"
#include "store/pg_areas.h"
#include "store/pg_db.h"
#include "store/pg_util.h"
#include "store/row_decoders.h"
#include "store/validate.h"

namespace duet::store::pg {

using row_decoders::kAdminCols;
using row_decoders::read_admin;
namespace {

Result<AuditCheckpoint> head_from(const Rows& r) {
  if (r.empty()) return store_error(StoreError::kCorrupt, "audit chain head missing");
  return read_audit_head_row(Row(r, 0));
}

}  // namespace

Result<AuditCheckpoint> read_audit_head(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kAuditHead.pg()));
  return head_from(r);
}

// The head row is locked (FOR UPDATE) for the rest of the transaction:
// concurrent appenders (threads, nodes) queue on it, so seq has no gaps and
// every event chains to its predecessor. Every transaction takes this lock
// last (just before commit), after its other row locks.
Status append_audit_event(Connection& c, AuditEvent& event, bool then_commit) {
  DUET_TRY_STATUS(validate_audit_event(event));
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"));
  DUET_ASSIGN_OR_RETURN(AuditCheckpoint head, head_from(r));
  event.seq = head.seq + 1;
  event.prev_hash = head.hash;
  event.hash = audit_event_hash(event.prev_hash, event);
  // Insert and head update in one statement (one round trip). A head that
  // moved (impossible while the row lock is held) is an SQL error of the
  // statement itself (division by zero, SQLSTATE 22012), not a row count
  // read afterwards, so that a COMMIT sent with it (then_commit) is skipped
  // by the server and the transaction rolls back.
  if (then_commit) c.commit_with_next();
  auto up = c.query(
      "WITH ins AS (INSERT INTO audit_events (seq, at, tenant_id, actor_type, actor_id, action, target, outcome, "
      "address, request_id, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)), "
      "up AS (UPDATE audit_head SET seq = $1, hash = $13 WHERE id = 1 AND seq = $14 RETURNING 1) "
      "SELECT 1 / (SELECT COUNT(*)::int FROM up)",
      {event.seq, event.at, event.tenant_id, event.actor_type, event.actor_id, event.action, event.target,
       event.outcome, event.address, event.request_id, event.details, event.prev_hash, event.hash, head.seq});
  if (!up.ok()) {
    if (c.last_sqlstate() == "22012") return conflict("audit chain head moved");
    return Unexpected{up.error()};
  }
  return Status::Ok();
}

Result<std::vector<AuditEvent>> list_audit_events(Connection& c, int64_t after_seq, size_t limit) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kEventCols) + " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
      {after_seq, clamp_limit(limit)}));
  return read_rows<AuditEvent>(r, read_event);
}

Result<std::vector<AuditEvent>> list_tenant_audit_events(Connection& c, std::string_view tenant_id,
                                                         UnixSeconds from, UnixSeconds to, int64_t after_seq,
                                                         size_t limit) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kEventCols) +
          " FROM audit_events WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND seq > $4 ORDER BY seq LIMIT $5",
      {tenant_id, from, to, after_seq, clamp_limit(limit)}));
  return read_rows<AuditEvent>(r, read_event);
}

Status add_audit_checkpoint(Connection& c, const AuditCheckpoint& cp) {
  DUET_TRY_STATUS(validate_audit_checkpoint(cp));
  DUET_ASSIGN_OR_RETURN(Rows ev, c.query(kAuditEventHash.pg(), {cp.seq}));
  if (ev.empty()) return store_error(StoreError::kNotFound, "audit event not found");
  if (ev.blob(0, 0) != cp.hash) return invalid("checkpoint hash differs from the event's hash");
  if (!cp.prev_hash.empty()) {
    // As sqlite_audit.cc; two nodes racing past this read both name the same
    // predecessor, and the unique index on prev_hash refuses the second.
    DUET_ASSIGN_OR_RETURN(Rows latest, c.query(kLatestAuditCheckpoint.pg()));
    std::optional<AuditCheckpoint> newest;
    if (!latest.empty()) newest = read_checkpoint(Row(latest, 0));
    DUET_TRY_STATUS(check_checkpoint_extends(cp, newest));
  }
  return run(c, kInsertAuditCheckpoint.pg(), {cp.seq, cp.hash, cp.signed_at, cp.key_id, cp.signature,
                                              cp.prev_hash.empty() ? Param::null() : Param(cp.prev_hash)});
}

Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(Connection& c, int64_t from_seq, int64_t to_seq) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kCheckpointCols) + " FROM audit_checkpoints WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
      {from_seq, to_seq}));
  return read_rows<AuditCheckpoint>(r, read_checkpoint);
}

Status put_audit_key(Connection& c, const AuditKey& key) {
  DUET_TRY_STATUS(validate_audit_key(key));
  return run(c, kInsertAuditKey.pg(), {key.key_id, key.public_key_der, key.sealed_private_key, key.created_at});
}

Result<std::vector<AuditKey>> list_audit_keys(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kAuditKeyCols) + " FROM audit_keys ORDER BY created_at, key_id"));
  return read_rows<AuditKey>(r, read_audit_key);
}

Result<std::vector<AdminToken>> list_admin_tokens(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kAdminCols) + " FROM admin_tokens ORDER BY created_at, name"));
  return read_rows<AdminToken>(r, read_admin);
}

Result<size_t> revoke_admin_tokens(Connection& c, std::string_view name, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kRevokeAdminTokens.pg(), {name, now}));
  if (n == 0) return store_error(StoreError::kNotFound, "operator not found");
  return static_cast<size_t>(n);
}

}  // namespace duet::store::pg
