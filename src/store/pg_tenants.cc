// PgStore: tenants and apps (store/tenants.h).
#include "store/pg_areas.h"
#include "store/pg_store_impl.h"
#include "store/tenant_notice_rows.h"

namespace duet::store::pg_store {

Status PgStore::create_tenant(const WriteContext& context, const Tenant& t) {
  DUET_TRY_STATUS(validate_tenant(t));
  return write_single(context, [&](Connection& c) {
    return pg::run(c,
                   "INSERT INTO tenants (tenant_id, name, production_active_from, suspended, created_at, "
                   "cert_identity_policy) VALUES ($1, $2, $3, $4, $5, $6)",
                   {t.tenant_id, t.name, t.production_active_from, t.suspended ? 1 : 0, t.created_at,
                    t.cert_identity_policy});
  });
}

Result<Tenant> PgStore::get_tenant(std::string_view tenant_id) {
  return read_single<Tenant>([&](Connection& c) -> Result<Tenant> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kTenantCols, "tenants", "tenant_id = $1"), {tenant_id}));
    return first_row<Tenant>(r, [](const Row& row) -> Result<Tenant> { return read_tenant(row); }, "tenant");
  });
}

Status PgStore::set_tenant_suspended(const WriteContext& context, std::string_view tenant_id, bool suspended,
                                     UnixSeconds now) {
  // The conditional update takes the row lock: of two operators setting the
  // same state at once, only the first changes it and tells the tenant.
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, kChangeSuspended.pg(), {tenant_id, suspended ? 1 : 0}));
    if (n == 0) {
      DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT 1 FROM tenants WHERE tenant_id = $1", {tenant_id}));
      return r.empty() ? Status(not_found("tenant")) : Status::Ok();
    }
    return pg::insert_tenant_notice(c, tenant_id,
                                    suspended ? NoticeKind::kTenantSuspended : NoticeKind::kTenantResumed, now, now,
                                    "");
  });
}

Status PgStore::set_tenant_hybrid_previews(const WriteContext& context, std::string_view tenant_id, bool allowed) {
  return update_one(context, "UPDATE tenants SET hybrid_previews = $2 WHERE tenant_id = $1", tenant_id,
                    allowed ? 1 : 0, "tenant");
}

Status PgStore::set_tenant_cert_identity_policy(const WriteContext& context, std::string_view tenant_id,
                                            std::string_view policy) {
  DUET_TRY_STATUS(validate_cert_identity_policy(policy));
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n,
                          changes(c, "UPDATE tenants SET cert_identity_policy = $2 WHERE tenant_id = $1", {tenant_id, policy}));
    return n == 1 ? Status::Ok() : not_found("tenant");
  });
}

Status PgStore::set_tenant_production_active_from(const WriteContext& context, std::string_view tenant_id,
                                                  UnixSeconds from) {
  return update_one(context, "UPDATE tenants SET production_active_from = $2 WHERE tenant_id = $1", tenant_id, from,
                    "tenant");
}

Status PgStore::activate_tenant(const WriteContext& context, std::string_view tenant_id, UnixSeconds from,
                                UnixSeconds expires_at, UnixSeconds now) {
  if (expires_at <= from) return invalid("a package term ends after the activation date");
  return write(context, [&](Connection& c) -> Status {
    // The tenant row is locked while its date is checked and moved.
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "SELECT production_active_from FROM tenants WHERE tenant_id = $1 FOR UPDATE", {tenant_id}));
    if (r.empty()) return not_found("tenant");
    std::optional<int64_t> stored = r.optional_int(0, 0);
    if (stored && *stored <= now) return conflict("the tenant's service activation date has been reached");
    DUET_TRY_STATUS(pg::run(c, "UPDATE tenants SET production_active_from = $2 WHERE tenant_id = $1",
                            {tenant_id, from}));
    return pg::run(c,
                   "UPDATE packages SET starts_at = $2, expires_at = $3 "
                   "WHERE tenant_id = $1 AND source = 'purchase' AND used = 0 AND starts_at < $2",
                   {tenant_id, from, expires_at});
  });
}

Result<std::vector<Tenant>> PgStore::list_tenants() {
  return read_single<std::vector<Tenant>>([&](Connection& c) -> Result<std::vector<Tenant>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kTenantCols) + " FROM tenants ORDER BY tenant_id"));
    return all_rows<Tenant>(r, [](const Row& row) -> Result<Tenant> { return read_tenant(row); });
  });
}

Status PgStore::create_app(const WriteContext& context, const App& a) {
  DUET_TRY_STATUS(validate_app(a));
  return write_single(context, [&](Connection& c) {
    return pg::run(c,
                   "INSERT INTO apps (tenant_id, app_id, secret_ciphertext, environment, created_at, identity_mode, "
                   "sms_otp_required, cms_oid_style) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                   {a.tenant_id, a.app_id, a.secret_ciphertext, env_text(a.environment), a.created_at,
                    a.identity_mode, a.sms_otp_required ? 1 : 0, a.cms_oid_style});
  });
}

Result<App> PgStore::get_app(std::string_view tenant_id, std::string_view app_id) {
  return read_single<App>([&](Connection& c) -> Result<App> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kAppCols, "apps", "tenant_id = $1 AND app_id = $2"),
                                          {tenant_id, app_id}));
    return first_row<App>(r, read_app, "app");
  });
}

Result<App> PgStore::find_app(std::string_view app_id) {
  return read_single<App>([&](Connection& c) -> Result<App> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kAppCols, "apps", "app_id = $1"), {app_id}));
    return first_row<App>(r, read_app, "app");
  });
}

Result<std::vector<App>> PgStore::list_apps(std::string_view tenant_id) {
  return read_single<std::vector<App>>([&](Connection& c) -> Result<std::vector<App>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kAppCols, "apps", "tenant_id = $1 ORDER BY app_id"),
                                          {tenant_id}));
    return all_rows<App>(r, read_app);
  });
}

Status PgStore::update_app_secret(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                                  ByteView secret_ciphertext) {
  if (secret_ciphertext.empty()) return invalid("app secret is empty");
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE apps SET secret_ciphertext = $3 WHERE tenant_id = $1 AND app_id = $2",
        {tenant_id, app_id, secret_ciphertext}));
    return n == 1 ? Status::Ok() : not_found("app");
  });
}

Status PgStore::set_app_pin_failure_budget(const WriteContext& context, std::string_view tenant_id,
                                           std::string_view app_id, std::optional<int> budget) {
  DUET_TRY_STATUS(validate_pin_failure_budget(budget));
  std::optional<int64_t> value;
  if (budget) value = *budget;
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE apps SET pin_failure_budget = $3 WHERE tenant_id = $1 AND app_id = $2", {tenant_id, app_id, value}));
    return n == 1 ? Status::Ok() : not_found("app");
  });
}

Status PgStore::update_app_settings(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                                    std::string_view identity_mode, bool sms_otp_required,
                                    std::string_view cms_oid_style) {
  DUET_TRY_STATUS(validate_app_settings(identity_mode, cms_oid_style));
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE apps SET identity_mode = $3, sms_otp_required = $4, cms_oid_style = $5 "
        "WHERE tenant_id = $1 AND app_id = $2",
        {tenant_id, app_id, identity_mode, sms_otp_required ? 1 : 0, cms_oid_style}));
    return n == 1 ? Status::Ok() : not_found("app");
  });
}

}  // namespace duet::store::pg_store
