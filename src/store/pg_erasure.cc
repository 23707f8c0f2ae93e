// PgStore: per-holder data keys and the holder's erasure (store/holders.h,
// schema v25, docs/privacy.md). PostgreSQL leaves dead row versions until
// VACUUM reuses their space; docs/privacy.md says what that means for the
// destroyed key (autovacuum; a backup holds what it copied).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {
namespace {

constexpr std::string_view kErasureCols =
    "tenant_id, holder_id, erased_at, erased_by, destroyed, revoked_certificates, retain_until";

HolderErasure read_erasure(const Rows& r) {
  HolderErasure e;
  e.tenant_id = r.text(0, 0);
  e.holder_id = r.text(0, 1);
  e.erased_at = r.get_int(0, 2);
  e.erased_by = r.text(0, 3);
  e.destroyed = r.text(0, 4);
  e.revoked_certificates = r.text(0, 5);
  e.retain_until = r.get_int(0, 6);
  return e;
}

Result<std::optional<HolderErasure>> find_erasure(Connection& c, std::string_view tenant_id,
                                                  std::string_view holder_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query("SELECT " + std::string(kErasureCols) +
                                            " FROM holder_erasures WHERE tenant_id = $1 AND holder_id = $2",
                                        {tenant_id, holder_id}));
  if (r.empty()) return std::optional<HolderErasure>{};
  return std::optional<HolderErasure>{read_erasure(r)};
}

void add(std::string& list, std::string_view what, int64_t n = 1) {
  if (n <= 0) return;
  if (!list.empty()) list += ' ';
  list += what;
  if (what.back() == ':') list += std::to_string(n);
}

}  // namespace

Result<Bytes> PgStore::put_holder_data_key(const WriteContext& context, std::string_view tenant_id,
                                           std::string_view holder_id, ByteView wrapped, UnixSeconds now) {
  if (tenant_id.empty() || holder_id.empty() || wrapped.empty()) {
    return invalid("holder data key: ids and key are required");
  }
  return run<Result<Bytes>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<Bytes> {
    DUET_ASSIGN_OR_RETURN(auto erased, find_erasure(c, tenant_id, holder_id));
    if (erased) return conflict("the holder was erased");
    DUET_TRY_STATUS(pg::run(c,
        "INSERT INTO holder_data_keys (tenant_id, holder_id, wrapped_key, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (tenant_id, holder_id) DO NOTHING",
        {tenant_id, holder_id, wrapped, now}));
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "SELECT wrapped_key FROM holder_data_keys WHERE tenant_id = $1 AND holder_id = $2", {tenant_id, holder_id}));
    if (r.empty()) return corrupt("holder data key vanished");
    return r.blob(0, 0);
  });
}

Result<Bytes> PgStore::get_holder_data_key(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<Bytes>([&](Connection& c) -> Result<Bytes> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "SELECT wrapped_key FROM holder_data_keys WHERE tenant_id = $1 AND holder_id = $2", {tenant_id, holder_id}));
    if (r.empty()) return not_found("holder data key");
    return r.blob(0, 0);
  });
}

Result<HolderErasure> PgStore::erase_holder(const WriteContext& context, const HolderErasure& erasure,
                                            ByteView replacement_lookup_hash) {
  if (erasure.tenant_id.empty() || erasure.holder_id.empty() || erasure.erased_by.empty() ||
      replacement_lookup_hash.empty()) {
    return invalid("holder erasure: ids, erased_by and a replacement lookup hash are required");
  }
  const std::string& t = erasure.tenant_id;
  const std::string& h = erasure.holder_id;
  return run<Result<HolderErasure>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<HolderErasure> {
    // The holder's row locked first: concurrent erasures of one holder queue
    // here, and the second finds the first one's record.
    DUET_ASSIGN_OR_RETURN(Rows holder, c.query(
        "SELECT length(id_number_ciphertext), length(phone_ciphertext) FROM holders "
        "WHERE tenant_id = $1 AND holder_id = $2 FOR UPDATE", {t, h}));
    if (holder.empty()) return not_found("holder");
    DUET_ASSIGN_OR_RETURN(auto before, find_erasure(c, t, h));
    if (before) return *before;  // idempotent: nothing changes, the record stands
    const bool had_id_number = holder.get_int(0, 0) > 0, had_phone = holder.get_int(0, 1) > 0;

    HolderErasure out = erasure;
    out.destroyed.clear();
    DUET_ASSIGN_OR_RETURN(int64_t keys, changes(c,
        "DELETE FROM holder_data_keys WHERE tenant_id = $1 AND holder_id = $2", {t, h}));
    add(out.destroyed, "data_key", keys);
    add(out.destroyed, "name");
    add(out.destroyed, "id_number", had_id_number ? 1 : 0);
    add(out.destroyed, "phone", had_phone ? 1 : 0);
    DUET_TRY_STATUS(pg::run(c,
        "UPDATE holders SET name_ciphertext = '\\x'::bytea, id_number_ciphertext = '\\x'::bytea, "
        "phone_ciphertext = '\\x'::bytea, lookup_hash = $3, status = 'locked' "
        "WHERE tenant_id = $1 AND holder_id = $2",
        {t, h, replacement_lookup_hash}));
    DUET_ASSIGN_OR_RETURN(int64_t image, changes(c,
        "DELETE FROM holder_handwritten_signatures WHERE tenant_id = $1 AND holder_id = $2", {t, h}));
    add(out.destroyed, "handwritten_signature", image);
    DUET_ASSIGN_OR_RETURN(int64_t shares, changes(c,
        "UPDATE holder_keys SET revoked_at = COALESCE(revoked_at, $3), service_share_ciphertext = '\\x'::bytea "
        "WHERE tenant_id = $1 AND holder_id = $2 AND length(service_share_ciphertext) > 0",
        {t, h, erasure.erased_at}));
    add(out.destroyed, "key_shares:", shares);
    DUET_ASSIGN_OR_RETURN(int64_t tokens, changes(c,
        "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
        {t, h, erasure.erased_at}));
    add(out.destroyed, "device_tokens:", tokens);
    DUET_ASSIGN_OR_RETURN(int64_t codes, changes(c,
        "UPDATE activation_codes SET attempts_left = 0 WHERE tenant_id = $1 AND holder_id = $2 "
        "AND used_at IS NULL AND attempts_left > 0", {t, h}));
    add(out.destroyed, "activation_codes:", codes);
    DUET_TRY_STATUS(pg::run(c,
        "INSERT INTO holder_erasures (" + std::string(kErasureCols) + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {t, h, out.erased_at, out.erased_by, out.destroyed, out.revoked_certificates, out.retain_until}));
    return out;
  });
}

Result<HolderErasure> PgStore::get_holder_erasure(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<HolderErasure>([&](Connection& c) -> Result<HolderErasure> {
    DUET_ASSIGN_OR_RETURN(auto found, find_erasure(c, tenant_id, holder_id));
    if (!found) return not_found("holder erasure");
    return *found;
  });
}

}  // namespace duet::store::pg_store
