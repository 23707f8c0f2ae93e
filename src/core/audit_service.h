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

  // Loads the newest audit key (opening its sealed private key) or, when the
  // store has none, creates one. Idempotent; safe from several threads.
  Status ensure_key();
  // The public keys of every audit key (for verification), by key id.
  Result<std::map<std::string, crypto::Point>> public_keys();
  // Signs the chain head if it moved past the last checkpoint this service
  // knows of. Returns the checkpoint stored (nullopt: nothing new, or
  // another node signed that head first).
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
