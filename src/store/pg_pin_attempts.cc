// PgStore: PIN attempts and share refreshes (store/orders.h, "PIN attempts").
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Result<PinAttemptCounters> PgStore::begin_sign_attempt(const WriteContext& context, const SignSession& s,
                                                       std::string_view attempt_id, UnixSeconds window_since,
                                                       const PinAttemptRule& rule, UnixSeconds now) {
  DUET_TRY_STATUS(validate_sign_session(s));
  if (attempt_id.empty()) return invalid("attempt id is empty");
  if (!rule) return invalid("PIN attempt rule is missing");
  return run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    // One statement (one round trip, with BEGIN): the order moves to
    // signing (its row lock first, the backend's order) and what store.h
    // refuses before the rule is read; any refusal rolls the move back.
    DUET_ASSIGN_OR_RETURN(Rows pre, c.query(
        "WITH moved AS (UPDATE sign_orders SET state = 'signing', updated_at = $5 WHERE tenant_id = $1 "
        "AND order_id = $3 AND holder_id = $4 AND state IN ('pending', 'signing') AND expires_at > $5 RETURNING 1) "
        "SELECT EXISTS (SELECT 1 FROM sign_sessions WHERE tenant_id = $1 AND session_id = $2), "
        "(SELECT holder_id FROM sign_orders WHERE tenant_id = $1 AND order_id = $3), "
        "(SELECT refresh_required FROM holders WHERE tenant_id = $1 AND holder_id = $4), "
        "(SELECT COUNT(*) FROM moved), "
        "(SELECT status FROM holders WHERE tenant_id = $1 AND holder_id = $4)",
        {s.tenant_id, s.session_id, s.order_id, s.holder_id, now}));
    if (pre.empty()) return corrupt("sign attempt pre-check returned no row");
    if (pre.get_int(0, 0) != 0) return store_error(StoreError::kDuplicate, "session id already used");
    if (pre.is_null(0, 1) || pre.text(0, 1) != s.holder_id) return not_found("order");
    if (pre.is_null(0, 2)) return not_found("holder");
    if (pre.get_int(0, 2) != 0)
      return make_error(ErrorCode::kRefreshRequired, "a share refresh must run before the next signature");
    // A locked holder is refused as locked, also when the lockout failed
    // the order meanwhile (the subqueries above read the statement's
    // snapshot, so the status is read again once the move has failed).
    if (pre.text(0, 4) == "locked") return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
    if (pre.get_int(0, 3) != 1) {
      DUET_ASSIGN_OR_RETURN(Rows now_status, c.query(
          "SELECT status FROM holders WHERE tenant_id = $1 AND holder_id = $2", {s.tenant_id, s.holder_id}));
      if (!now_status.empty() && now_status.text(0, 0) == "locked")
        return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
      return conflict("order is not open for signing");
    }
    // The session is stored open with no r values, with the attempt.
    DUET_ASSIGN_OR_RETURN(PinAttemptCounters after, count_pin_attempt(c, s.tenant_id, s.holder_id, attempt_id,
        window_since, rule, now, /*refuse_refresh_required=*/true,
        ", stored AS (INSERT INTO sign_sessions (tenant_id, session_id, order_id, holder_id, r_values, state, "
        "created_at, updated_at) SELECT $1::text, $7::text, $8::text, $2::text, '', 'open', $6::bigint, "
        "$6::bigint FROM attempt)",
        {s.session_id, s.order_id}));
    hook("begin_sign_attempt:after_attempt_counted");
    return after;
  });
}

