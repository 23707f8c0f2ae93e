// SqliteStore: PIN attempts and share refreshes (store/orders.h, "PIN attempts").
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

// SQLite serializes write transactions, so the counters read here cannot
// change before the conditional update below; the update still names the
// values it read (a compare-and-set), as the PostgreSQL backend must.
Result<PinAttemptCounters> SqliteStore::count_pin_attempt(Connection& c, std::string_view tenant_id,
                                                          std::string_view holder_id, std::string_view attempt_id,
                                                          UnixSeconds window_since, const PinAttemptRule& rule,
                                                          UnixSeconds now) {
  if (attempt_id.empty()) return Unexpected{invalid("attempt id is empty").error()};
  DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
  PinAttemptCounters before;
  before.consecutive_failures = holder.failed_attempts;
  before.locked = holder.status == HolderStatus::kLocked;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT COUNT(*) FROM pin_attempts WHERE tenant_id = ?1 AND holder_id = ?2 "
        "AND outcome IN ('pending', 'failed') AND started_at > ?3"));
    st.bind(1, tenant_id).bind(2, holder_id).bind(3, window_since);
    DUET_TRY_STATUS(st.step());
    before.failures_in_window = static_cast<int>(st.column_int(0));
  }
  DUET_ASSIGN_OR_RETURN(PinAttemptCounters after, rule(before));
  // Only a failure locks (fail_pin_attempt): counting writes the count alone.
  DUET_ASSIGN_OR_RETURN(Statement count, Statement::prepare(c,
      "UPDATE holders SET failed_attempts = ?4 "
      "WHERE tenant_id = ?1 AND holder_id = ?2 AND failed_attempts = ?3 AND status = 'active'"));
  count.bind(1, tenant_id).bind(2, holder_id).bind(3, before.consecutive_failures)
      .bind(4, after.consecutive_failures);
  DUET_ASSIGN_OR_RETURN(int counted, run_changes(c, count));
  if (counted != 1) return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
  DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
      "INSERT INTO pin_attempts (tenant_id, attempt_id, holder_id, started_at, outcome) "
      "VALUES (?1, ?2, ?3, ?4, 'pending')"));
  ins.bind(1, tenant_id).bind(2, attempt_id).bind(3, holder_id).bind(4, now);
  DUET_TRY_STATUS(ins.run());
  return after;
}

// Ends a pending attempt with `outcome`; returns its holder.
Result<std::string> SqliteStore::end_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view attempt_id,
                                                 std::string_view outcome, bool reset_consecutive) {
  std::string holder_id;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT holder_id FROM pin_attempts WHERE tenant_id = ?1 AND attempt_id = ?2 AND outcome = 'pending'"));
    st.bind(1, tenant_id).bind(2, attempt_id);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Unexpected{conflict("PIN attempt is not pending").error()};
    holder_id = st.column_text(0);
  }
  DUET_ASSIGN_OR_RETURN(Statement end, Statement::prepare(c,
      "UPDATE pin_attempts SET outcome = ?3 WHERE tenant_id = ?1 AND attempt_id = ?2 AND outcome = 'pending'"));
  end.bind(1, tenant_id).bind(2, attempt_id).bind(3, outcome);
  DUET_TRY_STATUS(end.run());
  if (!reset_consecutive) return holder_id;
  DUET_ASSIGN_OR_RETURN(Statement h, Statement::prepare(c,
      "UPDATE holders SET failed_attempts = 0 WHERE tenant_id = ?1 AND holder_id = ?2"));
  h.bind(1, tenant_id).bind(2, holder_id);
  DUET_TRY_STATUS(h.run());
  return holder_id;
}

