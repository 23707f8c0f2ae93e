// PgStore: certificates and CA material (store/certificates.h, store/ca_material.h).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Status PgStore::add_certificate(const WriteContext& context, const Certificate& cert) {
  DUET_TRY_STATUS(validate_certificate(cert));
  return write(context, [&](Connection& c) { return insert_certificate(c, cert); });
}

Result<Certificate> PgStore::get_certificate(std::string_view tenant_id, std::string_view cert_id) {
  return read_single<Certificate>([&](Connection& c) -> Result<Certificate> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kCertCols, "certificates", "tenant_id = $1 AND cert_id = $2"),
                                          {tenant_id, cert_id}));
    return first_row<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); },
                                  "certificate");
  });
}

Result<Certificate> PgStore::find_certificate_by_serial(std::string_view serial_hex) {
  return read_single<Certificate>([&](Connection& c) -> Result<Certificate> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kCertCols, "certificates", "serial_hex = $1"), {serial_hex}));
    return first_row<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); },
                                  "certificate");
  });
}

Result<std::vector<Certificate>> PgStore::list_holder_certificates(std::string_view tenant_id,
                                                                   std::string_view holder_id) {
  return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kCertCols, "certificates",
                    "tenant_id = $1 AND holder_id = $2 ORDER BY created_at DESC, cert_id DESC"),
        {tenant_id, holder_id}));
    return all_rows<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); });
  });
}

Result<std::vector<Certificate>> PgStore::list_revoked_certificates(std::string_view issuer_id) {
  return read_single<std::vector<Certificate>>([&](Connection& c) -> Result<std::vector<Certificate>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kCertCols, "certificates", "issuer_id = $1 AND revoked_at IS NOT NULL ORDER BY serial_hex"),
        {issuer_id}));
    return all_rows<Certificate>(r, [](const Row& row) -> Result<Certificate> { return read_certificate(row); });
  });
}

Status PgStore::revoke_certificate(const WriteContext& context, std::string_view tenant_id, std::string_view cert_id,
                                   int reason, bool revoke_key, UnixSeconds now) {
  if (!valid_revocation_reason(reason)) return invalid("unknown revocation reason");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "UPDATE certificates SET revoked_at = $3, revocation_reason = $4 "
        "WHERE tenant_id = $1 AND cert_id = $2 AND revoked_at IS NULL RETURNING holder_id, key_id",
        {tenant_id, cert_id, now, reason}));
    if (r.empty())
      return not_found_or_conflict(c, "SELECT 1 FROM certificates WHERE tenant_id = $1 AND cert_id = $2",
                                   tenant_id, cert_id, "certificate");
    const std::string holder_id = r.text(0, 0);
    const std::string key_id = r.text(0, 1);
    if (!revoke_key) return Status::Ok();
    hook("revoke_certificate:after_certificate");
    DUET_TRY_STATUS(pg::run(c,
        "UPDATE holder_keys SET revoked_at = $3, service_share_ciphertext = '\\x'::bytea "
        "WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL",
        {tenant_id, key_id, now}));
    hook("revoke_certificate:after_key");
    return pg::run(c,
        "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
        {tenant_id, holder_id, now});
  });
}

Status PgStore::put_ca(const WriteContext& context, const CaRecord& ca) {
  DUET_TRY_STATUS(validate_ca(ca));
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "INSERT INTO certificate_authorities (ca_id, role, certificate_der, sealed_private_key, created_at, active, "
        "environment) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ca_id) DO NOTHING",
        {ca.ca_id, ca.role, ca.certificate_der, ca.sealed_private_key, ca.created_at, ca.active ? 1 : 0,
         std::string(env_text(ca.environment))}));
    return n == 1 ? Status::Ok() : conflict("CA id is already in use");
  });
}

Result<std::vector<CaRecord>> PgStore::list_cas() {
  return read_single<std::vector<CaRecord>>([&](Connection& c) -> Result<std::vector<CaRecord>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "SELECT " + std::string(kCaCols) + " FROM certificate_authorities ORDER BY created_at, ca_id"));
    return all_rows<CaRecord>(r, [](const Row& row) -> Result<CaRecord> { return read_ca(row); });
  });
}

Status PgStore::set_ca_active(const WriteContext& context, std::string_view ca_id, bool active) {
  return update_one(context, "UPDATE certificate_authorities SET active = $2 WHERE ca_id = $1", ca_id, active ? 1 : 0,
                    "CA");
}

Result<int64_t> PgStore::next_crl_number(const WriteContext& context, std::string_view issuer_id) {
  if (issuer_id.empty()) return invalid("issuer id is empty");
  return write_single_value<int64_t>(context, [&](Connection& c) -> Result<int64_t> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "INSERT INTO crl_numbers (issuer_id, last_number) VALUES ($1, 1) "
        "ON CONFLICT (issuer_id) DO UPDATE SET last_number = crl_numbers.last_number + 1 RETURNING last_number",
        {issuer_id}));
    if (r.empty()) return corrupt("CRL number upsert returned nothing");
    return r.get_int(0, 0);
  });
}

}  // namespace duet::store::pg_store
