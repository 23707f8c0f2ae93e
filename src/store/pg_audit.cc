// The audit chain on PostgreSQL (schema v8, docs/audit.md); mirrors
// sqlite_audit.cc.
#include "store/audit_encoding.h"
#include "store/pg_areas.h"
#include "store/pg_db.h"
#include "store/pg_util.h"

namespace duet::store::pg {
namespace {

constexpr std::string_view kEventCols =
    "seq, at, tenant_id, actor_type, actor_id, action, target, outcome, address, request_id, details, prev_hash, "
    "hash";

std::vector<AuditEvent> read_events(const Rows& r) {
  std::vector<AuditEvent> out;
  for (int i = 0; i < r.size(); ++i) {
    Row row(r, i);
    AuditEvent e;
    e.seq = row.get_int(0);
    e.at = row.get_int(1);
    e.tenant_id = row.text(2);
    e.actor_type = row.text(3);
    e.actor_id = row.text(4);
    e.action = row.text(5);
    e.target = row.text(6);
    e.outcome = row.text(7);
    e.address = row.text(8);
    e.request_id = row.text(9);
    e.details = row.text(10);
    e.prev_hash = row.blob(11);
    e.hash = row.blob(12);
    out.push_back(std::move(e));
  }
  return out;
}

bool valid_actor_type(std::string_view t) {
  return t == "app" || t == "holder" || t == "operator" || t == "system" || t == "anonymous";
}

Result<AuditCheckpoint> head_from(const Rows& r) {
  if (r.empty()) return store_error(StoreError::kCorrupt, "audit chain head missing");
  AuditCheckpoint head;
  head.seq = r.get_int(0, 0);
  head.hash = r.blob(0, 1);
  if (head.hash.size() != kAuditHashSize) return store_error(StoreError::kCorrupt, "audit chain head malformed");
  return head;
}

}  // namespace

Result<AuditCheckpoint> read_audit_head(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT seq, hash FROM audit_head WHERE id = 1"));
  return head_from(r);
}

// The head row is locked (FOR UPDATE) for the rest of the transaction:
// concurrent appenders (threads, nodes) queue on it, so seq has no gaps and
// every event chains to its predecessor. Every transaction takes this lock
// last (just before commit), after its other row locks.
Status append_audit_event(Connection& c, AuditEvent& event, bool then_commit) {
  if (event.action.empty() || event.outcome.empty() || !valid_actor_type(event.actor_type))
    return invalid("audit event needs an actor type, an action and an outcome");
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
  return read_events(r);
}

Result<std::vector<AuditEvent>> list_tenant_audit_events(Connection& c, std::string_view tenant_id,
                                                         UnixSeconds from, UnixSeconds to, int64_t after_seq,
                                                         size_t limit) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT " + std::string(kEventCols) +
          " FROM audit_events WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND seq > $4 ORDER BY seq LIMIT $5",
      {tenant_id, from, to, after_seq, clamp_limit(limit)}));
  return read_events(r);
}

Status add_audit_checkpoint(Connection& c, const AuditCheckpoint& cp) {
  if (cp.seq <= 0 || cp.hash.size() != kAuditHashSize || cp.key_id.empty() || cp.signature.empty())
    return invalid("incomplete audit checkpoint");
  DUET_ASSIGN_OR_RETURN(Rows ev, c.query("SELECT hash FROM audit_events WHERE seq = $1", {cp.seq}));
  if (ev.empty()) return store_error(StoreError::kNotFound, "audit event not found");
  if (ev.blob(0, 0) != cp.hash) return invalid("checkpoint hash differs from the event's hash");
  return run(c, "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)",
             {cp.seq, cp.hash, cp.signed_at, cp.key_id, cp.signature});
}

Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(Connection& c, int64_t from_seq, int64_t to_seq) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints WHERE seq >= $1 AND seq <= $2 "
      "ORDER BY seq",
      {from_seq, to_seq}));
  std::vector<AuditCheckpoint> out;
  for (int i = 0; i < r.size(); ++i) {
    AuditCheckpoint cp;
    cp.seq = r.get_int(i, 0);
    cp.hash = r.blob(i, 1);
    cp.signed_at = r.get_int(i, 2);
    cp.key_id = r.text(i, 3);
    cp.signature = r.blob(i, 4);
    out.push_back(std::move(cp));
  }
  return out;
}

Status put_audit_key(Connection& c, const AuditKey& key) {
  if (key.key_id.empty() || key.public_key_der.empty() || key.sealed_private_key.empty())
    return invalid("incomplete audit key");
  return run(c, "INSERT INTO audit_keys (key_id, public_key_der, sealed_private_key, created_at) VALUES ($1, $2, $3, $4)",
             {key.key_id, key.public_key_der, key.sealed_private_key, key.created_at});
}

Result<std::vector<AuditKey>> list_audit_keys(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT key_id, public_key_der, sealed_private_key, created_at FROM audit_keys ORDER BY created_at, key_id"));
  std::vector<AuditKey> out;
  for (int i = 0; i < r.size(); ++i) {
    AuditKey k;
    k.key_id = r.text(i, 0);
    k.public_key_der = r.blob(i, 1);
    k.sealed_private_key = r.blob(i, 2);
    k.created_at = r.get_int(i, 3);
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<AdminToken>> list_admin_tokens(Connection& c) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT token_hash, name, role, created_at, revoked_at FROM admin_tokens ORDER BY created_at, name"));
  std::vector<AdminToken> out;
  for (int i = 0; i < r.size(); ++i) {
    AdminToken t;
    t.token_hash = r.blob(i, 0);
    t.name = r.text(i, 1);
    t.role = r.text(i, 2);
    t.created_at = r.get_int(i, 3);
    t.revoked_at = r.optional_int(i, 4);
    out.push_back(std::move(t));
  }
  return out;
}

Result<size_t> revoke_admin_tokens(Connection& c, std::string_view name, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
      "UPDATE admin_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL", {name, now}));
  if (n == 0) return store_error(StoreError::kNotFound, "operator not found");
  return static_cast<size_t>(n);
}

}  // namespace duet::store::pg