// The key the caller used is still the holder's, unrevoked, with the same
// share (store.h, accept_sign_attempt). FOR SHARE: a refresh, re-key or
// revocation that updates the key row waits for this transaction, or has
// committed and then fails the comparison.
Status PgStore::check_key_unchanged(Connection& c, std::string_view tenant_id, std::string_view key_id,
                                    ByteView expected_share) {
  if (key_id.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(Rows same, c.query(
      "SELECT 1 FROM holder_keys WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL "
      "AND service_share_ciphertext = $3 FOR SHARE",
      {tenant_id, key_id, expected_share}));
  return same.empty() ? Status(conflict("the holder's key share changed")) : Status::Ok();
}

Status PgStore::accept_sign_attempt(const WriteContext& context, std::string_view tenant_id,
                                    std::string_view session_id, std::string_view attempt_id,
                                    const std::vector<std::string>& r_values, UnixSeconds now, std::string_view key_id,
                                    ByteView expected_share) {
  DUET_TRY_STATUS(validate_r_values(r_values));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
    // One statement (kAcceptAttempt): the session gets its r values, the
    // holder's consecutive count is reset, the attempt ends ok. No order
    // lock: after the session this waits only for the holder and the
    // attempt, which no writer of the order's sessions holds while it
    // waits for a session.
    DUET_ASSIGN_OR_RETURN(Rows done, c.query(accept_attempt_sql(
        "UPDATE sign_sessions SET r_values = $4, updated_at = $5 WHERE tenant_id = $1 AND session_id = $2 "
        "AND state = 'open' AND r_values = '' RETURNING holder_id"),
        {tenant_id, session_id, attempt_id, join_r_values(r_values), now}));
    if (done.empty() || done.get_int(0, 0) != 1) return conflict("sign session is not open");
    if (done.get_int(0, 1) != 1) return conflict("PIN attempt is not pending");
    return Status::Ok();
  });
}

Result<PinAttemptCounters> PgStore::begin_refresh_attempt(const WriteContext& context, const ShareRefresh& r,
                                                          std::string_view attempt_id, UnixSeconds window_since,
                                                          const PinAttemptRule& rule, UnixSeconds now) {
  DUET_TRY_STATUS(validate_share_refresh(r));
  if (attempt_id.empty()) return invalid("attempt id is empty");
  if (!rule) return invalid("PIN attempt rule is missing");
  return run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    // What store.h refuses before the rule, in one statement: the refresh
    // id taken, the key not the holder's, the key revoked.
    DUET_ASSIGN_OR_RETURN(Rows pre, c.query(
        "SELECT EXISTS (SELECT 1 FROM share_refreshes WHERE tenant_id = $1 AND refresh_id = $2), "
        "(SELECT COUNT(*) FROM holder_keys WHERE tenant_id = $1 AND key_id = $3 AND holder_id = $4), "
        "(SELECT COUNT(*) FROM holder_keys WHERE tenant_id = $1 AND key_id = $3 AND holder_id = $4 "
        "AND revoked_at IS NULL)",
        {r.tenant_id, r.refresh_id, r.key_id, r.holder_id}));
    if (pre.empty()) return corrupt("refresh attempt pre-check returned no row");
    if (pre.get_int(0, 0) != 0) return store_error(StoreError::kDuplicate, "refresh id already used");
    if (pre.get_int(0, 1) == 0) return not_found("holder key");
    if (pre.get_int(0, 2) == 0) return conflict("holder key is revoked");
    // Stored abandoned with no sealed values: only accept_refresh_attempt
    // opens it, so a crash in between leaves nothing usable.
    return count_pin_attempt(c, r.tenant_id, r.holder_id, attempt_id, window_since, rule, now,
        /*refuse_refresh_required=*/false,
        ", stored AS (INSERT INTO share_refreshes (tenant_id, refresh_id, key_id, holder_id, sealed_rho, "
        "pending_share_ciphertext, state, created_at) SELECT $1::text, $7::text, $8::text, $2::text, "
        "'\\x'::bytea, '\\x'::bytea, 'abandoned', $6::bigint FROM attempt)",
        {r.refresh_id, r.key_id});
  });
}