Result<PinAttemptCounters> SqliteStore::begin_sign_attempt(const WriteContext& context, const SignSession& s,
                                                           std::string_view attempt_id, UnixSeconds window_since,
                                                           const PinAttemptRule& rule, UnixSeconds now) {
  DUET_TRY_STATUS(validate_sign_session(s));
  return run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    DUET_ASSIGN_OR_RETURN(bool seen, exists(c,
        "SELECT 1 FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2", s.tenant_id, s.session_id));
    if (seen) return store_error(StoreError::kDuplicate, "session id already used");
    DUET_ASSIGN_OR_RETURN(SignOrder order, load_order(c, s.tenant_id, s.order_id));
    if (order.holder_id != s.holder_id) return Unexpected{not_found("order").error()};
    DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, s.tenant_id, s.holder_id));
    if (holder.refresh_required)
      return make_error(ErrorCode::kRefreshRequired, "a share refresh must run before the next signature");
    // A locked holder is refused as locked before the order's state is
    // looked at (the lockout may have failed this order).
    if (holder.status == HolderStatus::kLocked)
      return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
    DUET_ASSIGN_OR_RETURN(Statement move, Statement::prepare(c,
        "UPDATE sign_orders SET state = 'signing', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
        "AND state IN ('pending', 'signing') AND expires_at > ?3"));
    move.bind(1, s.tenant_id).bind(2, s.order_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int moved, run_changes(c, move));
    if (moved != 1) return Unexpected{conflict("order is not open for signing").error()};
    DUET_ASSIGN_OR_RETURN(PinAttemptCounters after,
                          count_pin_attempt(c, s.tenant_id, s.holder_id, attempt_id, window_since, rule, now));
    hook("begin_sign_attempt:after_attempt_counted");
    DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
        "INSERT INTO sign_sessions (tenant_id, session_id, order_id, holder_id, r_values, state, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, '', 'open', ?5, ?5)"));
    ins.bind(1, s.tenant_id).bind(2, s.session_id).bind(3, s.order_id).bind(4, s.holder_id).bind(5, now);
    DUET_TRY_STATUS(ins.run());
    return after;
  });
}

// The key the caller used is still the holder's, unrevoked, with the same
// share (store.h, accept_sign_attempt).
Status SqliteStore::check_key_unchanged(Connection& c, std::string_view tenant_id, std::string_view key_id,
                                        ByteView expected_share) {
  if (key_id.empty()) return Status::Ok();
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
      "SELECT 1 FROM holder_keys WHERE tenant_id = ?1 AND key_id = ?2 AND revoked_at IS NULL "
      "AND service_share_ciphertext = ?3"));
  st.bind(1, tenant_id).bind(2, key_id).bind(3, expected_share);
  DUET_ASSIGN_OR_RETURN(bool same, st.step());
  return same ? Status::Ok() : conflict("the holder's key share changed");
}

Status SqliteStore::accept_sign_attempt(const WriteContext& context, std::string_view tenant_id,
                                        std::string_view session_id, std::string_view attempt_id,
                                        const std::vector<std::string>& r_values, UnixSeconds now,
                                        std::string_view key_id, ByteView expected_share) {
  DUET_TRY_STATUS(validate_r_values(r_values));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE sign_sessions SET r_values = ?3, updated_at = ?4 "
        "WHERE tenant_id = ?1 AND session_id = ?2 AND state = 'open' AND r_values = ''"));
    st.bind(1, tenant_id).bind(2, session_id).bind(3, join_r_values(r_values)).bind(4, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return conflict("sign session is not open");
    return as_status(end_pin_attempt(c, tenant_id, attempt_id, "ok", true));
  });
}

Result<PinAttemptCounters> SqliteStore::begin_refresh_attempt(const WriteContext& context, const ShareRefresh& r,
                                                              std::string_view attempt_id, UnixSeconds window_since,
                                                              const PinAttemptRule& rule, UnixSeconds now) {
  DUET_TRY_STATUS(validate_share_refresh(r));
  return run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    DUET_ASSIGN_OR_RETURN(bool seen, exists(c,
        "SELECT 1 FROM share_refreshes WHERE tenant_id = ?1 AND refresh_id = ?2", r.tenant_id, r.refresh_id));
    if (seen) return store_error(StoreError::kDuplicate, "refresh id already used");
    DUET_TRY_STATUS(check_holder_key_usable(c, r.tenant_id, r.key_id, r.holder_id));
    DUET_ASSIGN_OR_RETURN(PinAttemptCounters after,
                          count_pin_attempt(c, r.tenant_id, r.holder_id, attempt_id, window_since, rule, now));
    DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c,
        "INSERT INTO share_refreshes (tenant_id, refresh_id, key_id, holder_id, sealed_rho, "
        "pending_share_ciphertext, state, created_at) VALUES (?1, ?2, ?3, ?4, X'', X'', 'abandoned', ?5)"));
    ins.bind(1, r.tenant_id).bind(2, r.refresh_id).bind(3, r.key_id).bind(4, r.holder_id).bind(5, now);
    DUET_TRY_STATUS(ins.run());
    return after;
  });
}

