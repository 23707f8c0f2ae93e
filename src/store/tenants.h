// store::TenantStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Tenants and their apps (operator and business-system accounts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class TenantStore {
 public:
  virtual ~TenantStore() = default;

  // --- tenants (operator) ---------------------------------------------------
  virtual Status create_tenant(const WriteContext& context, const Tenant& tenant) = 0;  // kDuplicate
  virtual Result<Tenant> get_tenant(std::string_view tenant_id) = 0;               // kNotFound
  // Suspends or resumes the tenant. When the flag changes, the tenant gets a
  // tenant_suspended / tenant_resumed notice (effective_at = created_at =
  // now; docs/metering.md "Notices") in the same transaction; setting the
  // flag it already has changes nothing and tells nobody. kNotFound.
  virtual Status set_tenant_suspended(const WriteContext& context, std::string_view tenant_id, bool suspended,
                                      UnixSeconds now) = 0;
  virtual Status set_tenant_production_active_from(const WriteContext& context, std::string_view tenant_id,
                                                   UnixSeconds from) = 0;
  // The tenant's service activation date (开通日; docs/metering.md "Service
  // activation"), ONE transaction: production_active_from = from, and every
  // purchase package of the tenant that has used nothing and whose term
  // starts before `from` starts at `from` and expires at `expires_at` (core
  // computes it: one year after `from`), so package terms run from the
  // activation. kConflict, nothing changed, when the stored date has been
  // reached (stored <= now): the service period has begun and is never
  // moved. kNotFound; expires_at <= from is kInvalidArgument.
  virtual Status activate_tenant(const WriteContext& context, std::string_view tenant_id, UnixSeconds from,
                                 UnixSeconds expires_at, UnixSeconds now) = 0;
  // Replaces Tenant::cert_identity_policy ("none" | "gmt0015"; anything else
  // is kInvalidArgument and nothing is written). kNotFound. Certificates
  // already issued are not touched.
  virtual Status set_tenant_cert_identity_policy(const WriteContext& context, std::string_view tenant_id,
                                                 std::string_view policy) = 0;
  // Replaces Tenant::hybrid_previews. kNotFound.
  virtual Status set_tenant_hybrid_previews(const WriteContext& context, std::string_view tenant_id,
                                            bool allowed) = 0;
  // Every tenant, ordered by tenant_id.
  virtual Result<std::vector<Tenant>> list_tenants() = 0;

  // --- apps -----------------------------------------------------------------
  virtual Status create_app(const WriteContext& context,
                            const App& app) = 0;  // kDuplicate (app id taken), kNotFound (tenant)
  virtual Result<App> get_app(std::string_view tenant_id, std::string_view app_id) = 0;
  // Entry point of request authentication: the app (and so its tenant) by app id.
  virtual Result<App> find_app(std::string_view app_id) = 0;
  // The tenant's apps, ordered by app_id (empty for an unknown tenant).
  virtual Result<std::vector<App>> list_apps(std::string_view tenant_id) = 0;
  // Replaces the app's encrypted HMAC secret (rotation). kNotFound.
  virtual Status update_app_secret(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                                   ByteView secret_ciphertext) = 0;
  // Replaces the app's certificate-issuance settings (App::identity_mode,
  // sms_otp_required, cms_oid_style). kNotFound; an unknown identity_mode
  // ("attested" | "identity_source") or cms_oid_style ("pkcs7" | "gmt") is
  // ErrorCode::kInvalidArgument. create_app validates the same values.
  // Sets (or with nullopt clears) an app's PIN failure budget; kNotFound.
  virtual Status set_app_pin_failure_budget(const WriteContext& context, std::string_view tenant_id,
                                            std::string_view app_id, std::optional<int> budget) = 0;
  virtual Status update_app_settings(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                                     std::string_view identity_mode, bool sms_otp_required,
                                     std::string_view cms_oid_style) = 0;
};

}  // namespace duet::store
