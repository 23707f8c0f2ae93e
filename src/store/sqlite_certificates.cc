// SqliteStore: certificates and CA material (store/certificates.h, store/ca_material.h).
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Status SqliteStore::add_certificate(const WriteContext& context, const Certificate& cert) {
  DUET_TRY_STATUS(validate_certificate(cert));
  return write(context, [&](Connection& c) { return insert_certificate(c, cert); });
}

Result<Certificate> SqliteStore::get_certificate(std::string_view tenant_id, std::string_view cert_id) {
  return read_single<Certificate>([&](Connection& c) -> Result<Certificate> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kCertCols, "certificates", "tenant_id = ?1 AND cert_id = ?2")));
    st.bind(1, tenant_id).bind(2, cert_id);
    return query_one<Certificate>(st, read_certificate, "certificate");
  });
}

Result<Certificate> SqliteStore::find_certificate_by_serial(std::string_view serial_hex) {
  return read_single<Certificate>([&](Connection& c) -> Result<Certificate> {
    DUET_ASSIGN_OR_RETURN(Statement st,
                          Statement::prepare(c, select_from(kCertCols, "certificates", "serial_hex = ?1")));
    st.bind(1, serial_hex);
    return query_one<Certificate>(st, read_certificate, "certificate");
  });
}

Result<std::vector<Certificate>> SqliteStore::list_holder_certificates(std::string_view tenant_id,
                                                                       std::string_view holder_id) {
  return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kCertCols, "certificates",
                    "tenant_id = ?1 AND holder_id = ?2 ORDER BY created_at DESC, cert_id DESC")));
    st.bind(1, tenant_id).bind(2, holder_id);
    return read_all<Certificate>(st, read_certificate);
  });
}

Result<std::vector<Certificate>> SqliteStore::list_revoked_certificates(std::string_view issuer_id) {
  return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kCertCols, "certificates",
                    "issuer_id = ?1 AND revoked_at IS NOT NULL ORDER BY serial_hex")));
    st.bind(1, issuer_id);
    return read_all<Certificate>(st, read_certificate);
  });
}

Status SqliteStore::revoke_certificate(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view cert_id, int reason, bool revoke_key, UnixSeconds now) {
  if (!valid_revocation_reason(reason)) return invalid("unknown revocation reason");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE certificates SET revoked_at = ?3, revocation_reason = ?4 "
        "WHERE tenant_id = ?1 AND cert_id = ?2 AND revoked_at IS NULL RETURNING holder_id, key_id"));
    st.bind(1, tenant_id).bind(2, cert_id).bind(3, now).bind(4, reason);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row)
      return not_found_or_conflict(c, "SELECT 1 FROM certificates WHERE tenant_id = ?1 AND cert_id = ?2",
                                   tenant_id, cert_id, "certificate");
    const std::string holder_id = st.column_text(0);
    const std::string key_id = st.column_text(1);
    DUET_TRY_STATUS(st.run());
    if (!revoke_key) return Status::Ok();
    hook("revoke_certificate:after_certificate");

    // Crypto-shredding as revoke_holder_key; a key revoked earlier (e.g.
    // replaced at re-enrollment) is already shredded and stays as it is.
    DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
        "UPDATE holder_keys SET revoked_at = ?3, service_share_ciphertext = X'' "
        "WHERE tenant_id = ?1 AND key_id = ?2 AND revoked_at IS NULL"));
    key.bind(1, tenant_id).bind(2, key_id).bind(3, now);
    DUET_TRY_STATUS(key.run());
    hook("revoke_certificate:after_key");

    DUET_ASSIGN_OR_RETURN(Statement tokens, Statement::prepare(c,
        "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
    tokens.bind(1, tenant_id).bind(2, holder_id).bind(3, now);
    return tokens.run();
  });
}

Status SqliteStore::put_ca(const WriteContext& context, const CaRecord& ca) {
  DUET_TRY_STATUS(validate_ca(ca));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement dup, Statement::prepare(c,
        "SELECT 1 FROM certificate_authorities WHERE ca_id = ?1"));
    dup.bind(1, ca.ca_id);
    DUET_ASSIGN_OR_RETURN(bool taken, dup.step());
    if (taken) return conflict("CA id is already in use");
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO certificate_authorities (ca_id, role, certificate_der, sealed_private_key, created_at, active, "
        "environment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    st.bind(1, ca.ca_id).bind(2, ca.role).bind(3, ca.certificate_der).bind(4, ca.sealed_private_key)
        .bind(5, ca.created_at).bind(6, ca.active ? 1 : 0).bind(7, env_text(ca.environment));
    return st.run();
  });
}

Result<std::vector<CaRecord>> SqliteStore::list_cas() {
  return read_single<std::vector<CaRecord>>([&](Connection& c) -> Result<std::vector<CaRecord>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT " + std::string(kCaCols) + " FROM certificate_authorities ORDER BY created_at, ca_id"));
    return read_all<CaRecord>(st, read_ca);
  });
}

Status SqliteStore::set_ca_active(const WriteContext& context, std::string_view ca_id, bool active) {
  return update_one(context, "UPDATE certificate_authorities SET active = ?2 WHERE ca_id = ?1", ca_id, active ? 1 : 0,
                    "CA");
}

Result<int64_t> SqliteStore::next_crl_number(const WriteContext& context, std::string_view issuer_id) {
  if (issuer_id.empty()) return Unexpected{invalid("issuer id is empty").error()};
  return run<Result<int64_t>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<int64_t> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO crl_numbers (issuer_id, last_number) VALUES (?1, 1) "
        "ON CONFLICT (issuer_id) DO UPDATE SET last_number = last_number + 1 RETURNING last_number"));
    st.bind(1, issuer_id);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return corrupt("CRL number upsert returned nothing");
    int64_t number = st.column_int(0);
    DUET_TRY_STATUS(st.run());
    return number;
  });
}

}  // namespace duet::store::sqlite_store
