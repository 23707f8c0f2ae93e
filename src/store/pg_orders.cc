// PgStore: sign orders and sessions: creation, listing, finishing, rejection, expiry (store/orders.h).
#include "store/per_record_audit.h"
#include "store/pg_store_impl.h"

namespace duet::store::pg_store {

Result<SignOrder> PgStore::create_order(const WriteContext& context, const SignOrder& o) {
  return create_document_order(context, o, {});
}

Result<SignOrder> PgStore::create_document_order(const WriteContext& context, const SignOrder& o,
                                                 const std::vector<OrderDocument>& documents) {
  DUET_TRY_STATUS(validate_order(o));
  DUET_TRY_STATUS(validate_order_documents(o, documents));
  return run<Result<SignOrder>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<SignOrder> {
    constexpr std::string_view kByKey =
        "SELECT order_id FROM sign_orders WHERE tenant_id = $1 AND app_id = $2 AND idempotency_key = $3";
    // The order already made under this idempotency key (NULL: none; a
    // NULL key matches nothing) and the app's environment (NULL: no such
    // app) in one statement (one round trip).
    DUET_ASSIGN_OR_RETURN(Rows pre, c.query(
        "SELECT (SELECT order_id FROM sign_orders WHERE tenant_id = $1 AND app_id = $2 AND idempotency_key = $3), "
        "(SELECT environment FROM apps WHERE tenant_id = $1 AND app_id = $2)",
        {o.tenant_id, o.app_id, o.idempotency_key.empty() ? Param::null() : Param(o.idempotency_key)}));
    if (pre.empty()) return corrupt("order pre-check returned no row");
    if (!pre.is_null(0, 0)) return load_order(c, o.tenant_id, pre.text(0, 0));
    const bool app_found = !pre.is_null(0, 1);
    const AppEnvironment app_env =
        pre.text(0, 1) == "production" ? AppEnvironment::kProduction : AppEnvironment::kSandbox;
    if (o.kind == OrderKind::kCsr) {
      DUET_ASSIGN_OR_RETURN(Rows key, c.query(
          "SELECT revoked_at FROM holder_keys WHERE tenant_id = $1 AND key_id = $2 AND holder_id = $3",
          {o.tenant_id, o.key_id, o.holder_id}));
      if (key.empty()) return not_found("holder key");
      if (!key.is_null(0, 0)) return conflict("holder key is revoked");
    }
    // production kSign orders need quota (store.h)
    DUET_TRY_STATUS(pg::check_order_quota(c, options_.quota_order, o, app_found, app_env));
    // A concurrent create under the same idempotency key: this insert
    // waits for it and then inserts nothing; the order it made is returned.
    DUET_ASSIGN_OR_RETURN(int64_t inserted, changes(c,
        "INSERT INTO sign_orders (tenant_id, order_id, app_id, holder_id, title, display_text, output_format, "
        "expires_at, callback_url, idempotency_key, state, created_at, updated_at, kind, key_id, cms_output, "
        "signer_cert_id, cms_oid_style, environment, document_output, cms_profile) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11, $12, $13, $14, $15, $16, $17, $18, $19) "
        "ON CONFLICT (tenant_id, app_id, idempotency_key) DO NOTHING",
        {o.tenant_id, o.order_id, o.app_id, o.holder_id, o.title, o.display_text, format_text(o.output_format),
         o.expires_at, o.callback_url, o.idempotency_key.empty() ? Param::null() : Param(o.idempotency_key),
         o.created_at, order_kind_text(o.kind), o.key_id, cms_output_text(o.output_format), o.signer_cert_id,
         o.cms_oid_style, env_text(o.environment), document_output_text(o.output_format), o.cms_profile}));
    if (inserted == 0) {
      DUET_ASSIGN_OR_RETURN(Rows found, c.query(kByKey, {o.tenant_id, o.app_id, o.idempotency_key}));
      if (found.empty()) return corrupt("idempotent order vanished");
      return load_order(c, o.tenant_id, found.text(0, 0));
    }
    context.name_audit_target("order_id", o.order_id);  // (not on the idempotent path above)
    hook("create_order:after_order_insert");
    for (size_t i = 0; i < o.items.size(); ++i) {
      DUET_TRY_STATUS(pg::run(c,
          "INSERT INTO sign_order_items (tenant_id, order_id, item_index, input, input_is_digest) "
          "VALUES ($1, $2, $3, $4, $5)",
          {o.tenant_id, o.order_id, static_cast<int64_t>(i), o.items[i].input, o.items[i].input_is_digest ? 1 : 0}));
    }
    for (const OrderDocument& d : documents) DUET_TRY_STATUS(insert_order_document(c, d));
    // The order as stored (what load_order would read back).
    SignOrder stored = o;
    stored.state = OrderState::kPending;
    stored.updated_at = o.created_at;
    for (SignItem& item : stored.items) item.signature.clear();
    return stored;
  });
}

