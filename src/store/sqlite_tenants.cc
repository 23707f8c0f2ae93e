// SqliteStore: tenants and apps (store/tenants.h).
#include "store/sqlite_metering.h"
#include "store/sqlite_store_impl.h"
#include "store/tenant_notice_rows.h"

namespace duet::store::sqlite_store {

Status SqliteStore::create_tenant(const WriteContext& context, const Tenant& t) {
  DUET_TRY_STATUS(validate_tenant(t));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO tenants (tenant_id, name, production_active_from, suspended, created_at, cert_identity_policy) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    st.bind(1, t.tenant_id).bind(2, t.name).bind(3, t.production_active_from).bind(4, t.suspended ? 1 : 0)
        .bind(5, t.created_at).bind(6, t.cert_identity_policy);
    return st.run();
  });
}

Result<Tenant> SqliteStore::get_tenant(std::string_view tenant_id) {
  return read_single<Tenant>([&](Connection& c) -> Result<Tenant> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, select_from(kTenantCols, "tenants", "tenant_id = ?1")));
    st.bind(1, tenant_id);
    return query_one<Tenant>(st, read_tenant, "tenant");
  });
}

Status SqliteStore::set_tenant_suspended(const WriteContext& context, std::string_view tenant_id, bool suspended,
                                         UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kChangeSuspended.sqlite()));
    st.bind(1, tenant_id).bind(2, suspended ? 1 : 0);
    DUET_TRY_STATUS(st.run());
    if (c.changes() == 0) {
      DUET_ASSIGN_OR_RETURN(Statement ex, Statement::prepare(c, "SELECT 1 FROM tenants WHERE tenant_id = ?1"));
      ex.bind(1, tenant_id);
      DUET_ASSIGN_OR_RETURN(bool found, ex.step());
      return found ? Status::Ok() : Status(store_error(StoreError::kNotFound, "tenant not found"));
    }
    return sqlite::insert_tenant_notice(c, tenant_id,
                                        suspended ? NoticeKind::kTenantSuspended : NoticeKind::kTenantResumed, now,
                                        now, "");
  });
}

Status SqliteStore::set_tenant_hybrid_previews(const WriteContext& context, std::string_view tenant_id, bool allowed) {
  return update_one(context, "UPDATE tenants SET hybrid_previews = ?2 WHERE tenant_id = ?1", tenant_id,
                    allowed ? 1 : 0, "tenant");
}

Status SqliteStore::set_tenant_cert_identity_policy(const WriteContext& context, std::string_view tenant_id,
                                            std::string_view policy) {
  DUET_TRY_STATUS(validate_cert_identity_policy(policy));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st,
                          Statement::prepare(c, "UPDATE tenants SET cert_identity_policy = ?2 WHERE tenant_id = ?1"));
    st.bind(1, tenant_id).bind(2, policy);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("tenant");
  });
}

Status SqliteStore::set_tenant_production_active_from(const WriteContext& context, std::string_view tenant_id,
                                                      UnixSeconds from) {
  return update_one(context, "UPDATE tenants SET production_active_from = ?2 WHERE tenant_id = ?1", tenant_id, from,
                    "tenant");
}

Status SqliteStore::activate_tenant(const WriteContext& context, std::string_view tenant_id, UnixSeconds from,
                                    UnixSeconds expires_at, UnixSeconds now) {
  if (expires_at <= from) return invalid("a package term ends after the activation date");
  return write(context, [&](Connection& c) -> Status {
    std::optional<int64_t> stored;
    {
      DUET_ASSIGN_OR_RETURN(Statement q, Statement::prepare(c,
          "SELECT production_active_from FROM tenants WHERE tenant_id = ?1"));
      q.bind(1, tenant_id);
      DUET_ASSIGN_OR_RETURN(bool found, q.step());
      if (!found) return not_found("tenant");
      stored = q.column_optional_int(0);
    }
    if (stored && *stored <= now)
      return store_error(StoreError::kConflict, "the tenant's service activation date has been reached");
    DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
        "UPDATE tenants SET production_active_from = ?2 WHERE tenant_id = ?1"));
    up.bind(1, tenant_id).bind(2, from);
    DUET_TRY_STATUS(up.run());
    DUET_ASSIGN_OR_RETURN(Statement pk, Statement::prepare(c,
        "UPDATE packages SET starts_at = ?2, expires_at = ?3 "
        "WHERE tenant_id = ?1 AND source = 'purchase' AND used = 0 AND starts_at < ?2"));
    pk.bind(1, tenant_id).bind(2, from).bind(3, expires_at);
    return pk.run();
  });
}

