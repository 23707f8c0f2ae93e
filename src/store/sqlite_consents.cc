// SqliteStore: holders' acceptances of the agreement texts (store/holders.h, docs/consent.md).
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {
namespace {

constexpr std::string_view kConsentCols =
    "tenant_id, holder_id, document, version, text_sm3, accepted_at, channel, attested_by, recorded_at";

Result<HolderConsent> read_consent(const Statement& st) {
  HolderConsent k;
  k.tenant_id = st.column_text(0);
  k.holder_id = st.column_text(1);
  k.document = st.column_text(2);
  k.version = st.column_text(3);
  k.text_sm3 = st.column_blob(4);
  k.accepted_at = st.column_int(5);
  k.channel = st.column_text(6);
  k.attested_by = st.column_text(7);
  k.recorded_at = st.column_int(8);
  if (k.text_sm3.size() != 32) return store_error(StoreError::kCorrupt, "consent text digest");
  return k;
}

}  // namespace

Status insert_consents(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                       const std::vector<HolderConsent>& consents) {
  for (const HolderConsent& k : consents) {
    DUET_TRY_STATUS(validate_consent(k, tenant_id, holder_id));
    // The first acceptance of a version stands: a repeat changes nothing.
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO holder_consents (tenant_id, holder_id, document, version, text_sm3, accepted_at, channel, "
        "attested_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (tenant_id, holder_id, document, version) DO NOTHING"));
    st.bind(1, k.tenant_id).bind(2, k.holder_id).bind(3, k.document).bind(4, k.version).bind(5, k.text_sm3)
        .bind(6, k.accepted_at).bind(7, k.channel).bind(8, k.attested_by).bind(9, k.recorded_at);
    DUET_TRY_STATUS(st.run());
  }
  return Status::Ok();
}

Status SqliteStore::record_consents(const WriteContext& context, std::string_view tenant_id,
                                    std::string_view holder_id, const std::vector<HolderConsent>& consents) {
  for (const HolderConsent& k : consents) DUET_TRY_STATUS(validate_consent(k, tenant_id, holder_id));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement h, Statement::prepare(c,
        "SELECT 1 FROM holders WHERE tenant_id = ?1 AND holder_id = ?2"));
    h.bind(1, tenant_id).bind(2, holder_id);
    DUET_ASSIGN_OR_RETURN(bool found, h.step());
    if (!found) return not_found("holder");
    return insert_consents(c, tenant_id, holder_id, consents);
  });
}

Result<std::vector<HolderConsent>> SqliteStore::list_consents(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<std::vector<HolderConsent>>([&](Connection& c) -> Result<std::vector<HolderConsent>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT " + std::string(kConsentCols) + " FROM holder_consents WHERE tenant_id = ?1 AND holder_id = ?2 "
        "ORDER BY recorded_at, document, version"));
    st.bind(1, tenant_id).bind(2, holder_id);
    std::vector<HolderConsent> out;
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      DUET_ASSIGN_OR_RETURN(HolderConsent k, read_consent(st));
      out.push_back(std::move(k));
    }
    return out;
  });
}

}  // namespace duet::store::sqlite_store
