// The service side of the audit log (issue 5 §4, docs/audit.md): the audit
// SM2 key (created at first start; private key sealed by the DataProtector,
// public key in clear so offline verification needs no KEK), signed
// checkpoints of the chain head, role token bootstrap, and the operator
// management (POST/GET/DELETE /admin/v1/operators).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/contexts.h"
#include "core/audit_witness.h"
#include "core/core_deps.h"
#include "store/audit.h"
#include "store/operator_tokens.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace duet::core {

struct IssuedOperator {
  std::string name;
  std::string role;
  std::string token;  // shown once
};

class AuditService {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::AuditStore& audit;
    store::OperatorTokenStore& operator_tokens;
    explicit Stores(store::Store& s) : audit(s), operator_tokens(s) {}
  };

  explicit AuditService(CoreDeps deps) : deps_(deps), stores_(deps.store) {}

  // Publishes every checkpoint to `witness` too (core/audit_witness.h; the
  // daemon's witness file). Set before the first checkpoint; not owned.
  void set_witness(AuditWitnessSink* witness) { witness_ = witness; }
  // The witness's contents (nullopt: no witness configured).
  Result<std::optional<AuditWitness>> witnessed() const;
  // [audit] checkpoint_seconds, for verifiers (the age no unsigned event may reach).
  void set_checkpoint_seconds(int64_t s) { checkpoint_seconds_ = s; }
  int64_t checkpoint_seconds() const { return checkpoint_seconds_; }

  // Loads the newest audit key (opening its sealed private key) or, when the
  // store has none, creates one. Idempotent; safe from several threads.
  Status ensure_key();
  // The public keys of every audit key (for verification), by key id.
  Result<std::map<std::string, crypto::Point>> public_keys();
  // Signs the chain head if it moved past the newest stored checkpoint,
  // naming that checkpoint (prev_hash: checkpoints form a chain), then
  // appends it to the witness. Before that, checkpoints the witness missed
  // (a crash between commit and append, another node's) are appended, each
  // checked to extend the witness's newest under this service's key.
  // Returns the checkpoint stored (nullopt: nothing new, or another node
  // signed first).
  Result<std::optional<store::AuditCheckpoint>> checkpoint_now();
  // checkpoint_now() when at least every_events events were appended since
  // the last checkpoint, or when every_seconds passed since it and at least
  // one event was.
  Result<std::optional<store::AuditCheckpoint>> checkpoint_if_due(int64_t every_events, int64_t every_seconds);

  // Role tokens made at first start (security officer, auditor). Core only
  // mints and registers them; the daemon keeps each in a file
  // (server/token_bootstrap.h), written before the token is registered.
  std::string mint_operator_token();
  // Makes sure the store knows the token's hash for operator `name` with
  // `role` (kInvalidArgument for an unknown role), in the audit log as
  // operator.bootstrap. A token the security officer revoked stays revoked
  // (never re-registered). Idempotent.
  Status register_role_token(std::string_view token, const std::string& name, const std::string& role);

  // Operator management (security_officer; the route checks the role).
  // name: 1-64 of [A-Za-z0-9._-]; role: operator | auditor | security_officer.
  // kConflict if an unrevoked operator of that name exists.
  Result<IssuedOperator> create_operator(const store::WriteContext& write, const std::string& name,
                                         const std::string& role);
  Result<std::vector<store::AdminToken>> list_operators();
  // Revokes the operator's tokens (kNotFound). An operator cannot revoke itself.
  Status revoke_operator(const OperatorContext& by, const std::string& name);

 private:
  Status load_last_checkpoint();
  Result<std::optional<store::AuditCheckpoint>> newest_checkpoint();
  Status catch_up_witness(const std::optional<store::AuditCheckpoint>& newest);
  AuditWitnessSink* witness_ = nullptr;
  int64_t checkpoint_seconds_ = 300;
  std::optional<crypto::Point> public_key_;
  store::AuditKey public_key_record_;  // key_id, public_key_der, created_at
  ServiceDeps deps_;  // everything but the store
  Stores stores_;
  std::mutex mu_;
  std::optional<std::string> key_id_;
  std::optional<crypto::Scalar> private_key_;
  bool last_loaded_ = false;
  int64_t last_seq_ = 0;
  UnixSeconds last_at_ = 0;
};

}  // namespace duet::core
