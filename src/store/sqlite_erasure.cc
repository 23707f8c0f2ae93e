// SqliteStore: per-holder data keys and the holder's erasure (store/holders.h,
// schema v25, docs/privacy.md). secure_delete is on for every connection
// (sqlite_db.cc), so the deleted key row and the emptied ciphertexts are
// zeroed in the pages that held them; the WAL forgets them when it restarts.
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {
namespace {

constexpr std::string_view kErasureCols =
    "tenant_id, holder_id, erased_at, erased_by, destroyed, revoked_certificates, retain_until";

HolderErasure read_erasure(const Statement& st) {
  HolderErasure e;
  e.tenant_id = st.column_text(0);
  e.holder_id = st.column_text(1);
  e.erased_at = st.column_int(2);
  e.erased_by = st.column_text(3);
  e.destroyed = st.column_text(4);
  e.revoked_certificates = st.column_text(5);
  e.retain_until = st.column_int(6);
  return e;
}

Result<std::optional<HolderErasure>> find_erasure(Connection& c, std::string_view tenant_id,
                                                  std::string_view holder_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT " + std::string(kErasureCols) + " FROM holder_erasures WHERE tenant_id = ?1 AND holder_id = ?2"));
  st.bind(1, tenant_id).bind(2, holder_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return std::optional<HolderErasure>{};
  return std::optional<HolderErasure>{read_erasure(st)};
}

// Runs `sql` with (tenant, holder[, now]) and answers how many rows changed.
Result<int> change(Connection& c, std::string_view sql, std::string_view tenant_id, std::string_view holder_id,
                   std::optional<UnixSeconds> now = std::nullopt) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
  st.bind(1, tenant_id).bind(2, holder_id);
  if (now) st.bind(3, *now);
  return run_changes(c, st);
}

void add(std::string& list, std::string_view what, int n = 1) {
  if (n <= 0) return;
  if (!list.empty()) list += ' ';
  list += what;
  if (what.back() == ':') list += std::to_string(n);
}

}  // namespace

Result<Bytes> SqliteStore::put_holder_data_key(const WriteContext& context, std::string_view tenant_id,
                                               std::string_view holder_id, ByteView wrapped, UnixSeconds now) {
  if (tenant_id.empty() || holder_id.empty() || wrapped.empty()) {
    return Unexpected{invalid("holder data key: ids and key are required").error()};
  }
  return run<Result<Bytes>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<Bytes> {
    DUET_ASSIGN_OR_RETURN(auto erased, find_erasure(c, tenant_id, holder_id));
    if (erased) return Unexpected{conflict("the holder was erased").error()};
    DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
        "INSERT INTO holder_data_keys (tenant_id, holder_id, wrapped_key, created_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (tenant_id, holder_id) DO NOTHING"));
    ins.bind(1, tenant_id).bind(2, holder_id).bind(3, wrapped).bind(4, now);
    DUET_TRY_STATUS(ins.run());
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT wrapped_key FROM holder_data_keys WHERE tenant_id = ?1 AND holder_id = ?2"));
    st.bind(1, tenant_id).bind(2, holder_id);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return corrupt("holder data key vanished");
    return st.column_blob(0);
  });
}

Result<Bytes> SqliteStore::get_holder_data_key(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<Bytes>([&](Connection& c) -> Result<Bytes> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT wrapped_key FROM holder_data_keys WHERE tenant_id = ?1 AND holder_id = ?2"));
    st.bind(1, tenant_id).bind(2, holder_id);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Unexpected{not_found("holder data key").error()};
    return st.column_blob(0);
  });
}

