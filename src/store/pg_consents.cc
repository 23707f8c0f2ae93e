// PgStore: holders' acceptances of the agreement texts (store/holders.h, docs/consent.md).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {
namespace {

Result<HolderConsent> read_consent(const Row& r) {
  HolderConsent k;
  k.tenant_id = r.text(0);
  k.holder_id = r.text(1);
  k.document = r.text(2);
  k.version = r.text(3);
  k.text_sm3 = r.blob(4);
  k.accepted_at = r.get_int(5);
  k.channel = r.text(6);
  k.attested_by = r.text(7);
  k.recorded_at = r.get_int(8);
  if (k.text_sm3.size() != 32) return corrupt("consent text digest");
  return k;
}

}  // namespace

Status insert_consents(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                       const std::vector<HolderConsent>& consents) {
  for (const HolderConsent& k : consents) {
    DUET_TRY_STATUS(validate_consent(k, tenant_id, holder_id));
    // The first acceptance of a version stands: a repeat changes nothing.
    DUET_TRY_STATUS(pg::run(c,
        "INSERT INTO holder_consents (tenant_id, holder_id, document, version, text_sm3, accepted_at, channel, "
        "attested_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (tenant_id, holder_id, document, version) DO NOTHING",
        {k.tenant_id, k.holder_id, k.document, k.version, k.text_sm3, k.accepted_at, k.channel, k.attested_by,
         k.recorded_at}));
  }
  return Status::Ok();
}

Status PgStore::record_consents(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id,
                                const std::vector<HolderConsent>& consents) {
  for (const HolderConsent& k : consents) DUET_TRY_STATUS(validate_consent(k, tenant_id, holder_id));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(bool found, exists(c, "SELECT 1 FROM holders WHERE tenant_id = $1 AND holder_id = $2",
                                             tenant_id, holder_id));
    if (!found) return not_found("holder");
    return insert_consents(c, tenant_id, holder_id, consents);
  });
}

Result<std::vector<HolderConsent>> PgStore::list_consents(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<std::vector<HolderConsent>>([&](Connection& c) -> Result<std::vector<HolderConsent>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "SELECT tenant_id, holder_id, document, version, text_sm3, accepted_at, channel, attested_by, recorded_at "
        "FROM holder_consents WHERE tenant_id = $1 AND holder_id = $2 ORDER BY recorded_at, document, version",
        {tenant_id, holder_id}));
    return all_rows<HolderConsent>(r, read_consent);
  });
}

}  // namespace duet::store::pg_store
