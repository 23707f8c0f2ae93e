// PgStore: the holder's handwritten-signature image (store/holders.h,
// schema v22). One row per holder; a new upload replaces the old one.
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Status PgStore::put_handwritten_signature(const WriteContext& context, const HandwrittenSignature& s) {
  DUET_TRY_STATUS(validate_handwritten_signature(s));
  return write(context, [&](Connection& c) -> Status {
    // The holder exists in this tenant (a row of another tenant is kNotFound).
    DUET_ASSIGN_OR_RETURN(Rows holder, c.query("SELECT 1 FROM holders WHERE tenant_id = $1 AND holder_id = $2",
                                               {s.tenant_id, s.holder_id}));
    if (holder.empty()) return not_found("holder");
    return pg::run(c,
        "INSERT INTO holder_handwritten_signatures (tenant_id, holder_id, sealed_png, width, height, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, holder_id) DO UPDATE SET "
        "sealed_png = excluded.sealed_png, width = excluded.width, height = excluded.height, "
        "updated_at = excluded.updated_at",
        {s.tenant_id, s.holder_id, s.sealed_png, s.width, s.height, s.updated_at});
  });
}

Result<HandwrittenSignature> PgStore::get_handwritten_signature(std::string_view tenant_id,
                                                                std::string_view holder_id) {
  return read_single<HandwrittenSignature>([&](Connection& c) -> Result<HandwrittenSignature> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kHandwrittenSignatureCols, "holder_handwritten_signatures",
                                                      "tenant_id = $1 AND holder_id = $2"),
                                          {tenant_id, holder_id}));
    return first_row<HandwrittenSignature>(
        r, [](const RowReader& row) -> Result<HandwrittenSignature> { return read_handwritten_signature(row); },
        "handwritten signature");
  });
}

Status PgStore::delete_handwritten_signature(const WriteContext& context, std::string_view tenant_id,
                                             std::string_view holder_id) {
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "DELETE FROM holder_handwritten_signatures WHERE tenant_id = $1 AND holder_id = $2", {tenant_id, holder_id}));
    return n == 1 ? Status::Ok() : not_found("handwritten signature");
  });
}

}  // namespace duet::store::pg_store
