#include "core/audit_service.h"

#include <limits>

#include "core/operator_roles.h"
#include "core/operator_token.h"
#include "crypto/sm2_evp.h"
#include "store/audit_encoding.h"
#include "store/ids.h"
#include "store/write_context.h"

namespace duet::core {
namespace {

std::string key_context(const std::string& key_id) { return "audit_key:" + key_id; }

bool valid_operator_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace

Status AuditService::ensure_key() {
  std::lock_guard<std::mutex> lock(mu_);
  if (private_key_) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditKey> keys, stores_.audit.list_audit_keys());
  if (keys.empty()) {
    store::AuditKey k;
    k.key_id = store::new_id("audk_");
    crypto::Scalar d = crypto::Scalar::random_nonzero(deps_.rng);
    DUET_ASSIGN_OR_RETURN(crypto::Point p, crypto::Point::mul_base(d));
    DUET_ASSIGN_OR_RETURN(k.public_key_der, crypto::public_key_spki_der(p));
    DUET_ASSIGN_OR_RETURN(k.sealed_private_key, deps_.protector.seal(key_context(k.key_id), d.bytes()));
    k.created_at = deps_.clock.now();
    Status put = stores_.audit.put_audit_key(k);
    if (!put.ok()) {
      // Another node created one first: use the store's.
      if (put.code() != ErrorCode::kConflict && store::store_error_kind(put.error()) != store::StoreError::kDuplicate)
        return put;
      DUET_ASSIGN_OR_RETURN(keys, stores_.audit.list_audit_keys());
    } else {
      key_id_ = k.key_id;
      private_key_ = d;
      public_key_ = p;
      public_key_record_ = {k.key_id, k.public_key_der, {}, k.created_at};
      return Status::Ok();
    }
  }
  if (keys.empty()) return make_error(ErrorCode::kInternal, "no audit key");
  const store::AuditKey& newest = keys.back();
  DUET_ASSIGN_OR_RETURN(SecretBytes raw, deps_.protector.open(key_context(newest.key_id), newest.sealed_private_key));
  DUET_ASSIGN_OR_RETURN(crypto::Scalar d, crypto::Scalar::from_bytes_nonzero(raw.view()));
  DUET_ASSIGN_OR_RETURN(crypto::Point p, crypto::public_key_from_spki(newest.public_key_der));
  key_id_ = newest.key_id;
  private_key_ = d;
  public_key_ = p;
  public_key_record_ = {newest.key_id, newest.public_key_der, {}, newest.created_at};
  return Status::Ok();
}

Result<std::optional<AuditWitness>> AuditService::witnessed() const {
  if (!witness_) return std::optional<AuditWitness>();
  DUET_ASSIGN_OR_RETURN(AuditWitness w, witness_->read());
  return std::optional<AuditWitness>(std::move(w));
}

Result<std::map<std::string, crypto::Point>> AuditService::public_keys() {
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditKey> keys, stores_.audit.list_audit_keys());
  std::map<std::string, crypto::Point> out;
  for (const auto& k : keys) {
    DUET_ASSIGN_OR_RETURN(crypto::Point p, crypto::public_key_from_spki(k.public_key_der));
    out.emplace(k.key_id, p);
  }
  return out;
}

Status AuditService::load_last_checkpoint() {
  if (last_loaded_) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditCheckpoint> cps,
                        stores_.audit.list_audit_checkpoints(0, std::numeric_limits<int64_t>::max()));
  if (!cps.empty()) {
    last_seq_ = cps.back().seq;
    last_at_ = cps.back().signed_at;
  } else {
    last_seq_ = 0;
    last_at_ = deps_.clock.now();
  }
  last_loaded_ = true;
  return Status::Ok();
}