Status PgStore::accept_refresh_attempt(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view refresh_id, std::string_view attempt_id,
                                       ByteView pending_share_ciphertext, UnixSeconds now, std::string_view key_id,
                                       ByteView expected_share) {
  (void)now;
  if (pending_share_ciphertext.empty()) return invalid("an open share refresh needs its pending share");
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
    // One statement (accept_attempt_sql): the refresh opens with its
    // pending share, the holder's consecutive count is reset, the attempt
    // ends ok.
    DUET_ASSIGN_OR_RETURN(Rows done, c.query(accept_attempt_sql(
        "UPDATE share_refreshes SET state = 'open', pending_share_ciphertext = $4 WHERE tenant_id = $1 "
        "AND refresh_id = $2 AND state = 'abandoned' AND pending_share_ciphertext = '\\x'::bytea "
        "RETURNING holder_id"),
        {tenant_id, refresh_id, attempt_id, pending_share_ciphertext}));
    if (done.empty() || done.get_int(0, 0) != 1) return conflict("share refresh is not being verified");
    if (done.get_int(0, 1) != 1) return conflict("PIN attempt is not pending");
    return Status::Ok();
  });
}

Result<PinAttemptCounters> PgStore::begin_confirm_attempt(const WriteContext& context, std::string_view tenant_id,
                                                          std::string_view holder_id, std::string_view refresh_id,
                                                          std::string_view attempt_id, UnixSeconds open_since,
                                                          UnixSeconds window_since, const PinAttemptRule& rule,
                                                          UnixSeconds now) {
  if (tenant_id.empty() || holder_id.empty() || refresh_id.empty()) return invalid("share refresh ids are empty");
  if (attempt_id.empty()) return invalid("attempt id is empty");
  if (!rule) return invalid("PIN attempt rule is missing");
  // An expired refresh is abandoned (its pending share wiped) although the
  // call fails, so that refusal commits instead of rolling back.
  bool expired = false;
  auto result = run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    expired = false;  // (a transaction run again starts over)
    DUET_ASSIGN_OR_RETURN(Rows sel, c.query(
        "SELECT holder_id, state, created_at FROM share_refreshes WHERE tenant_id = $1 AND refresh_id = $2",
        {tenant_id, refresh_id}));
    if (sel.empty() || sel.text(0, 0) != holder_id) return not_found("share refresh");
    const std::string state = sel.text(0, 1);
    if (state == "confirmed") return conflict("share refresh already confirmed");
    if (state != "open") return conflict("share refresh is not open");
    if (sel.get_int(0, 2) <= open_since) {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE share_refreshes SET state = 'abandoned', pending_share_ciphertext = '\\x'::bytea, "
          "sealed_rho = '\\x'::bytea WHERE tenant_id = $1 AND refresh_id = $2 AND state = 'open'",
          {tenant_id, refresh_id}));
      // Zero: a concurrent confirm or expiry ended it first.
      if (n != 1) return conflict("share refresh is not open");
      expired = true;
      return PinAttemptCounters{};
    }
    return count_pin_attempt(c, tenant_id, holder_id, attempt_id, window_since, rule, now,
                             /*refuse_refresh_required=*/false, "", {});
  });
  if (result.ok() && expired) return make_error(ErrorCode::kExpired, "the share refresh has expired");
  return result;
}

Result<PinAttemptCounters> PgStore::begin_holder_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                                             std::string_view holder_id, std::string_view attempt_id,
                                                             UnixSeconds window_since, const PinAttemptRule& rule,
                                                             UnixSeconds now) {
  if (tenant_id.empty() || holder_id.empty() || attempt_id.empty()) return invalid("PIN attempt ids are empty");
  if (!rule) return invalid("PIN attempt rule is missing");
  return run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    // count_pin_attempt locks the holder's row, refuses refresh_required,
    // asks the rule (a locked holder: kLocked) and stores the attempt.
    return count_pin_attempt(c, tenant_id, holder_id, attempt_id, window_since, rule, now,
                             /*refuse_refresh_required=*/true, "", {});
  });
}

