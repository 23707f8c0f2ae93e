// SqliteStore: holders, their key shares, activation codes and device tokens (store/holders.h).
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {
namespace {

constexpr std::string_view kCodeExists = "SELECT 1 FROM activation_codes WHERE tenant_id = ?1 AND code_id = ?2";

// Spends one attempt of an activation code with `sql` (a conditional update
// of (tenant, code) RETURNING the attempts left): kNotFound or kConflict
// when it changes nothing.
Result<int> spend_code_attempt(Connection& c, std::string_view sql, std::string_view tenant_id,
                               std::string_view code_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
  st.bind(1, tenant_id).bind(2, code_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) {
    Status s = not_found_or_conflict(c, kCodeExists, tenant_id, code_id, "activation code");
    return Unexpected{s.error()};
  }
  int left = static_cast<int>(st.column_int(0));
  DUET_TRY_STATUS(st.run());
  return left;
}

}  // namespace

Status check_holder_key_usable(Connection& c, std::string_view tenant_id, std::string_view key_id,
                               std::string_view holder_id) {
  DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
      "SELECT revoked_at FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2 AND holder_id = ?3"));
  key.bind(1, tenant_id).bind(2, key_id).bind(3, holder_id);
  DUET_ASSIGN_OR_RETURN(bool found, key.step());
  if (!found) return not_found("holder key");
  if (!key.column_is_null(0)) return conflict("holder key is revoked");
  return Status::Ok();
}

Status SqliteStore::create_holder(const WriteContext& context, const Holder& h) {
  return create_holder_with_consents(context, h, {});
}

Status SqliteStore::create_holder_with_consents(const WriteContext& context, const Holder& h,
                                                const std::vector<HolderConsent>& consents) {
  DUET_TRY_STATUS(validate_holder(h));
  for (const HolderConsent& k : consents) DUET_TRY_STATUS(validate_consent(k, h.tenant_id, h.holder_id));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO holders (tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, "
        "lookup_hash, status, failed_attempts, created_at, identity_verification, identity_verified_by, "
        "identity_verified_at, identity_reference, environment) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
    st.bind(1, h.tenant_id).bind(2, h.holder_id).bind(3, h.name_ciphertext).bind(4, h.id_number_ciphertext)
        .bind(5, h.phone_ciphertext).bind(6, h.lookup_hash).bind(7, holder_status_text(h.status))
        .bind(8, h.failed_attempts).bind(9, h.created_at).bind(10, h.identity_verification)
        .bind(11, h.identity_verified_by).bind(12, h.identity_verified_at).bind(13, h.identity_reference)
        .bind(14, env_text(h.environment));
    DUET_TRY_STATUS(st.run());
    DUET_TRY_STATUS(insert_consents(c, h.tenant_id, h.holder_id, consents));
    return sqlite::meter_new_holder(c, options_.quota_order, h);  // per-user metering, same transaction (store.h)
  });
}

Result<Holder> SqliteStore::get_holder(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<Holder>([&](Connection& c) { return load_holder(c, tenant_id, holder_id); });
}

Result<Holder> SqliteStore::find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) {
  return read_single<Holder>([&](Connection& c) -> Result<Holder> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kHolderCols, "holders", "tenant_id = ?1 AND lookup_hash = ?2")));
    st.bind(1, tenant_id).bind(2, lookup_hash);
    return query_one<Holder>(st, read_holder, "holder");
  });
}

Status SqliteStore::unlock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = EXISTS (SELECT 1 FROM "
        "holder_keys k WHERE k.tenant_id = ?1 AND k.holder_id = ?2 AND k.revoked_at IS NULL) "
        "WHERE tenant_id = ?1 AND holder_id = ?2"));
    st.bind(1, tenant_id).bind(2, holder_id);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return not_found("holder");
    DUET_ASSIGN_OR_RETURN(Statement forgive, Statement::prepare(c,
        "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = ?1 AND holder_id = ?2 "
        "AND outcome IN ('pending', 'failed')"));
    forgive.bind(1, tenant_id).bind(2, holder_id);
    return forgive.run();
  });
}

Status SqliteStore::lock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE holders SET status = 'locked' WHERE tenant_id = ?1 AND holder_id = ?2"));
    st.bind(1, tenant_id).bind(2, holder_id);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("holder");
  });
}

Result<std::vector<Holder>> SqliteStore::list_holders(std::string_view tenant_id, std::string_view after_holder_id,
                                                      size_t limit, std::optional<AppEnvironment> environment) {
  return read_single<std::vector<Holder>>([&](Connection& c) -> Result<std::vector<Holder>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kHolderCols, "holders",
                    "tenant_id = ?1 AND holder_id > ?2 AND (?4 IS NULL OR environment = ?4) ORDER BY holder_id LIMIT ?3")));
    st.bind(1, tenant_id).bind(2, after_holder_id).bind(3, clamp_limit(limit));
    if (environment) st.bind(4, env_text(*environment));
    std::vector<Holder> out;
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      DUET_ASSIGN_OR_RETURN(Holder h, read_holder(st));
      out.push_back(std::move(h));
    }
    return out;
  });
}

