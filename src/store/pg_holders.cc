// PgStore: holders, their key shares, activation codes and device tokens (store/holders.h).
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Status PgStore::create_holder(const WriteContext& context, const Holder& h) {
  return create_holder_with_consents(context, h, {});
}

Status PgStore::create_holder_with_consents(const WriteContext& context, const Holder& h,
                                            const std::vector<HolderConsent>& consents) {
  DUET_TRY_STATUS(validate_holder(h));
  for (const HolderConsent& k : consents) DUET_TRY_STATUS(validate_consent(k, h.tenant_id, h.holder_id));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(pg::run(c,
        "INSERT INTO holders (tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, "
        "lookup_hash, status, failed_attempts, created_at, identity_verification, identity_verified_by, "
        "identity_verified_at, identity_reference, environment) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        {h.tenant_id, h.holder_id, h.name_ciphertext, h.id_number_ciphertext, h.phone_ciphertext, h.lookup_hash,
         holder_status_text(h.status), h.failed_attempts, h.created_at, h.identity_verification,
         h.identity_verified_by, h.identity_verified_at, h.identity_reference, env_text(h.environment)}));
    DUET_TRY_STATUS(insert_consents(c, h.tenant_id, h.holder_id, consents));
    return pg::meter_new_holder(c, options_.quota_order, h);  // per-user metering, same transaction (store.h)
  });
}

Result<Holder> PgStore::get_holder(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<Holder>([&](Connection& c) { return load_holder(c, tenant_id, holder_id); });
}

Result<Holder> PgStore::find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) {
  return read_single<Holder>([&](Connection& c) -> Result<Holder> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kHolderCols, "holders", "tenant_id = $1 AND lookup_hash = $2"),
                                          {tenant_id, lookup_hash}));
    return first_row<Holder>(r, read_holder, "holder");
  });
}

Status PgStore::unlock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) {
  return write(context, [&](Connection& c) -> Status {
    // The holder's row first, then its attempts (the backend's lock
    // order): an attempt counted by a PIN use that held the row before is
    // committed by then and forgiven with the others.
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = CASE WHEN EXISTS "
        "(SELECT 1 FROM holder_keys k WHERE k.tenant_id = $1 AND k.holder_id = $2 AND k.revoked_at IS NULL) "
        "THEN 1 ELSE 0 END WHERE tenant_id = $1 AND holder_id = $2",
        {tenant_id, holder_id}));
    if (n != 1) return not_found("holder");
    return pg::run(c,
        "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = $1 AND holder_id = $2 "
        "AND outcome IN ('pending', 'failed')",
        {tenant_id, holder_id});
  });
}

Status PgStore::lock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) {
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE holders SET status = 'locked' WHERE tenant_id = $1 AND holder_id = $2", {tenant_id, holder_id}));
    return n == 1 ? Status::Ok() : not_found("holder");
  });
}

Result<std::vector<Holder>> PgStore::list_holders(std::string_view tenant_id, std::string_view after_holder_id,
                                                  size_t limit, std::optional<AppEnvironment> environment) {
  return read_single<std::vector<Holder>>([&](Connection& c) -> Result<std::vector<Holder>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kHolderCols, "holders",
                    "tenant_id = $1 AND holder_id > $2 AND ($4::text IS NULL OR environment = $4) "
                    "ORDER BY holder_id LIMIT $3"),
        {tenant_id, after_holder_id, clamp_limit(limit),
         environment ? Param(env_text(*environment)) : Param::null()}));
    return all_rows<Holder>(r, read_holder);
  });
}

Status PgStore::add_holder_key(const WriteContext& context, const HolderKeyShare& k) {
  DUET_TRY_STATUS(validate_holder_key(k));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(bool has_active, exists(c,
        "SELECT 1 FROM holder_keys WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
        k.tenant_id, k.holder_id));
    if (has_active) return conflict("holder already has an active key");
    auto ins = c.query(
        "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        {k.tenant_id, k.key_id, k.holder_id, k.public_key_hex, k.service_share_ciphertext, k.created_at});
    if (!ins.ok()) {
      if (pg::violated(c, ins.error(), "holder_keys_one_active")) return conflict("holder already has an active key");
      return Unexpected{ins.error()};
    }
    return Status::Ok();
  });
}

