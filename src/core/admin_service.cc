#include "core/admin_service.h"

#include "core/metering.h"
#include "core/operator_token.h"
#include "store/ids.h"

namespace duet::core {

std::string AdminService::new_secret() {
  Bytes raw(32);
  deps_.rng.fill(raw);
  std::string s = to_hex(raw);
  secure_wipe(raw.data(), raw.size());
  return s;
}

std::string AdminService::mint_operator_token() { return core::mint_operator_token(deps_.rng); }

Status AdminService::register_bootstrap_token(std::string_view token) {
  if (token.empty()) return make_error(ErrorCode::kInvalidArgument, "empty admin token");
  Bytes hash = deps_.protector.keyed_hash("admin_token", as_bytes(token));
  auto found = stores_.operator_tokens.find_admin_token(hash);
  if (found.ok()) return Status::Ok();
  if (found.code() != ErrorCode::kNotFound) return Unexpected{found.error()};
  store::AdminToken rec{hash, "bootstrap", "operator", deps_.clock.now(), std::nullopt};
  auto st = stores_.operator_tokens.create_admin_token({}, rec);
  if (!st.ok() && st.code() != ErrorCode::kConflict) return Unexpected{st.error()};
  return Status::Ok();
}

Result<OperatorContext> AdminService::authenticate_operator(std::string_view bearer) {
  if (bearer.empty() || bearer.size() > 200) return make_error(ErrorCode::kUnauthenticated, "missing admin token");
  auto found = stores_.operator_tokens.find_admin_token(deps_.protector.keyed_hash("admin_token", as_bytes(bearer)));
  if (!found.ok()) {
    if (found.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kUnauthenticated, "unknown admin token");
    return Unexpected{found.error()};
  }
  return OperatorContext{found->name, found->role};
}

Result<store::Tenant> AdminService::create_tenant(const OperatorContext& op, const std::string& name,
                                                  std::optional<UnixSeconds> from) {
  if (name.empty() || name.size() > 200) return make_error(ErrorCode::kInvalidArgument, "name must be 1 to 200 bytes");
  store::Tenant t{store::new_id("ten_"), name, from, false, deps_.clock.now(), std::nullopt};
  op.write.name_audit_target("tenant_id", t.tenant_id);
  DUET_TRY_STATUS(stores_.tenants.create_tenant(op.write, t));
  return t;
}

Result<store::Tenant> AdminService::get_tenant(const OperatorContext&, const std::string& tenant_id) {
  return stores_.tenants.get_tenant(tenant_id);
}

Result<std::vector<store::Tenant>> AdminService::list_tenants(const OperatorContext&) {
  return stores_.tenants.list_tenants();
}

Result<store::Tenant> AdminService::set_production_active_from(const OperatorContext& op, const std::string& tenant_id,
                                                               UnixSeconds from) {
  // The service activation date (开通日): package terms not yet begun move
  // to it (one year from it), in the same transaction; once reached it is
  // final (docs/metering.md "Service activation").
  if (from < 0 || from > deps_.clock.now() + 10LL * 366 * 86'400)
    return make_error(ErrorCode::kInvalidArgument, "production_active_from is out of range");
  Status s = stores_.tenants.activate_tenant(op.write, tenant_id, from, one_year_after(from), deps_.clock.now());
  if (!s.ok() && store::store_error_kind(s) == store::StoreError::kConflict)
    return make_error(ErrorCode::kConflict, "the service activation date has been reached and is not moved");
  DUET_TRY_STATUS(s);
  return stores_.tenants.get_tenant(tenant_id);
}

Result<store::Tenant> AdminService::set_signature_v1_cutoff(const OperatorContext& op, const std::string& tenant_id,
                                                            UnixSeconds cutoff) {
  const UnixSeconds now = deps_.clock.now();
  if (cutoff < now || cutoff > now + 10LL * 366 * 86'400)
    return make_error(ErrorCode::kInvalidArgument, "signature_v1_cutoff must lie between now and ten years ahead");
  DUET_TRY_STATUS(stores_.metering.set_tenant_signature_v1_cutoff(op.write, tenant_id, cutoff, now));
  return stores_.tenants.get_tenant(tenant_id);
}

Result<store::Tenant> AdminService::set_suspended(const OperatorContext& op, const std::string& tenant_id,
                                                  bool suspended) {
  // A change of state tells the tenant (tenant_suspended / tenant_resumed
  // notice, in the same transaction; docs/metering.md "Notices").
  DUET_TRY_STATUS(stores_.tenants.set_tenant_suspended(op.write, tenant_id, suspended, deps_.clock.now()));
  return stores_.tenants.get_tenant(tenant_id);
}

Result<store::Tenant> AdminService::set_cert_identity_policy(const OperatorContext& op, const std::string& tenant_id,
                                                             const std::string& policy) {
  DUET_TRY_STATUS(stores_.tenants.set_tenant_cert_identity_policy(op.write, tenant_id, policy));
  return stores_.tenants.get_tenant(tenant_id);
}

Result<store::Tenant> AdminService::set_hybrid_previews(const OperatorContext& op, const std::string& tenant_id,
                                                        bool allowed) {
  DUET_TRY_STATUS(stores_.tenants.set_tenant_hybrid_previews(op.write, tenant_id, allowed));
  return stores_.tenants.get_tenant(tenant_id);
}

Result<IssuedCredential> AdminService::issue_credential(const store::WriteContext& write, const std::string& tenant_id,
                                                        store::AppEnvironment env) {
  IssuedCredential c{store::new_id(env == store::AppEnvironment::kSandbox ? "app_sbx_" : "app_prd_"), new_secret(),
                     env};
  store::App app;
  app.tenant_id = tenant_id;
  app.app_id = c.app_id;
  write.name_audit_target("app_id", app.app_id);
  app.environment = env;
  app.created_at = deps_.clock.now();
  DUET_ASSIGN_OR_RETURN(app.secret_ciphertext, deps_.protector.seal("app_secret:" + app.app_id, as_bytes(c.secret)));
  DUET_TRY_STATUS(stores_.tenants.create_app(write, app));
  return c;
}

Result<IssuedApp> AdminService::create_app(const OperatorContext& op, const std::string& tenant_id) {
  DUET_ASSIGN_OR_RETURN(store::Tenant t, stores_.tenants.get_tenant(tenant_id));
  DUET_ASSIGN_OR_RETURN(IssuedCredential sandbox,
                        issue_credential(op.write, t.tenant_id, store::AppEnvironment::kSandbox));
  DUET_ASSIGN_OR_RETURN(IssuedCredential production,
                        issue_credential(op.write, t.tenant_id, store::AppEnvironment::kProduction));
  return IssuedApp{sandbox, production};
}

Result<std::vector<store::App>> AdminService::list_apps(const OperatorContext&, const std::string& tenant_id) {
  DUET_TRY_STATUS(stores_.tenants.get_tenant(tenant_id));
  return stores_.tenants.list_apps(tenant_id);
}

Result<IssuedCredential> AdminService::rotate_app_secret(const OperatorContext& op, const std::string& tenant_id,
                                                         const std::string& app_id) {
  DUET_ASSIGN_OR_RETURN(store::App app, stores_.tenants.get_app(tenant_id, app_id));
  IssuedCredential c{app.app_id, new_secret(), app.environment};
  DUET_ASSIGN_OR_RETURN(Bytes sealed, deps_.protector.seal("app_secret:" + app.app_id, as_bytes(c.secret)));
  DUET_TRY_STATUS(stores_.tenants.update_app_secret(op.write, tenant_id, app_id, sealed));
  return c;
}

Status AdminService::check_pin_failure_budget(std::optional<int> budget) const {
  if (budget && (*budget < deps_.config.max_failed_attempts || *budget > 1000)) {
    return make_error(ErrorCode::kInvalidArgument, "pin_failure_budget must be from " +
                                                       std::to_string(deps_.config.max_failed_attempts) +
                                                       " (the consecutive limit) to 1000, or null");
  }
  return Status::Ok();
}

Result<store::App> AdminService::set_app_pin_failure_budget(const OperatorContext& op, const std::string& tenant_id,
                                                            const std::string& app_id, std::optional<int> budget) {
  DUET_TRY_STATUS(check_pin_failure_budget(budget));
  DUET_TRY_STATUS(stores_.tenants.set_app_pin_failure_budget(op.write, tenant_id, app_id, budget));
  return stores_.tenants.get_app(tenant_id, app_id);
}

Result<store::App> AdminService::update_app_settings(const OperatorContext& op, const std::string& tenant_id,
                                                     const std::string& app_id, const std::string& identity_mode,
                                                     bool sms_otp_required, const std::string& cms_oid_style) {
  if (identity_mode != "attested" && identity_mode != "identity_source")
    return make_error(ErrorCode::kInvalidArgument, "identity_mode must be attested or identity_source");
  if (cms_oid_style != "pkcs7" && cms_oid_style != "gmt")
    return make_error(ErrorCode::kInvalidArgument, "cms_oid_style must be pkcs7 or gmt");
  DUET_TRY_STATUS(stores_.tenants.get_app(tenant_id, app_id));
  DUET_TRY_STATUS(
      stores_.tenants.update_app_settings(op.write, tenant_id, app_id, identity_mode, sms_otp_required, cms_oid_style));
  return stores_.tenants.get_app(tenant_id, app_id);
}

}  // namespace duet::core