Status SqliteStore::add_holder_key(const WriteContext& context, const HolderKeyShare& k) {
  DUET_TRY_STATUS(validate_holder_key(k));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(bool has_active, exists(c,
        "SELECT 1 FROM holder_keys WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL",
        k.tenant_id, k.holder_id));
    if (has_active) return conflict("holder already has an active key");
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    st.bind(1, k.tenant_id).bind(2, k.key_id).bind(3, k.holder_id).bind(4, k.public_key_hex)
        .bind(5, k.service_share_ciphertext).bind(6, k.created_at);
    return st.run();
  });
}

Result<HolderKeyShare> SqliteStore::get_active_holder_key(std::string_view tenant_id, std::string_view holder_id) {
  return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kKeyCols, "holder_keys", "tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL")));
    st.bind(1, tenant_id).bind(2, holder_id);
    return query_one<HolderKeyShare>(st, read_key, "active holder key");
  });
}

Status SqliteStore::revoke_holder_key(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                                      UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE holder_keys SET revoked_at = ?3, service_share_ciphertext = X'' "
        "WHERE tenant_id = ?1 AND key_id = ?2 AND revoked_at IS NULL"));
    st.bind(1, tenant_id).bind(2, key_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, "SELECT 1 FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2",
                                 tenant_id, key_id, "holder key");
  });
}

Result<HolderKeyShare> SqliteStore::get_holder_key(std::string_view tenant_id, std::string_view key_id) {
  return read_single<HolderKeyShare>([&](Connection& c) -> Result<HolderKeyShare> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kKeyCols, "holder_keys", "tenant_id = ?1 AND key_id = ?2")));
    st.bind(1, tenant_id).bind(2, key_id);
    return query_one<HolderKeyShare>(st, read_key, "holder key");
  });
}

Status SqliteStore::create_activation_code(const WriteContext& context, const ActivationCode& a) {
  DUET_TRY_STATUS(validate_activation_code(a));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO activation_codes (tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, "
        "used_at, created_at, otp_hash, otp_attempts_left) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    st.bind(1, a.tenant_id).bind(2, a.code_id).bind(3, a.holder_id).bind(4, a.code_hash).bind(5, a.expires_at)
        .bind(6, a.attempts_left).bind(7, a.used_at).bind(8, a.created_at).bind(9, a.otp_hash)
        .bind(10, a.otp_attempts_left);
    return st.run();
  });
}

Result<ActivationCode> SqliteStore::find_activation_code(ByteView code_hash) {
  return read_single<ActivationCode>([&](Connection& c) -> Result<ActivationCode> {
    DUET_ASSIGN_OR_RETURN(Statement st,
                          Statement::prepare(c, select_from(kCodeCols, "activation_codes", "code_hash = ?1")));
    st.bind(1, code_hash);
    return query_one<ActivationCode>(st, read_code, "activation code");
  });
}

Status SqliteStore::use_activation_code(const WriteContext& context, std::string_view tenant_id,
                                        std::string_view code_id, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE activation_codes SET used_at = ?3 WHERE tenant_id = ?1 AND code_id = ?2 "
        "AND used_at IS NULL AND expires_at > ?3 AND attempts_left > 0"));
    st.bind(1, tenant_id).bind(2, code_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n == 1) return Status::Ok();
    return not_found_or_conflict(c, kCodeExists, tenant_id, code_id, "activation code");
  });
}

Result<int> SqliteStore::spend_activation_attempt(const WriteContext& context, std::string_view tenant_id,
                                                  std::string_view code_id) {
  return run<Result<int>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<int> {
    return spend_code_attempt(c,
        "UPDATE activation_codes SET attempts_left = attempts_left - 1 WHERE tenant_id = ?1 AND code_id = ?2 "
        "AND used_at IS NULL AND attempts_left > 0 RETURNING attempts_left",
        tenant_id, code_id);
  });
}

Result<int> SqliteStore::spend_otp_attempt(const WriteContext& context, std::string_view tenant_id,
                                           std::string_view code_id) {
  return run<Result<int>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<int> {
    return spend_code_attempt(c,
        "UPDATE activation_codes SET otp_attempts_left = otp_attempts_left - 1 WHERE tenant_id = ?1 "
        "AND code_id = ?2 AND used_at IS NULL AND otp_attempts_left > 0 RETURNING otp_attempts_left",
        tenant_id, code_id);
  });
}