Status SqliteStore::accept_refresh_attempt(const WriteContext& context, std::string_view tenant_id,
                                           std::string_view refresh_id, std::string_view attempt_id,
                                           ByteView pending_share_ciphertext, UnixSeconds now, std::string_view key_id,
                                           ByteView expected_share) {
  (void)now;
  if (pending_share_ciphertext.empty()) return invalid("an open share refresh needs its pending share");
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(check_key_unchanged(c, tenant_id, key_id, expected_share));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE share_refreshes SET state = 'open', pending_share_ciphertext = ?3 "
        "WHERE tenant_id = ?1 AND refresh_id = ?2 AND state = 'abandoned' AND pending_share_ciphertext = X''"));
    st.bind(1, tenant_id).bind(2, refresh_id).bind(3, pending_share_ciphertext);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return conflict("share refresh is not being verified");
    return as_status(end_pin_attempt(c, tenant_id, attempt_id, "ok", true));
  });
}

Result<PinAttemptCounters> SqliteStore::begin_confirm_attempt(const WriteContext& context, std::string_view tenant_id,
                                                              std::string_view holder_id, std::string_view refresh_id,
                                                              std::string_view attempt_id, UnixSeconds open_since,
                                                              UnixSeconds window_since, const PinAttemptRule& rule,
                                                              UnixSeconds now) {
  // An expired refresh is abandoned (and its pending share wiped) even
  // though the call fails, so the refusal is committed, not rolled back.
  bool expired = false;
  auto result = run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    ShareRefresh r;
    {
      DUET_ASSIGN_OR_RETURN(Statement sel, Statement::prepare(c,
          select_from(kRefreshCols, "share_refreshes", "tenant_id = ?1 AND refresh_id = ?2")));
      sel.bind(1, tenant_id).bind(2, refresh_id);
      DUET_ASSIGN_OR_RETURN(r, query_one<ShareRefresh>(sel, read_refresh, "share refresh"));
    }
    if (r.holder_id != holder_id) return Unexpected{not_found("share refresh").error()};
    if (r.state == RefreshState::kConfirmed) return Unexpected{conflict("share refresh already confirmed").error()};
    if (r.state != RefreshState::kOpen) return Unexpected{conflict("share refresh is not open").error()};
    if (r.created_at <= open_since) {
      DUET_ASSIGN_OR_RETURN(Statement ab, Statement::prepare(c,
          "UPDATE share_refreshes SET state = 'abandoned', pending_share_ciphertext = X'', sealed_rho = X'' "
          "WHERE tenant_id = ?1 AND refresh_id = ?2 AND state = 'open'"));
      ab.bind(1, tenant_id).bind(2, refresh_id);
      DUET_TRY_STATUS(ab.run());
      expired = true;
      return PinAttemptCounters{};
    }
    return count_pin_attempt(c, tenant_id, holder_id, attempt_id, window_since, rule, now);
  });
  if (result.ok() && expired) return make_error(ErrorCode::kExpired, "the share refresh has expired");
  return result;
}

Result<PinAttemptCounters> SqliteStore::begin_holder_pin_attempt(const WriteContext& context,
                                                                 std::string_view tenant_id, std::string_view holder_id,
                                                                 std::string_view attempt_id, UnixSeconds window_since,
                                                                 const PinAttemptRule& rule, UnixSeconds now) {
  if (tenant_id.empty() || holder_id.empty()) return Unexpected{invalid("PIN attempt ids are empty").error()};
  if (!rule) return Unexpected{invalid("PIN attempt rule is missing").error()};
  return run<
      Result<PinAttemptCounters>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<PinAttemptCounters> {
    DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
    if (holder.refresh_required)
      return make_error(ErrorCode::kRefreshRequired, "a share refresh must run before the next PIN use");
    if (holder.status == HolderStatus::kLocked)
      return store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
    return count_pin_attempt(c, tenant_id, holder_id, attempt_id, window_since, rule, now);
  });
}