Result<SignOrder> PgStore::get_order(std::string_view tenant_id, std::string_view order_id) {
  return read_single<SignOrder>([&](Connection& c) { return load_order(c, tenant_id, order_id); });
}

Result<OrderPage> PgStore::list_orders(std::string_view tenant_id, const OrderFilter& filter) {
  if (filter.limit == 0) return invalid("list limit must be at least 1");
  std::optional<OrderCursor> cursor;
  if (!filter.cursor.empty()) {
    cursor = parse_order_cursor(filter.cursor);
    if (!cursor) return invalid("malformed order cursor");
  }
  return read_single<OrderPage>([&](Connection& c) -> Result<OrderPage> {
    std::vector<Param> params;
    params.emplace_back(tenant_id);
    std::string where = "tenant_id = $1 AND kind = 'sign'";
    auto next = [&] { return "$" + std::to_string(params.size()); };
    std::string state_text;
    if (filter.holder_id) {
      params.emplace_back(*filter.holder_id);
      where += " AND holder_id = " + next();
    }
    if (filter.state) {
      state_text = std::string(order_state_text(*filter.state));
      params.emplace_back(state_text);
      where += " AND state = " + next();
    }
    if (filter.environment) {
      params.emplace_back(env_text(*filter.environment));
      where += " AND environment = " + next();
    }
    if (cursor) {
      params.emplace_back(cursor->created_at);
      std::string at = next();
      params.emplace_back(cursor->order_id);
      where += " AND (created_at < " + at + " OR (created_at = " + at + " AND order_id < " + next() + "))";
    }
    // One more than asked for tells whether another page follows.
    const int64_t want = clamp_limit(filter.limit);
    params.emplace_back(want + 1);
    std::string sql = std::string(kOrderSelect) +
                      "WHERE (o.tenant_id, o.order_id) IN (SELECT tenant_id, order_id FROM sign_orders WHERE " +
                      where + " ORDER BY created_at DESC, order_id DESC LIMIT " + next() +
                      ") ORDER BY o.created_at DESC, o.order_id DESC, i.item_index";
    DUET_ASSIGN_OR_RETURN(Rows rows, c.query(sql, params));
    DUET_ASSIGN_OR_RETURN(std::vector<SignOrder> orders, read_orders(rows));
    OrderPage page;
    const bool more = static_cast<int64_t>(orders.size()) > want;
    if (more) orders.resize(static_cast<size_t>(want));
    page.orders = std::move(orders);
    if (more && !page.orders.empty()) page.next_cursor = make_order_cursor(page.orders.back());
    return page;
  });
}

Result<std::vector<SignOrder>> PgStore::list_open_orders(std::string_view tenant_id, std::string_view holder_id,
                                                         UnixSeconds now, size_t limit) {
  return read_single<std::vector<SignOrder>>([&](Connection& c) -> Result<std::vector<SignOrder>> {
    DUET_ASSIGN_OR_RETURN(Rows rows, c.query(std::string(kOrderSelect) +
        "WHERE (o.tenant_id, o.order_id) IN (SELECT tenant_id, order_id FROM sign_orders WHERE tenant_id = $1 "
        "AND holder_id = $2 AND state IN ('pending', 'signing') AND expires_at > $3 "
        "ORDER BY created_at, order_id LIMIT $4) ORDER BY o.created_at, o.order_id, i.item_index",
        {tenant_id, holder_id, now, clamp_limit(limit)}));
    return read_orders(rows);
  });
}