// The newest stored checkpoint (by seq), read from the last one this
// service knew of (one row in the usual case).
Result<std::optional<store::AuditCheckpoint>> AuditService::newest_checkpoint() {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditCheckpoint> cps, stores_.audit.list_audit_checkpoints(last_seq_, kMax));
  if (cps.empty() && last_seq_ > 0) {
    DUET_ASSIGN_OR_RETURN(cps, stores_.audit.list_audit_checkpoints(0, kMax));
  }
  if (cps.empty()) return std::optional<store::AuditCheckpoint>();
  return std::optional<store::AuditCheckpoint>(cps.back());
}

Status AuditService::catch_up_witness(const std::optional<store::AuditCheckpoint>& newest) {
  if (!witness_ || !newest) return Status::Ok();
  std::optional<store::AuditCheckpoint> seen = witness_->last();
  if (seen && seen->seq >= newest->seq) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(std::vector<store::AuditCheckpoint> missed,
                        stores_.audit.list_audit_checkpoints(seen ? seen->seq + 1 : 0, newest->seq));
  for (const store::AuditCheckpoint& cp : missed) {
    // Only what this service signed and what extends the witness's chain is
    // witnessed: a checkpoint added to the store alone is not.
    if (cp.prev_hash.empty()) continue;  // unchained (v1): signed before there was a witness
    Bytes expected = seen ? store::audit_checkpoint_hash(*seen) : Bytes();
    if (seen && !seen->prev_hash.empty() && cp.prev_hash != expected)
      return make_error(ErrorCode::kInternal, "a stored checkpoint does not extend the witnessed one");
    if (cp.key_id != public_key_record_.key_id ||
        !crypto::evp_sm2_verify(*public_key_, store::audit_checkpoint_message(cp), cp.signature).ok())
      return make_error(ErrorCode::kInternal, "a stored checkpoint is not signed by the audit key");
    DUET_TRY_STATUS(witness_->append(cp, public_key_record_));
    seen = cp;
  }
  return Status::Ok();
}

Result<std::optional<store::AuditCheckpoint>> AuditService::checkpoint_now() {
  DUET_TRY_STATUS(ensure_key());
  std::lock_guard<std::mutex> lock(mu_);
  DUET_TRY_STATUS(load_last_checkpoint());
  DUET_ASSIGN_OR_RETURN(std::optional<store::AuditCheckpoint> newest, newest_checkpoint());
  DUET_TRY_STATUS(catch_up_witness(newest));
  if (newest) {
    last_seq_ = newest->seq;
    last_at_ = std::max(last_at_, newest->signed_at);
  }
  DUET_ASSIGN_OR_RETURN(store::AuditCheckpoint head, stores_.audit.get_audit_head());
  if (head.seq <= last_seq_) return std::optional<store::AuditCheckpoint>();
  store::AuditCheckpoint cp;
  cp.seq = head.seq;
  cp.hash = head.hash;
  cp.signed_at = deps_.clock.now();
  cp.key_id = *key_id_;
  cp.prev_hash = newest ? store::audit_checkpoint_hash(*newest) : store::audit_genesis_hash();
  DUET_ASSIGN_OR_RETURN(cp.signature, crypto::evp_sm2_sign(*private_key_, store::audit_checkpoint_message(cp)));
  Status added = stores_.audit.add_audit_checkpoint(cp);
  if (!added.ok()) {
    // Another node signed first (the same head, or a newer checkpoint this
    // one did not name): the next round starts from the store's newest.
    std::optional<store::StoreError> kind = store::store_error_kind(added.error());
    if (kind == store::StoreError::kDuplicate || kind == store::StoreError::kConflict)
      return std::optional<store::AuditCheckpoint>();
    return Unexpected{added.error()};
  }
  last_seq_ = head.seq;
  last_at_ = cp.signed_at;
  if (witness_) DUET_TRY_STATUS(witness_->append(cp, public_key_record_));
  return std::optional<store::AuditCheckpoint>(std::move(cp));
}