Result<std::vector<Tenant>> SqliteStore::list_tenants() {
  return read_single<std::vector<Tenant>>([&](Connection& c) -> Result<std::vector<Tenant>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT " + std::string(kTenantCols) + " FROM tenants ORDER BY tenant_id"));
    return read_all<Tenant>(st, read_tenant);
  });
}

Status SqliteStore::create_app(const WriteContext& context, const App& a) {
  DUET_TRY_STATUS(validate_app(a));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO apps (tenant_id, app_id, secret_ciphertext, environment, created_at, identity_mode, "
        "sms_otp_required, cms_oid_style) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    st.bind(1, a.tenant_id).bind(2, a.app_id).bind(3, a.secret_ciphertext).bind(4, env_text(a.environment))
        .bind(5, a.created_at).bind(6, a.identity_mode).bind(7, a.sms_otp_required ? 1 : 0)
        .bind(8, a.cms_oid_style);
    return st.run();
  });
}

Result<App> SqliteStore::get_app(std::string_view tenant_id, std::string_view app_id) {
  return read_single<App>([&](Connection& c) -> Result<App> {
    DUET_ASSIGN_OR_RETURN(Statement st,
                          Statement::prepare(c, select_from(kAppCols, "apps", "tenant_id = ?1 AND app_id = ?2")));
    st.bind(1, tenant_id).bind(2, app_id);
    return query_one<App>(st, read_app, "app");
  });
}

Result<App> SqliteStore::find_app(std::string_view app_id) {
  return read_single<App>([&](Connection& c) -> Result<App> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, select_from(kAppCols, "apps", "app_id = ?1")));
    st.bind(1, app_id);
    return query_one<App>(st, read_app, "app");
  });
}

Result<std::vector<App>> SqliteStore::list_apps(std::string_view tenant_id) {
  return read_single<std::vector<App>>([&](Connection& c) -> Result<std::vector<App>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kAppCols, "apps", "tenant_id = ?1 ORDER BY app_id")));
    st.bind(1, tenant_id);
    std::vector<App> out;
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      DUET_ASSIGN_OR_RETURN(App a, read_app(st));
      out.push_back(std::move(a));
    }
    return out;
  });
}

Status SqliteStore::update_app_secret(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                                      ByteView secret_ciphertext) {
  if (secret_ciphertext.empty()) return invalid("app secret is empty");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE apps SET secret_ciphertext = ?3 WHERE tenant_id = ?1 AND app_id = ?2"));
    st.bind(1, tenant_id).bind(2, app_id).bind(3, secret_ciphertext);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("app");
  });
}

Status SqliteStore::set_app_pin_failure_budget(const WriteContext& context, std::string_view tenant_id,
                                               std::string_view app_id, std::optional<int> budget) {
  DUET_TRY_STATUS(validate_pin_failure_budget(budget));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE apps SET pin_failure_budget = ?3 WHERE tenant_id = ?1 AND app_id = ?2"));
    st.bind(1, tenant_id).bind(2, app_id);
    if (budget)
      st.bind(3, *budget);
    else
      st.bind_null(3);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("app");
  });
}

Status SqliteStore::update_app_settings(const WriteContext& context, std::string_view tenant_id,
                                        std::string_view app_id, std::string_view identity_mode, bool sms_otp_required,
                                        std::string_view cms_oid_style) {
  DUET_TRY_STATUS(validate_app_settings(identity_mode, cms_oid_style));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE apps SET identity_mode = ?3, sms_otp_required = ?4, cms_oid_style = ?5 "
        "WHERE tenant_id = ?1 AND app_id = ?2"));
    st.bind(1, tenant_id).bind(2, app_id).bind(3, identity_mode).bind(4, sms_otp_required ? 1 : 0)
        .bind(5, cms_oid_style);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("app");
  });
}

}  // namespace duet::store::sqlite_store
