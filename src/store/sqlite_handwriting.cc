// SqliteStore: the holder's handwritten-signature image (store/holders.h,
// schema v22). One row per holder; a new upload replaces the old one.
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Status SqliteStore::put_handwritten_signature(const WriteContext& context, const HandwrittenSignature& s) {
  DUET_TRY_STATUS(validate_handwritten_signature(s));
  return write(context, [&](Connection& c) -> Status {
    // The holder exists in this tenant (a row of another tenant is kNotFound).
    DUET_ASSIGN_OR_RETURN(Statement holder, Statement::prepare(c,
        "SELECT 1 FROM holders WHERE tenant_id = ?1 AND holder_id = ?2"));
    holder.bind(1, s.tenant_id).bind(2, s.holder_id);
    DUET_ASSIGN_OR_RETURN(bool exists, holder.step());
    if (!exists) return not_found("holder");
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO holder_handwritten_signatures (tenant_id, holder_id, sealed_png, width, height, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id, holder_id) DO UPDATE SET "
        "sealed_png = excluded.sealed_png, width = excluded.width, height = excluded.height, "
        "updated_at = excluded.updated_at"));
    st.bind(1, s.tenant_id).bind(2, s.holder_id).bind(3, s.sealed_png).bind(4, s.width).bind(5, s.height)
        .bind(6, s.updated_at);
    return st.run();
  });
}

Result<HandwrittenSignature> SqliteStore::get_handwritten_signature(std::string_view tenant_id,
                                                                    std::string_view holder_id) {
  return read_single<HandwrittenSignature>([&](Connection& c) -> Result<HandwrittenSignature> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kHandwrittenSignatureCols, "holder_handwritten_signatures", "tenant_id = ?1 AND holder_id = ?2")));
    st.bind(1, tenant_id).bind(2, holder_id);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Unexpected{not_found("handwritten signature").error()};
    return read_handwritten_signature(st);
  });
}

Status SqliteStore::delete_handwritten_signature(const WriteContext& context, std::string_view tenant_id,
                                                 std::string_view holder_id) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "DELETE FROM holder_handwritten_signatures WHERE tenant_id = ?1 AND holder_id = ?2"));
    st.bind(1, tenant_id).bind(2, holder_id);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("handwritten signature");
  });
}

}  // namespace duet::store::sqlite_store