Result<std::optional<store::AuditCheckpoint>> AuditService::checkpoint_if_due(int64_t every_events,
                                                                                 int64_t every_seconds) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    DUET_TRY_STATUS(load_last_checkpoint());
    DUET_ASSIGN_OR_RETURN(store::AuditCheckpoint head, stores_.audit.get_audit_head());
    int64_t pending = head.seq - last_seq_;
    if (pending <= 0) return std::optional<store::AuditCheckpoint>();
    bool due = pending >= every_events || deps_.clock.now() - last_at_ >= every_seconds;
    if (!due) return std::optional<store::AuditCheckpoint>();
  }
  return checkpoint_now();
}

std::string AuditService::mint_operator_token() { return core::mint_operator_token(deps_.rng); }

Status AuditService::register_role_token(std::string_view token, const std::string& name, const std::string& role) {
  if (!is_operator_role(role)) return make_error(ErrorCode::kInvalidArgument, "unknown operator role");
  if (token.empty()) return make_error(ErrorCode::kInvalidArgument, "empty operator token");
  Bytes hash = deps_.protector.keyed_hash("admin_token", as_bytes(token));
  auto found = stores_.operator_tokens.find_admin_token(hash);
  if (found.ok()) return Status::Ok();
  if (found.code() != ErrorCode::kNotFound) return Unexpected{found.error()};
  // A token revoked by the security officer stays revoked across restarts.
  DUET_ASSIGN_OR_RETURN(std::vector<store::AdminToken> all, stores_.operator_tokens.list_admin_tokens());
  for (const auto& t : all)
    if (t.token_hash == hash) return Status::Ok();
  store::AuditEvent e;
  e.at = deps_.clock.now();
  e.actor_type = "system";
  e.actor_id = "duetd";
  e.action = "operator.bootstrap";
  e.target = "operator:" + name + " role:" + role;
  e.outcome = "pending";
  store::PendingAuditEvent pending{e};
  Status st = stores_.operator_tokens.create_admin_token({&pending, nullptr},
                                                         {hash, name, role, deps_.clock.now(), std::nullopt});
  if (!st.ok() && st.code() != ErrorCode::kConflict &&
      store::store_error_kind(st.error()) != store::StoreError::kDuplicate)
    return Unexpected{st.error()};
  return Status::Ok();
}

Result<IssuedOperator> AuditService::create_operator(const store::WriteContext& write, const std::string& name,
                                                     const std::string& role) {
  if (!valid_operator_name(name))
    return make_error(ErrorCode::kInvalidArgument, "name must be 1 to 64 of A-Z a-z 0-9 . _ -");
  if (!is_operator_role(role))
    return make_error(ErrorCode::kInvalidArgument, "role must be operator, auditor or security_officer");
  DUET_ASSIGN_OR_RETURN(std::vector<store::AdminToken> all, stores_.operator_tokens.list_admin_tokens());
  for (const auto& t : all)
    if (t.name == name && !t.revoked_at) return make_error(ErrorCode::kConflict, "an operator of that name exists");
  IssuedOperator out{name, role, core::mint_operator_token(deps_.rng)};
  Bytes hash = deps_.protector.keyed_hash("admin_token", as_bytes(out.token));
  DUET_TRY_STATUS(
      stores_.operator_tokens.create_admin_token(write, {hash, name, role, deps_.clock.now(), std::nullopt}));
  return out;
}

Result<std::vector<store::AdminToken>> AuditService::list_operators() { return stores_.operator_tokens.list_admin_tokens(); }

Status AuditService::revoke_operator(const OperatorContext& by, const std::string& name) {
  if (by.name == name) return make_error(ErrorCode::kConflict, "an operator cannot revoke itself");
  DUET_ASSIGN_OR_RETURN(size_t n, stores_.operator_tokens.revoke_admin_tokens(by.write, name, deps_.clock.now()));
  (void)n;
  return Status::Ok();
}

}  // namespace duet::core