Result<HolderKeyShare> PgStore::get_active_holder_key(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kKeyCols, "holder_keys", "tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL"),
        {tenant_id, holder_id}));
    return first_row<HolderKeyShare>(r, [](const Row& row) -> Result<HolderKeyShare> { return read_key(row); },
                                     "active holder key");
  });
}

Status PgStore::revoke_holder_key(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                                  UnixSeconds now) {
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE holder_keys SET revoked_at = $3, service_share_ciphertext = '\\x'::bytea "
        "WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL",
        {tenant_id, key_id, now}));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, "SELECT 1 FROM holder_keys WHERE tenant_id = $1 AND key_id = $2", tenant_id,
                                 key_id, "holder key");
  });
}

Result<HolderKeyShare> PgStore::get_holder_key(std::string_view tenant_id, std::string_view key_id) {
  return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kKeyCols, "holder_keys", "tenant_id = $1 AND key_id = $2"),
                                          {tenant_id, key_id}));
    return first_row<HolderKeyShare>(r, [](const Row& row) -> Result<HolderKeyShare> { return read_key(row); },
                                     "holder key");
  });
}

Status PgStore::create_activation_code(const WriteContext& context, const ActivationCode& a) {
  DUET_TRY_STATUS(validate_activation_code(a));
  return write_single(context, [&](Connection& c) {
    return pg::run(c,
        "INSERT INTO activation_codes (tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, "
        "used_at, created_at, otp_hash, otp_attempts_left) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {a.tenant_id, a.code_id, a.holder_id, a.code_hash, a.expires_at, a.attempts_left, a.used_at, a.created_at,
         a.otp_hash, a.otp_attempts_left});
  });
}

Result<ActivationCode> PgStore::find_activation_code(ByteView code_hash) {
  return read_single<ActivationCode>([&](Connection& c) -> Result<ActivationCode> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(select_from(kCodeCols, "activation_codes", "code_hash = $1"), {code_hash}));
    return first_row<ActivationCode>(r, [](const Row& row) -> Result<ActivationCode> { return read_code(row); },
                                     "activation code");
  });
}

Status PgStore::use_activation_code(const WriteContext& context, std::string_view tenant_id, std::string_view code_id,
                                    UnixSeconds now) {
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE activation_codes SET used_at = $3 WHERE tenant_id = $1 AND code_id = $2 "
        "AND used_at IS NULL AND expires_at > $3 AND attempts_left > 0",
        {tenant_id, code_id, now}));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, kCodeExists, tenant_id, code_id, "activation code");
  });
}

Result<int> PgStore::spend_activation_attempt(const WriteContext& context, std::string_view tenant_id,
                                              std::string_view code_id) {
  return spend(context,
               "UPDATE activation_codes SET attempts_left = attempts_left - 1 WHERE tenant_id = $1 AND code_id = $2 "
               "AND used_at IS NULL AND attempts_left > 0 RETURNING attempts_left",
               tenant_id, code_id);
}

Result<int> PgStore::spend_otp_attempt(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view code_id) {
  return spend(context,
               "UPDATE activation_codes SET otp_attempts_left = otp_attempts_left - 1 WHERE tenant_id = $1 "
               "AND code_id = $2 AND used_at IS NULL AND otp_attempts_left > 0 RETURNING otp_attempts_left",
               tenant_id, code_id);
}