Result<PendingPinAttempt> SqliteStore::get_pending_pin_attempt(std::string_view tenant_id, std::string_view holder_id,
                                                               std::string_view attempt_id, UnixSeconds window_since) {
  return read_single<PendingPinAttempt>([&](Connection& c) -> Result<PendingPinAttempt> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "SELECT a.started_at, h.failed_attempts, h.status, (SELECT COUNT(*) FROM pin_attempts w "
        "WHERE w.tenant_id = ?1 AND w.holder_id = ?2 AND w.outcome IN ('pending', 'failed') AND w.started_at > ?4) "
        "FROM pin_attempts a JOIN holders h ON h.tenant_id = a.tenant_id AND h.holder_id = a.holder_id "
        "WHERE a.tenant_id = ?1 AND a.holder_id = ?2 AND a.attempt_id = ?3 AND a.outcome = 'pending'"));
    st.bind(1, tenant_id).bind(2, holder_id).bind(3, attempt_id).bind(4, window_since);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Unexpected{not_found("pending PIN attempt").error()};
    PendingPinAttempt out;
    out.attempt_id = std::string(attempt_id);
    out.holder_id = std::string(holder_id);
    out.started_at = st.column_int(0);
    out.counters.consecutive_failures = static_cast<int>(st.column_int(1));
    out.counters.locked = st.column_text(2) == "locked";
    out.counters.failures_in_window = static_cast<int>(st.column_int(3));
    return out;
  });
}

Status SqliteStore::accept_holder_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                              std::string_view holder_id, std::string_view attempt_id) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement end, Statement::prepare(c,
        "UPDATE pin_attempts SET outcome = 'ok' WHERE tenant_id = ?1 AND holder_id = ?2 AND attempt_id = ?3 "
        "AND outcome = 'pending'"));
    end.bind(1, tenant_id).bind(2, holder_id).bind(3, attempt_id);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, end));
    if (n != 1) return conflict("PIN attempt is not pending");
    DUET_ASSIGN_OR_RETURN(Statement h, Statement::prepare(c,
        "UPDATE holders SET failed_attempts = 0 WHERE tenant_id = ?1 AND holder_id = ?2"));
    h.bind(1, tenant_id).bind(2, holder_id);
    return h.run();
  });
}

Status SqliteStore::fail_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                     std::string_view attempt_id, bool lock_holder, std::string_view session_id,
                                     const std::vector<CallbackJob>& alarms,
                                     const std::optional<CallbackJob>& callback_if_order_fails, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(std::string attempt_holder, end_pin_attempt(c, tenant_id, attempt_id, "failed", false));
    if (lock_holder) {
      DUET_ASSIGN_OR_RETURN(Statement lock, Statement::prepare(c,
          "UPDATE holders SET status = 'locked' WHERE tenant_id = ?1 AND holder_id = ?2"));
      lock.bind(1, tenant_id).bind(2, attempt_holder);
      DUET_TRY_STATUS(lock.run());
    }
    for (const CallbackJob& job : alarms) DUET_TRY_STATUS(insert_callback(c, job, tenant_id, job.order_id, now));
    if (session_id.empty()) return Status::Ok();
    std::string order_id, holder_id;
    {
      DUET_ASSIGN_OR_RETURN(Statement sess, Statement::prepare(c,
          "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2"));
      sess.bind(1, tenant_id).bind(2, session_id);
      DUET_ASSIGN_OR_RETURN(bool row, sess.step());
      if (!row) return not_found("sign session");
      order_id = sess.column_text(0);
      holder_id = sess.column_text(1);
    }
    // A session that ended meanwhile (another attempt's lockout or expiry
    // failed the order's open sessions) stays as it is; the attempt still
    // ends failed: a concurrent lockout must not turn this into a conflict.
    DUET_ASSIGN_OR_RETURN(Statement fail, Statement::prepare(c,
        "UPDATE sign_sessions SET state = 'failed', updated_at = ?3 "
        "WHERE tenant_id = ?1 AND session_id = ?2 AND state = 'open'"));
    fail.bind(1, tenant_id).bind(2, session_id).bind(3, now);
    DUET_TRY_STATUS(fail.run());
    DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
    if (holder.status != HolderStatus::kLocked) return Status::Ok();
    DUET_ASSIGN_OR_RETURN(Statement end, Statement::prepare(c,
        "UPDATE sign_orders SET state = 'failed', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
        "AND state IN ('pending', 'signing') AND expires_at > ?3"));
    end.bind(1, tenant_id).bind(2, order_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, end));
    if (n == 1) {
      DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
      if (callback_if_order_fails)
        DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
    }
    return Status::Ok();
  });
}