Result<SignSession> PgStore::get_sign_session(std::string_view tenant_id, std::string_view session_id) {
  return read_single<SignSession>([&](Connection& c) -> Result<SignSession> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(
        select_from(kSessionCols, "sign_sessions", "tenant_id = $1 AND session_id = $2"), {tenant_id, session_id}));
    return first_row<SignSession>(r, read_session, "sign session");
  });
}

Result<OrderState> PgStore::fail_sign_session(const WriteContext& context, std::string_view tenant_id,
                                              std::string_view session_id,
                                              const std::optional<CallbackJob>& callback_if_order_fails,
                                              UnixSeconds now) {
  return run<Result<OrderState>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<OrderState> {
    DUET_ASSIGN_OR_RETURN(Rows sess, c.query(
        "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = $1 AND session_id = $2",
        {tenant_id, session_id}));
    if (sess.empty()) return not_found("sign session");
    const std::string order_id = sess.text(0, 0);
    const std::string holder_id = sess.text(0, 1);

    // Row locks in the backend's order: the order first, then its session.
    DUET_ASSIGN_OR_RETURN(Rows locked, c.query(
        "SELECT 1 FROM sign_orders WHERE tenant_id = $1 AND order_id = $2 FOR UPDATE", {tenant_id, order_id}));
    if (locked.empty()) return corrupt("sign session's order missing");

    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
        "UPDATE sign_sessions SET state = 'failed', updated_at = $3 "
        "WHERE tenant_id = $1 AND session_id = $2 AND state = 'open'",
        {tenant_id, session_id, now}));
    if (n != 1) return conflict("sign session is not open");
    hook("fail_sign_session:after_session_failed");

    DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
    if (holder.status == HolderStatus::kLocked) {
      DUET_ASSIGN_OR_RETURN(n, changes(c,
          "UPDATE sign_orders SET state = 'failed', updated_at = $3 WHERE tenant_id = $1 AND order_id = $2 "
          "AND state IN ('pending', 'signing') AND expires_at > $3",
          {tenant_id, order_id, now}));
      if (n == 1) {
        DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
        hook("fail_sign_session:before_callback");
        if (callback_if_order_fails)
          DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
      }
    }
    DUET_ASSIGN_OR_RETURN(Rows state, c.query(
        "SELECT state FROM sign_orders WHERE tenant_id = $1 AND order_id = $2", {tenant_id, order_id}));
    if (state.empty()) return corrupt("sign session's order missing");
    return parse_order_state(state.text(0, 0));
  });
}

Status PgStore::finish_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                             std::string_view session_id, const std::vector<Bytes>& signatures,
                             const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return finish_document_order(context, tenant_id, order_id, session_id, signatures, {}, callback, now);
}

Status PgStore::finish_document_order(const WriteContext& context, std::string_view tenant_id,
                                      std::string_view order_id, std::string_view session_id,
                                      const std::vector<Bytes>& signatures, const std::vector<Bytes>& signed_pdfs,
                                      const std::optional<CallbackJob>& callback, UnixSeconds now) {
  DUET_TRY_STATUS(validate_signatures(signatures));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(check_document_completion(c, tenant_id, order_id, signed_pdfs));
    MeterInput m;
    DUET_TRY_STATUS(
        finish_in_tx(c, tenant_id, order_id, session_id, signatures, OrderKind::kSign, nullptr, now, &m));
    for (size_t i = 0; i < signed_pdfs.size(); ++i)
      DUET_TRY_STATUS(set_signed_pdf(c, tenant_id, order_id, static_cast<int>(i), signed_pdfs[i]));
    // Exactly-once metering in the transaction that completes the signature.
    DUET_TRY_STATUS(pg::meter_finished_order(c, options_.quota_order, tenant_id, order_id, now, m.kind, m.holder_id,
                                             m.app_environment));
    hook("finish_order:before_callback");
    if (callback) DUET_TRY_STATUS(insert_callback(c, *callback, tenant_id, order_id, now));
    return Status::Ok();
  });
}