Status PgStore::complete_activation(const WriteContext& context, const ActivationCompletion& a) {
  const HolderKeyShare& k = a.key;
  const DeviceToken& t = a.token;
  DUET_TRY_STATUS(validate_activation_completion(a));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE activation_codes SET used_at = $3 WHERE tenant_id = $1 AND code_id = $2 AND holder_id = $4 "
        "AND used_at IS NULL AND expires_at > $3 AND attempts_left > 0",
        {a.tenant_id, a.code_id, a.now, k.holder_id}));
    if (n != 1) return not_found_or_conflict(c, kCodeExists, a.tenant_id, a.code_id, "activation code");
    hook("complete_activation:after_code_used");

    DUET_TRY_STATUS(pg::run(c,
        "UPDATE holder_keys SET revoked_at = $3, service_share_ciphertext = '\\x'::bytea "
        "WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
        {a.tenant_id, k.holder_id, a.now}));
    DUET_TRY_STATUS(pg::run(c,
        "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
        {a.tenant_id, k.holder_id, a.now}));
    hook("complete_activation:after_revocations");

    DUET_TRY_STATUS(pg::run(c,
        "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        {a.tenant_id, k.key_id, k.holder_id, k.public_key_hex, k.service_share_ciphertext, k.created_at}));
    DUET_TRY_STATUS(pg::run(c,
        "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES ($1, $2, $3, $4)",
        {a.tenant_id, t.token_hash, t.holder_id, t.created_at}));
    hook("complete_activation:before_holder_update");

    DUET_ASSIGN_OR_RETURN(n, changes(c,
        "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = 0 "
        "WHERE tenant_id = $1 AND holder_id = $2",
        {a.tenant_id, k.holder_id}));
    if (n != 1) return corrupt("activation code's holder missing");
    // A new key: failures against the old one (whose shares are revoked)
    // leave the failure budget, as an unlock's do.
    return pg::run(c,
        "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = $1 AND holder_id = $2 "
        "AND outcome IN ('pending', 'failed')",
        {a.tenant_id, k.holder_id});
  });
}

Status PgStore::create_device_token(const WriteContext& context, const DeviceToken& t) {
  DUET_TRY_STATUS(validate_device_token(t));
  return write_single(context, [&](Connection& c) {
    return pg::run(c,
                   "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at, revoked_at) "
                   "VALUES ($1, $2, $3, $4, $5)",
                   {t.tenant_id, t.token_hash, t.holder_id, t.created_at, t.revoked_at});
  });
}

Result<DeviceToken> PgStore::find_device_token(ByteView token_hash) {
  return read_single<DeviceToken>([&](Connection& c) -> Result<DeviceToken> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kTokenCols, "device_tokens", "token_hash = $1 AND revoked_at IS NULL"), {token_hash}));
    return first_row<DeviceToken>(r, [](const Row& row) -> Result<DeviceToken> { return read_token(row); },
                                  "device token");
  });
}

Status PgStore::revoke_device_token(const WriteContext& context, std::string_view tenant_id, ByteView token_hash,
                                    UnixSeconds now) {
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL",
        {tenant_id, token_hash, now}));
    return n == 1 ? Status::Ok() : not_found("unrevoked device token");
  });
}

Status PgStore::reseal_key_share(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                                 ByteView expected, ByteView replacement) {
  if (replacement.empty()) return invalid("sealed share is empty");
  return write_single(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE holder_keys SET service_share_ciphertext = $4 WHERE tenant_id = $1 AND key_id = $2 "
        "AND service_share_ciphertext = $3 AND revoked_at IS NULL",
        {tenant_id, key_id, expected, replacement}));
    return n == 1 ? Status::Ok() : conflict("holder key share changed");
  });
}

Result<int> PgStore::spend(const WriteContext& context, std::string_view sql, std::string_view tenant_id,
                           std::string_view code_id) {
  return write_single_value<int>(context, [&](Connection& c) -> Result<int> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(sql, {tenant_id, code_id}));
    if (r.empty()) {
      Status s = not_found_or_conflict(c, kCodeExists, tenant_id, code_id, "activation code");
      return Unexpected{s.error()};
    }
    return static_cast<int>(r.get_int(0, 0));
  });
}

}  // namespace duet::store::pg_store