Status SqliteStore::complete_activation(const WriteContext& context, const ActivationCompletion& a) {
  const HolderKeyShare& k = a.key;
  const DeviceToken& t = a.token;
  DUET_TRY_STATUS(validate_activation_completion(a));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement use, Statement::prepare(c,
        "UPDATE activation_codes SET used_at = ?3 WHERE tenant_id = ?1 AND code_id = ?2 AND holder_id = ?4 "
        "AND used_at IS NULL AND expires_at > ?3 AND attempts_left > 0"));
    use.bind(1, a.tenant_id).bind(2, a.code_id).bind(3, a.now).bind(4, k.holder_id);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, use));
    if (n != 1)
      return not_found_or_conflict(c, kCodeExists, a.tenant_id, a.code_id, "activation code");
    hook("complete_activation:after_code_used");

    DUET_ASSIGN_OR_RETURN(Statement keys, Statement::prepare(c,
        "UPDATE holder_keys SET revoked_at = ?3, service_share_ciphertext = X'' "
        "WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
    keys.bind(1, a.tenant_id).bind(2, k.holder_id).bind(3, a.now);
    DUET_TRY_STATUS(keys.run());
    DUET_ASSIGN_OR_RETURN(Statement tokens, Statement::prepare(c,
        "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
    tokens.bind(1, a.tenant_id).bind(2, k.holder_id).bind(3, a.now);
    DUET_TRY_STATUS(tokens.run());
    hook("complete_activation:after_revocations");

    DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
        "INSERT INTO holder_keys (tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    key.bind(1, a.tenant_id).bind(2, k.key_id).bind(3, k.holder_id).bind(4, k.public_key_hex)
        .bind(5, k.service_share_ciphertext).bind(6, k.created_at);
    DUET_TRY_STATUS(key.run());
    DUET_ASSIGN_OR_RETURN(Statement token, Statement::prepare(c,
        "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES (?1, ?2, ?3, ?4)"));
    token.bind(1, a.tenant_id).bind(2, t.token_hash).bind(3, t.holder_id).bind(4, t.created_at);
    DUET_TRY_STATUS(token.run());
    hook("complete_activation:before_holder_update");

    DUET_ASSIGN_OR_RETURN(Statement holder, Statement::prepare(c,
        "UPDATE holders SET status = 'active', failed_attempts = 0, refresh_required = 0 "
        "WHERE tenant_id = ?1 AND holder_id = ?2"));
    holder.bind(1, a.tenant_id).bind(2, k.holder_id);
    DUET_ASSIGN_OR_RETURN(n, run_changes(c, holder));
    if (n != 1) return corrupt("activation code's holder missing");
    // A new key: failures against the old one (whose shares are revoked)
    // leave the failure budget, as an unlock's do.
    DUET_ASSIGN_OR_RETURN(Statement forgive, Statement::prepare(c,
        "UPDATE pin_attempts SET outcome = 'forgiven' WHERE tenant_id = ?1 AND holder_id = ?2 "
        "AND outcome IN ('pending', 'failed')"));
    forgive.bind(1, a.tenant_id).bind(2, k.holder_id);
    return forgive.run();
  });
}

Status SqliteStore::create_device_token(const WriteContext& context, const DeviceToken& t) {
  DUET_TRY_STATUS(validate_device_token(t));
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at, revoked_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.bind(1, t.tenant_id).bind(2, t.token_hash).bind(3, t.holder_id).bind(4, t.created_at).bind(5, t.revoked_at);
    return st.run();
  });
}

Result<DeviceToken> SqliteStore::find_device_token(ByteView token_hash) {
  return read_single<DeviceToken>([&](Connection& c) -> Result<DeviceToken> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kTokenCols, "device_tokens", "token_hash = ?1 AND revoked_at IS NULL")));
    st.bind(1, token_hash);
    return query_one<DeviceToken>(st, read_token, "device token");
  });
}

Status SqliteStore::revoke_device_token(const WriteContext& context, std::string_view tenant_id, ByteView token_hash,
                                        UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND token_hash = ?2 AND revoked_at IS NULL"));
    st.bind(1, tenant_id).bind(2, token_hash).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : not_found("unrevoked device token");
  });
}

Status SqliteStore::reseal_key_share(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                                     ByteView expected, ByteView replacement) {
  if (replacement.empty()) return invalid("sealed share is empty");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE holder_keys SET service_share_ciphertext = ?4 WHERE tenant_id = ?1 AND key_id = ?2 "
        "AND service_share_ciphertext = ?3 AND revoked_at IS NULL"));
    st.bind(1, tenant_id).bind(2, key_id).bind(3, expected).bind(4, replacement);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    return n == 1 ? Status::Ok() : conflict("holder key share changed");
  });
}

}  // namespace duet::store::sqlite_store