Status PgStore::finish_csr_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                                 std::string_view session_id, const std::vector<Bytes>& signatures,
                                 const Certificate& certificate, UnixSeconds now) {
  DUET_TRY_STATUS(validate_csr_completion(tenant_id, signatures, certificate));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(
        finish_in_tx(c, tenant_id, order_id, session_id, signatures, OrderKind::kCsr, &certificate, now));
    hook("finish_csr_order:before_certificate");
    return insert_certificate(c, certificate);
  });
}

Status PgStore::reject_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                             const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return close_order(context, tenant_id, order_id, "rejected", "('pending', 'signing')", callback, now);
}

Status PgStore::cancel_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                             const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return close_order(context, tenant_id, order_id, "cancelled", "('pending')", callback, now);
}

Result<std::vector<SignOrder>> PgStore::expire_orders(const WriteContext& context, UnixSeconds now, size_t limit,
                                                      const CallbackFactory& make_callback) {
  // The context's (sweep) event is appended once per expired order, with the
  // order's tenant and id (store.h).
  PerRecordAudit audit(context);
  auto result = run<Result<std::vector<SignOrder>>>(
      audit.transaction_context(), Transaction::Kind::kWrite, [&](Connection& c) -> Result<std::vector<SignOrder>> {
        audit.restart();
        // Orders another sweeper (node) is expiring right now are skipped,
        // not waited for; the conditional update re-checks each one. The
        // due orders are picked in a CTE, which runs once (as an IN
        // (subquery), the LIMITed pick may be rescanned and exceed `limit`).
        DUET_ASSIGN_OR_RETURN(Rows due, c.query(
            "WITH due AS (SELECT tenant_id AS due_tenant, order_id AS due_order FROM sign_orders "
            "WHERE state IN ('pending', 'signing') AND expires_at <= $1 ORDER BY expires_at LIMIT $2 "
            "FOR UPDATE SKIP LOCKED) "
            "UPDATE sign_orders SET state = 'expired', updated_at = $1 FROM due "
            "WHERE tenant_id = due.due_tenant AND order_id = due.due_order "
            "AND state IN ('pending', 'signing') AND expires_at <= $1 RETURNING tenant_id, order_id",
            {now, clamp_limit(limit)}));
        std::vector<SignOrder> expired;
        for (int i = 0; i < due.size(); ++i) {
          const std::string tenant = due.text(i, 0);
          const std::string id = due.text(i, 1);
          DUET_TRY_STATUS(fail_open_sessions(c, tenant, id, now));
          DUET_ASSIGN_OR_RETURN(SignOrder order, load_order(c, tenant, id));
          if (make_callback) {
            std::optional<CallbackJob> cb = make_callback(order);
            if (cb) DUET_TRY_STATUS(insert_callback(c, *cb, tenant, id, now));
          }
          DUET_TRY_STATUS(audit.append(tenant, "order_id:" + id,
                                       [&](AuditEvent& e) { return pg::append_audit_event(c, e); }));
          hook("expire_orders:after_order");
          expired.push_back(std::move(order));
        }
        return expired;
      });
  audit.finish(result.ok());
  return result;
}

Status PgStore::close_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                            std::string_view to_state, std::string_view from_states,
                            const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    std::string sql = "UPDATE sign_orders SET state = $3, updated_at = $4 WHERE tenant_id = $1 AND order_id = $2 "
                      "AND expires_at > $4 AND state IN ";
    sql += from_states;
    DUET_ASSIGN_OR_RETURN(int64_t n, changes(c, sql, {tenant_id, order_id, to_state, now}));
    if (n != 1)
      return not_found_or_conflict(c, "SELECT 1 FROM sign_orders WHERE tenant_id = $1 AND order_id = $2",
                                   tenant_id, order_id, "order");
    DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
    if (callback) DUET_TRY_STATUS(insert_callback(c, *callback, tenant_id, order_id, now));
    return Status::Ok();
  });
}