Result<PendingPinAttempt> PgStore::get_pending_pin_attempt(std::string_view tenant_id, std::string_view holder_id,
                                                           std::string_view attempt_id, UnixSeconds window_since) {
  return read_single<PendingPinAttempt>([&](Connection& c) -> Result<PendingPinAttempt> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        "SELECT a.started_at, h.failed_attempts, h.status, (SELECT COUNT(*) FROM pin_attempts w "
        "WHERE w.tenant_id = $1 AND w.holder_id = $2 AND w.outcome IN ('pending', 'failed') AND w.started_at > $4) "
        "FROM pin_attempts a JOIN holders h ON h.tenant_id = a.tenant_id AND h.holder_id = a.holder_id "
        "WHERE a.tenant_id = $1 AND a.holder_id = $2 AND a.attempt_id = $3 AND a.outcome = 'pending'",
        {tenant_id, holder_id, attempt_id, window_since}));
    if (r.empty()) return not_found("pending PIN attempt");
    PendingPinAttempt out;
    out.attempt_id = std::string(attempt_id);
    out.holder_id = std::string(holder_id);
    out.started_at = r.get_int(0, 0);
    out.counters.consecutive_failures = static_cast<int>(r.get_int(0, 1));
    out.counters.locked = r.text(0, 2) == "locked";
    out.counters.failures_in_window = static_cast<int>(r.get_int(0, 3));
    return out;
  });
}

Status PgStore::accept_holder_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                          std::string_view holder_id, std::string_view attempt_id) {
  return write(context, [&](Connection& c) -> Status {
    // The holder's row first, then the attempt (the backend's lock order).
    DUET_TRY_STATUS(pg::run(c, "UPDATE holders SET failed_attempts = 0 WHERE tenant_id = $1 AND holder_id = $2",
                            {tenant_id, holder_id}));
    return end_pin_attempt(c, tenant_id, attempt_id, holder_id, "ok");
  });
}

Status PgStore::fail_pin_attempt(const WriteContext& context, std::string_view tenant_id, std::string_view attempt_id,
                                 bool lock_holder, std::string_view session_id, const std::vector<CallbackJob>& alarms,
                                 const std::optional<CallbackJob>& callback_if_order_fails, UnixSeconds now) {
  if (tenant_id.empty() || attempt_id.empty()) return invalid("PIN attempt ids are empty");
  return write(context, [&](Connection& c) -> Status {
    // Row locks in the backend's order: the session's order (as every
    // writer of an order's sessions), the session, the holder, then the
    // attempt.
    std::string order_id;
    bool locked = false;
    if (!session_id.empty()) {
      DUET_ASSIGN_OR_RETURN(Rows order, c.query(
          "SELECT o.order_id FROM sign_sessions s JOIN sign_orders o ON o.tenant_id = s.tenant_id "
          "AND o.order_id = s.order_id WHERE s.tenant_id = $1 AND s.session_id = $2 FOR UPDATE OF o",
          {tenant_id, session_id}));
      if (order.empty()) return conflict("sign session is not open");
      order_id = order.text(0, 0);
      // The session fails; its holder's status comes back (read, not
      // locked: a lock is set below or was committed before).
      DUET_ASSIGN_OR_RETURN(Rows failed, c.query(
          "UPDATE sign_sessions s SET state = 'failed', updated_at = $3 WHERE s.tenant_id = $1 "
          "AND s.session_id = $2 AND s.state = 'open' RETURNING (SELECT h.status FROM holders h "
          "WHERE h.tenant_id = s.tenant_id AND h.holder_id = s.holder_id)",
          {tenant_id, session_id, now}));
      // Empty: the session ended meanwhile (another attempt's lockout, or
      // expiry, failed the order's open sessions). The attempt still ends
      // failed below: a concurrent lockout must not turn this answer into
      // a conflict.
      if (!failed.empty()) {
        DUET_ASSIGN_OR_RETURN(HolderStatus status, parse_holder_status(failed.text(0, 0)));
        locked = status == HolderStatus::kLocked;
      }
    }
    if (lock_holder) {
      // The attempt's holder (the subquery reads the attempt, it does not
      // lock it: the holder's row comes first).
      DUET_TRY_STATUS(pg::run(c,
          "UPDATE holders SET status = 'locked' WHERE (tenant_id, holder_id) IN (SELECT tenant_id, holder_id "
          "FROM pin_attempts WHERE tenant_id = $1 AND attempt_id = $2 AND outcome = 'pending')",
          {tenant_id, attempt_id}));
      locked = true;
    }
    if (!session_id.empty() && locked) {
      DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
          "UPDATE sign_orders SET state = 'failed', updated_at = $3 WHERE tenant_id = $1 AND order_id = $2 "
          "AND state IN ('pending', 'signing') AND expires_at > $3",
          {tenant_id, order_id, now}));
      if (n == 1) {
        DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
        if (callback_if_order_fails)
          DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
      }
    }
    // Not pending (ended before, forgiven, unknown): everything above rolls back.
    DUET_TRY_STATUS(end_pin_attempt(c, tenant_id, attempt_id, "", "failed"));
    for (const CallbackJob& job : alarms) DUET_TRY_STATUS(insert_callback(c, job, tenant_id, job.order_id, now));
    return Status::Ok();
  });
}