Result<HolderErasure> SqliteStore::erase_holder(const WriteContext& context, const HolderErasure& erasure,
                                                ByteView replacement_lookup_hash) {
  if (erasure.tenant_id.empty() || erasure.holder_id.empty() || erasure.erased_by.empty() ||
      replacement_lookup_hash.empty()) {
    return Unexpected{invalid("holder erasure: ids, erased_by and a replacement lookup hash are required").error()};
  }
  const std::string& t = erasure.tenant_id;
  const std::string& h = erasure.holder_id;
  return run<Result<HolderErasure>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<HolderErasure> {
    DUET_ASSIGN_OR_RETURN(auto before, find_erasure(c, t, h));
    if (before) return *before;  // idempotent: nothing changes, the record stands
    DUET_ASSIGN_OR_RETURN(Statement holder, Statement::prepare(c,
        "SELECT length(id_number_ciphertext), length(phone_ciphertext) FROM holders "
        "WHERE tenant_id = ?1 AND holder_id = ?2"));
    holder.bind(1, t).bind(2, h);
    DUET_ASSIGN_OR_RETURN(bool exists_row, holder.step());
    if (!exists_row) return Unexpected{not_found("holder").error()};
    const bool had_id_number = holder.column_int(0) > 0, had_phone = holder.column_int(1) > 0;
    DUET_TRY_STATUS(holder.run());  // finish the read before writing

    HolderErasure out = erasure;
    out.destroyed.clear();
    DUET_ASSIGN_OR_RETURN(int keys, change(c, "DELETE FROM holder_data_keys WHERE tenant_id = ?1 AND holder_id = ?2",
                                           t, h));
    add(out.destroyed, "data_key", keys);
    add(out.destroyed, "name");
    add(out.destroyed, "id_number", had_id_number ? 1 : 0);
    add(out.destroyed, "phone", had_phone ? 1 : 0);
    DUET_ASSIGN_OR_RETURN(Statement upd, Statement::prepare(c,
        "UPDATE holders SET name_ciphertext = X'', id_number_ciphertext = X'', phone_ciphertext = X'', "
        "lookup_hash = ?3, status = 'locked' WHERE tenant_id = ?1 AND holder_id = ?2"));
    upd.bind(1, t).bind(2, h).bind(3, replacement_lookup_hash);
    DUET_TRY_STATUS(upd.run());
    DUET_ASSIGN_OR_RETURN(int image, change(c,
        "DELETE FROM holder_handwritten_signatures WHERE tenant_id = ?1 AND holder_id = ?2", t, h));
    add(out.destroyed, "handwritten_signature", image);
    DUET_ASSIGN_OR_RETURN(int shares, change(c,
        "UPDATE holder_keys SET revoked_at = COALESCE(revoked_at, ?3), service_share_ciphertext = X'' "
        "WHERE tenant_id = ?1 AND holder_id = ?2 AND length(service_share_ciphertext) > 0", t, h, erasure.erased_at));
    add(out.destroyed, "key_shares:", shares);
    DUET_ASSIGN_OR_RETURN(int tokens, change(c,
        "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL",
        t, h, erasure.erased_at));
    add(out.destroyed, "device_tokens:", tokens);
    DUET_ASSIGN_OR_RETURN(int codes, change(c,
        "UPDATE activation_codes SET attempts_left = 0 WHERE tenant_id = ?1 AND holder_id = ?2 "
        "AND used_at IS NULL AND attempts_left > 0", t, h));
    add(out.destroyed, "activation_codes:", codes);
    DUET_ASSIGN_OR_RETURN(Statement rec, Statement::prepare(c,
        "INSERT INTO holder_erasures (" + std::string(kErasureCols) + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    rec.bind(1, t).bind(2, h).bind(3, out.erased_at).bind(4, out.erased_by).bind(5, out.destroyed)
        .bind(6, out.revoked_certificates).bind(7, out.retain_until);
    DUET_TRY_STATUS(rec.run());
    return out;
  });
}

Result<HolderErasure> SqliteStore::get_holder_erasure(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<HolderErasure>([&](Connection& c) -> Result<HolderErasure> {
    DUET_ASSIGN_OR_RETURN(auto found, find_erasure(c, tenant_id, holder_id));
    if (!found) return Unexpected{not_found("holder erasure").error()};
    return *found;
  });
}

}  // namespace duet::store::sqlite_store