Status PgStore::finish_in_tx(Connection& c, std::string_view tenant_id, std::string_view order_id,
                             std::string_view session_id, const std::vector<Bytes>& signatures, OrderKind kind,
                             const Certificate* cert, UnixSeconds now, MeterInput* metered) {
  const std::string op = kind == OrderKind::kCsr ? "finish_csr_order" : "finish_order";
  // Session, order, item count and the order's app environment in one statement.
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(
      "SELECT s.order_id, s.holder_id, o.kind, o.key_id, o.holder_id, "
      "(SELECT COUNT(*) FROM sign_order_items i WHERE i.tenant_id = o.tenant_id AND i.order_id = o.order_id), "
      "(SELECT a.environment FROM apps a WHERE a.tenant_id = o.tenant_id AND a.app_id = o.app_id) "
      "FROM sign_sessions s LEFT JOIN sign_orders o ON o.tenant_id = s.tenant_id AND o.order_id = $2 "
      "WHERE s.tenant_id = $1 AND s.session_id = $3",
      {tenant_id, order_id, session_id}));
  if (r.empty() || r.text(0, 0) != order_id) return not_found("sign session");
  if (r.is_null(0, 2)) return not_found("order");
  DUET_ASSIGN_OR_RETURN(OrderKind order_kind, parse_order_kind(r.text(0, 2)));
  if (order_kind != kind)
    return invalid(kind == OrderKind::kCsr ? "the order is not a certificate request"
                                           : "a certificate request order is finished with its certificate");
  if (cert && (cert->holder_id != r.text(0, 4) || cert->key_id != r.text(0, 3)))
    return invalid("the certificate must name the order's holder and key");
  if (static_cast<size_t>(r.get_int(0, 5)) != signatures.size())
    return invalid("one signature per order item is required");
  if (metered) *metered = MeterInput{r.text(0, 2), r.text(0, 4), r.text(0, 6)};

  DUET_ASSIGN_OR_RETURN(int64_t n, changes(c,
      "UPDATE sign_orders SET state = 'signed', updated_at = $3 WHERE tenant_id = $1 AND order_id = $2 "
      "AND state IN ('pending', 'signing') AND expires_at > $3",
      {tenant_id, order_id, now}));
  if (n != 1) return conflict("order is no longer open for signing");
  hook(op + ":after_order_update");

  // This session finishes and the order's other open sessions fail, in one
  // statement (one round trip). Every writer of an order's sessions holds
  // the order's row lock first (taken above), so locking them together
  // cannot deadlock; if this session is not open, the transaction rolls
  // back and nothing of it stays.
  DUET_ASSIGN_OR_RETURN(Rows closed, c.query(
      "UPDATE sign_sessions SET state = CASE WHEN session_id = $2 THEN 'finished' ELSE 'failed' END, "
      "updated_at = $4 WHERE tenant_id = $1 AND order_id = $3 AND state = 'open' "
      "RETURNING session_id = $2",
      {tenant_id, session_id, order_id, now}));
  bool finished = false;
  for (int i = 0; i < closed.size(); ++i) finished = finished || closed.get_int(i, 0) != 0;
  if (!finished) return conflict("sign session is not open");

  for (size_t i = 0; i < signatures.size(); ++i) {
    DUET_ASSIGN_OR_RETURN(n, changes(c,
        "UPDATE sign_order_items SET signature = $4 WHERE tenant_id = $1 AND order_id = $2 AND item_index = $3",
        {tenant_id, order_id, static_cast<int64_t>(i), signatures[i]}));
    if (n != 1) return corrupt("order item missing");
  }
  return Status::Ok();
}

}  // namespace duet::store::pg_store
