// Operator onboarding (docs/api/openapi.yaml): the bootstrap admin token, tenants and
// their apps. Each app has a sandbox and a production credential; secrets are
// shown once and stored sealed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/contexts.h"
#include "core/core_deps.h"
#include "store/tenants.h"
#include "store/metering.h"
#include "store/operator_tokens.h"

namespace duet::core {

struct IssuedCredential {
  std::string app_id;
  std::string secret;  // shown once
  store::AppEnvironment environment = store::AppEnvironment::kSandbox;
};

struct IssuedApp {
  IssuedCredential sandbox;
  IssuedCredential production;
};

class AdminService {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::TenantStore& tenants;
    store::MeteringStore& metering;
    store::OperatorTokenStore& operator_tokens;
    explicit Stores(store::Store& s) : tenants(s), metering(s), operator_tokens(s) {}
  };

  explicit AdminService(CoreDeps deps) : deps_(deps), stores_(deps.store) {}

  // The bootstrap operator token. Core only mints and registers it; the
  // daemon keeps it in a file (server/token_bootstrap.h): it writes a minted
  // token there before registering it, so a token the store knows is never
  // lost with a failed write.
  std::string mint_operator_token();
  // Makes sure the store knows the token's hash as the "bootstrap" operator
  // (role operator). Idempotent.
  Status register_bootstrap_token(std::string_view token);

  Result<OperatorContext> authenticate_operator(std::string_view bearer_token);

  Result<store::Tenant> create_tenant(const OperatorContext& op, const std::string& name,
                                      std::optional<UnixSeconds> production_active_from);
  Result<store::Tenant> get_tenant(const OperatorContext& op, const std::string& tenant_id);
  Result<std::vector<store::Tenant>> list_tenants(const OperatorContext& op);
  // Records the service activation date (开通日): production credentials
  // work from it, the SLA judges the tenant from it, and purchase packages
  // whose term has not begun (nothing used, starting earlier) start there
  // and run one year (store::TenantStore::activate_tenant). Once the stored
  // date is reached it is final: kConflict.
  Result<store::Tenant> set_production_active_from(const OperatorContext& op, const std::string& tenant_id,
                                                   UnixSeconds from);
  Result<store::Tenant> set_suspended(const OperatorContext& op, const std::string& tenant_id, bool suspended);
  // The tenant's certificate identity policy (store::Tenant::cert_identity_policy):
  // "none" (no ID number in holder certificates) or "gmt0015" (the GM/T 0015
  // identity-code extension, docs/pki.md). Applies to certificates issued
  // from now on (issuance, renewal, re-key); issued ones keep what they say.
  // Another value: kInvalidArgument; an unknown tenant: kNotFound.
  Result<store::Tenant> set_cert_identity_policy(const OperatorContext& op, const std::string& tenant_id,
                                                 const std::string& policy);
  // Whether duet-gateway may upload page previews of the tenant's
  // digest-only orders to duetd (store::Tenant::hybrid_previews; off by
  // default, docs/gateway.md "Page previews"). Turning it off keeps the
  // previews already uploaded until their orders' retention; new uploads are
  // refused (kForbidden). An unknown tenant: kNotFound.
  Result<store::Tenant> set_hybrid_previews(const OperatorContext& op, const std::string& tenant_id, bool allowed);
  // The tenant's request-signature v1 cut-off (core/business_auth.h): from
  // `cutoff` on, requests signed without the Idempotency-Key (no
  // X-Duet-Signature-Version) are refused. Announced to the tenant by a
  // notice (kind signature_v1_cutoff; webhook to its notify URL) made in the
  // same transaction. `cutoff` must lie between now and ten years ahead:
  // setting it again postpones or advances it, with a new notice.
  Result<store::Tenant> set_signature_v1_cutoff(const OperatorContext& op, const std::string& tenant_id,
                                                UnixSeconds cutoff);

  Result<IssuedApp> create_app(const OperatorContext& op, const std::string& tenant_id);
  Result<std::vector<store::App>> list_apps(const OperatorContext& op, const std::string& tenant_id);
  Result<IssuedCredential> rotate_app_secret(const OperatorContext& op, const std::string& tenant_id,
                                             const std::string& app_id);
  // Certificate-issuance settings of one app row (the sandbox and the
  // production credential of an app are separate rows: only the one named
  // changes). Unknown values are kInvalidArgument; returns the updated app.
  Result<store::App> update_app_settings(const OperatorContext& op, const std::string& tenant_id,
                                         const std::string& app_id, const std::string& identity_mode,
                                         bool sms_otp_required, const std::string& cms_oid_style);

  // An app's PIN failure budget (docs/protocol.md "Counting"): failed PIN uses
  // in the budget window that lock a holder's key, for this app's orders and
  // the holders it created; nullopt restores the service's default. It must
  // be at least the consecutive limit and at most 1000 (kInvalidArgument).
  Status check_pin_failure_budget(std::optional<int> budget) const;
  Result<store::App> set_app_pin_failure_budget(const OperatorContext& op, const std::string& tenant_id,
                                                const std::string& app_id, std::optional<int> budget);

 private:
  Result<IssuedCredential> issue_credential(const store::WriteContext& write, const std::string& tenant_id,
                                            store::AppEnvironment env);
  std::string new_secret();
  ServiceDeps deps_;  // everything but the store
  Stores stores_;
};

}  // namespace duet::core