Status PgStore::confirm_share_refresh(const WriteContext& context, std::string_view tenant_id,
                                      std::string_view refresh_id, std::string_view attempt_id, const DeviceToken& t,
                                      UnixSeconds now) {
  if (tenant_id.empty() || refresh_id.empty()) return invalid("share refresh ids are empty");
  if (t.token_hash.empty() || t.tenant_id != tenant_id) return invalid("device token is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Rows sel, c.query(
        select_from(kRefreshCols, "share_refreshes", "tenant_id = $1 AND refresh_id = $2"), {tenant_id, refresh_id}));
    DUET_ASSIGN_OR_RETURN(ShareRefresh r, first_row<ShareRefresh>(sel, read_refresh, "share refresh"));
    if (r.state == RefreshState::kConfirmed) return conflict("share refresh already confirmed");
    if (r.state != RefreshState::kOpen) return conflict("share refresh is not open");
    if (t.holder_id != r.holder_id) return invalid("device token must name the refresh's holder");

    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE share_refreshes SET state = 'confirmed', confirmed_at = $3 "
        "WHERE tenant_id = $1 AND refresh_id = $2 AND state = 'open'",
        {tenant_id, refresh_id, now}));
    if (n != 1) {
      // A concurrent confirm won: answer as if this one came second.
      DUET_ASSIGN_OR_RETURN(Rows again, c.query(
          "SELECT state FROM share_refreshes WHERE tenant_id = $1 AND refresh_id = $2", {tenant_id, refresh_id}));
      if (!again.empty() && again.text(0, 0) == "confirmed") return conflict("share refresh already confirmed");
      return conflict("share refresh is not open");
    }

    DUET_ASSIGN_OR_RETURN(n, changes(c,
        "UPDATE holder_keys SET service_share_ciphertext = $4 "
        "WHERE tenant_id = $1 AND key_id = $2 AND holder_id = $3 AND revoked_at IS NULL",
        {tenant_id, r.key_id, r.holder_id, r.pending_share_ciphertext}));
    if (n != 1) return conflict("holder key is revoked");

    DUET_TRY_STATUS(pg::run(c,
        "UPDATE device_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND holder_id = $2 AND revoked_at IS NULL",
        {tenant_id, r.holder_id, now}));
    DUET_TRY_STATUS(pg::run(c,
        "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES ($1, $2, $3, $4)",
        {tenant_id, t.token_hash, r.holder_id, t.created_at}));

    DUET_ASSIGN_OR_RETURN(n, changes(c,
        "UPDATE holders SET failed_attempts = 0, refresh_required = 0 WHERE tenant_id = $1 AND holder_id = $2",
        {tenant_id, r.holder_id}));
    if (n != 1) return corrupt("share refresh's holder missing");
    return end_pin_attempt(c, tenant_id, attempt_id, r.holder_id, "ok");
  });
}

Result<ShareRefresh> PgStore::get_share_refresh(std::string_view tenant_id, std::string_view refresh_id) {
  return read_single<ShareRefresh>([&](Connection& c) -> Result<ShareRefresh> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kRefreshCols, "share_refreshes", "tenant_id = $1 AND refresh_id = $2"), {tenant_id, refresh_id}));
    return first_row<ShareRefresh>(r, read_refresh, "share refresh");
  });
}

}  // namespace duet::store::pg_store