Status SqliteStore::confirm_share_refresh(const WriteContext& context, std::string_view tenant_id,
                                          std::string_view refresh_id, std::string_view attempt_id,
                                          const DeviceToken& t, UnixSeconds now) {
  if (tenant_id.empty() || refresh_id.empty()) return invalid("share refresh ids are empty");
  if (t.token_hash.empty() || t.tenant_id != tenant_id) return invalid("device token is incomplete");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement sel, Statement::prepare(c,
        select_from(kRefreshCols, "share_refreshes", "tenant_id = ?1 AND refresh_id = ?2")));
    sel.bind(1, tenant_id).bind(2, refresh_id);
    DUET_ASSIGN_OR_RETURN(ShareRefresh r, query_one<ShareRefresh>(sel, read_refresh, "share refresh"));
    if (r.state == RefreshState::kConfirmed) return conflict("share refresh already confirmed");
    if (r.state != RefreshState::kOpen) return conflict("share refresh is not open");
    if (t.holder_id != r.holder_id) return invalid("device token must name the refresh's holder");

    DUET_ASSIGN_OR_RETURN(Statement done, Statement::prepare(c,
        "UPDATE share_refreshes SET state = 'confirmed', confirmed_at = ?3 "
        "WHERE tenant_id = ?1 AND refresh_id = ?2 AND state = 'open'"));
    done.bind(1, tenant_id).bind(2, refresh_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, done));
    if (n != 1) return conflict("share refresh is not open");

    DUET_ASSIGN_OR_RETURN(Statement key, Statement::prepare(c,
        "UPDATE holder_keys SET service_share_ciphertext = ?4 "
        "WHERE tenant_id = ?1 AND key_id = ?2 AND holder_id = ?3 AND revoked_at IS NULL"));
    key.bind(1, tenant_id).bind(2, r.key_id).bind(3, r.holder_id).bind(4, r.pending_share_ciphertext);
    DUET_ASSIGN_OR_RETURN(n, run_changes(c, key));
    if (n != 1) return conflict("holder key is revoked");

    DUET_ASSIGN_OR_RETURN(Statement tokens, Statement::prepare(c,
        "UPDATE device_tokens SET revoked_at = ?3 WHERE tenant_id = ?1 AND holder_id = ?2 AND revoked_at IS NULL"));
    tokens.bind(1, tenant_id).bind(2, r.holder_id).bind(3, now);
    DUET_TRY_STATUS(tokens.run());
    DUET_ASSIGN_OR_RETURN(Statement token, Statement::prepare(c,
        "INSERT INTO device_tokens (tenant_id, token_hash, holder_id, created_at) VALUES (?1, ?2, ?3, ?4)"));
    token.bind(1, tenant_id).bind(2, t.token_hash).bind(3, r.holder_id).bind(4, t.created_at);
    DUET_TRY_STATUS(token.run());

    DUET_ASSIGN_OR_RETURN(Statement holder, Statement::prepare(c,
        "UPDATE holders SET failed_attempts = 0, refresh_required = 0 WHERE tenant_id = ?1 AND holder_id = ?2"));
    holder.bind(1, tenant_id).bind(2, r.holder_id);
    DUET_ASSIGN_OR_RETURN(n, run_changes(c, holder));
    if (n != 1) return corrupt("share refresh's holder missing");
    return as_status(end_pin_attempt(c, tenant_id, attempt_id, "ok", true));
  });
}

Result<ShareRefresh> SqliteStore::get_share_refresh(std::string_view tenant_id, std::string_view refresh_id) {
  return read_single<ShareRefresh>([&](Connection& c) -> Result<ShareRefresh> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kRefreshCols, "share_refreshes", "tenant_id = ?1 AND refresh_id = ?2")));
    st.bind(1, tenant_id).bind(2, refresh_id);
    return query_one<ShareRefresh>(st, read_refresh, "share refresh");
  });
}

}  // namespace duet::store::sqlite_store
