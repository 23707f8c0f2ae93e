// SqliteStore: sign orders and sessions: creation, listing, finishing, rejection, expiry (store/orders.h).
#include "store/per_record_audit.h"
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite_store {

Result<SignOrder> SqliteStore::create_order(const WriteContext& context, const SignOrder& o) {
  return create_document_order(context, o, {});
}

Result<SignOrder> SqliteStore::create_document_order(const WriteContext& context, const SignOrder& o,
                                                     const std::vector<OrderDocument>& documents) {
  DUET_TRY_STATUS(validate_order(o));
  DUET_TRY_STATUS(validate_order_documents(o, documents));
  return run<Result<SignOrder>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<SignOrder> {
    if (!o.idempotency_key.empty()) {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "SELECT order_id FROM sign_orders WHERE tenant_id = ?1 AND app_id = ?2 AND idempotency_key = ?3"));
      st.bind(1, o.tenant_id).bind(2, o.app_id).bind(3, o.idempotency_key);
      DUET_ASSIGN_OR_RETURN(bool found, st.step());
      if (found) return load_order(c, o.tenant_id, st.column_text(0));
    }
    if (o.kind == OrderKind::kCsr) DUET_TRY_STATUS(check_holder_key_usable(c, o.tenant_id, o.key_id, o.holder_id));
    DUET_TRY_STATUS(sqlite::check_order_quota(c, options_.quota_order, o));  // production kSign orders need quota (store.h)
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "INSERT INTO sign_orders (tenant_id, order_id, app_id, holder_id, title, display_text, output_format, "
        "expires_at, callback_url, idempotency_key, state, created_at, updated_at, kind, key_id, cms_output, "
        "signer_cert_id, cms_oid_style, environment, document_output, cms_profile) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"));
    st.bind(1, o.tenant_id).bind(2, o.order_id).bind(3, o.app_id).bind(4, o.holder_id).bind(5, o.title)
        .bind(6, o.display_text).bind(7, format_text(o.output_format)).bind(8, o.expires_at)
        .bind(9, o.callback_url).bind(11, o.created_at).bind(12, order_kind_text(o.kind)).bind(13, o.key_id)
        .bind(14, cms_output_text(o.output_format)).bind(15, o.signer_cert_id).bind(16, o.cms_oid_style)
        .bind(17, env_text(o.environment)).bind(18, document_output_text(o.output_format))
        .bind(19, o.cms_profile);
    if (o.idempotency_key.empty())
      st.bind_null(10);
    else
      st.bind(10, o.idempotency_key);
    DUET_TRY_STATUS(st.run());
    context.name_audit_target("order_id", o.order_id);  // (not on the idempotent path above)
    hook("create_order:after_order_insert");
    for (size_t i = 0; i < o.items.size(); ++i) {
      DUET_ASSIGN_OR_RETURN(Statement item, Statement::prepare(c,
          "INSERT INTO sign_order_items (tenant_id, order_id, item_index, input, input_is_digest) "
          "VALUES (?1, ?2, ?3, ?4, ?5)"));
      item.bind(1, o.tenant_id).bind(2, o.order_id).bind(3, static_cast<int64_t>(i)).bind(4, o.items[i].input)
          .bind(5, o.items[i].input_is_digest ? 1 : 0);
      DUET_TRY_STATUS(item.run());
    }
    for (const OrderDocument& d : documents) DUET_TRY_STATUS(insert_order_document(c, d));
    return load_order(c, o.tenant_id, o.order_id);
  });
}

Result<SignOrder> SqliteStore::get_order(std::string_view tenant_id, std::string_view order_id) {
  return read<SignOrder>([&](Connection& c) { return load_order(c, tenant_id, order_id); });
}

Result<OrderPage> SqliteStore::list_orders(std::string_view tenant_id, const OrderFilter& filter) {
  if (filter.limit == 0) return Unexpected{invalid("list limit must be at least 1").error()};
  std::optional<OrderCursor> cursor;
  if (!filter.cursor.empty()) {
    cursor = parse_order_cursor(filter.cursor);
    if (!cursor) return Unexpected{invalid("malformed order cursor").error()};
  }
  return read<OrderPage>([&](Connection& c) -> Result<OrderPage> {
    std::string sql = "SELECT order_id FROM sign_orders WHERE tenant_id = ?1 AND kind = 'sign'";
    if (filter.holder_id) sql += " AND holder_id = ?2";
    if (filter.state) sql += " AND state = ?3";
    if (filter.environment) sql += " AND environment = ?7";
    if (cursor) sql += " AND (created_at < ?4 OR (created_at = ?4 AND order_id < ?5))";
    sql += " ORDER BY created_at DESC, order_id DESC LIMIT ?6";
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
    st.bind(1, tenant_id);
    if (filter.holder_id) st.bind(2, *filter.holder_id);
    if (filter.state) st.bind(3, order_state_text(*filter.state));
    if (filter.environment) st.bind(7, env_text(*filter.environment));
    if (cursor) st.bind(4, cursor->created_at).bind(5, cursor->order_id);
    // One more than asked for tells whether another page follows.
    const int64_t want = clamp_limit(filter.limit);
    st.bind(6, want + 1);
    std::vector<std::string> ids;
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      ids.push_back(st.column_text(0));
    }
    const bool more = static_cast<int64_t>(ids.size()) > want;
    if (more) ids.resize(static_cast<size_t>(want));
    OrderPage page;
    for (const std::string& id : ids) {
      DUET_ASSIGN_OR_RETURN(SignOrder o, load_order(c, tenant_id, id));
      page.orders.push_back(std::move(o));
    }
    if (more && !page.orders.empty()) page.next_cursor = make_order_cursor(page.orders.back());
    return page;
  });
}

Result<std::vector<SignOrder>> SqliteStore::list_open_orders(std::string_view tenant_id, std::string_view holder_id,
                                                             UnixSeconds now, size_t limit) {
  return read<std::vector<SignOrder>>([&](Connection& c) -> Result<std::vector<SignOrder>> {
    std::vector<std::string> ids;
    {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
          "SELECT order_id FROM sign_orders WHERE tenant_id = ?1 AND holder_id = ?2 "
          "AND state IN ('pending', 'signing') AND expires_at > ?3 ORDER BY created_at, order_id LIMIT ?4"));
      st.bind(1, tenant_id).bind(2, holder_id).bind(3, now).bind(4, static_cast<int64_t>(limit));
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        ids.push_back(st.column_text(0));
      }
    }
    std::vector<SignOrder> out;
    for (const std::string& id : ids) {
      DUET_ASSIGN_OR_RETURN(SignOrder o, load_order(c, tenant_id, id));
      out.push_back(std::move(o));
    }
    return out;
  });
}

Result<SignSession> SqliteStore::get_sign_session(std::string_view tenant_id, std::string_view session_id) {
  return read_single<SignSession>([&](Connection& c) -> Result<SignSession> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        select_from(kSessionCols, "sign_sessions", "tenant_id = ?1 AND session_id = ?2")));
    st.bind(1, tenant_id).bind(2, session_id);
    return query_one<SignSession>(st, read_session, "sign session");
  });
}

Result<OrderState> SqliteStore::fail_sign_session(const WriteContext& context, std::string_view tenant_id,
                                                  std::string_view session_id,
                                                  const std::optional<CallbackJob>& callback_if_order_fails,
                                                  UnixSeconds now) {
  return run<Result<OrderState>>(context, Transaction::Kind::kWrite, [&](Connection& c) -> Result<OrderState> {
    DUET_ASSIGN_OR_RETURN(Statement sess, Statement::prepare(c,
        "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2"));
    sess.bind(1, tenant_id).bind(2, session_id);
    DUET_ASSIGN_OR_RETURN(bool found, sess.step());
    if (!found) return Unexpected{not_found("sign session").error()};
    const std::string order_id = sess.column_text(0);
    const std::string holder_id = sess.column_text(1);

    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
        "UPDATE sign_sessions SET state = 'failed', updated_at = ?3 "
        "WHERE tenant_id = ?1 AND session_id = ?2 AND state = 'open'"));
    st.bind(1, tenant_id).bind(2, session_id).bind(3, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return Unexpected{conflict("sign session is not open").error()};
    hook("fail_sign_session:after_session_failed");

    DUET_ASSIGN_OR_RETURN(Holder holder, load_holder(c, tenant_id, holder_id));
    if (holder.status == HolderStatus::kLocked) {
      // The lockout ends the order (unless it already ended, or is past
      // expiry: then only expire_orders may move it).
      DUET_ASSIGN_OR_RETURN(Statement end, Statement::prepare(c,
          "UPDATE sign_orders SET state = 'failed', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
          "AND state IN ('pending', 'signing') AND expires_at > ?3"));
      end.bind(1, tenant_id).bind(2, order_id).bind(3, now);
      DUET_ASSIGN_OR_RETURN(n, run_changes(c, end));
      if (n == 1) {
        DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
        hook("fail_sign_session:before_callback");
        if (callback_if_order_fails)
          DUET_TRY_STATUS(insert_callback(c, *callback_if_order_fails, tenant_id, order_id, now));
      }
    }
    DUET_ASSIGN_OR_RETURN(Statement state, Statement::prepare(c,
        "SELECT state FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2"));
    state.bind(1, tenant_id).bind(2, order_id);
    DUET_ASSIGN_OR_RETURN(bool row, state.step());
    if (!row) return corrupt("sign session's order missing");
    return parse_order_state(state.column_text(0));
  });
}

Status SqliteStore::finish_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                                 std::string_view session_id, const std::vector<Bytes>& signatures,
                                 const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return finish_document_order(context, tenant_id, order_id, session_id, signatures, {}, callback, now);
}

Status SqliteStore::finish_document_order(const WriteContext& context, std::string_view tenant_id,
                                          std::string_view order_id, std::string_view session_id,
                                          const std::vector<Bytes>& signatures, const std::vector<Bytes>& signed_pdfs,
                                          const std::optional<CallbackJob>& callback, UnixSeconds now) {
  DUET_TRY_STATUS(validate_signatures(signatures));
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(check_document_completion(c, tenant_id, order_id, signed_pdfs));
    DUET_TRY_STATUS(finish_in_tx(c, tenant_id, order_id, session_id, signatures, OrderKind::kSign, nullptr, now));
    for (size_t i = 0; i < signed_pdfs.size(); ++i)
      DUET_TRY_STATUS(set_signed_pdf(c, tenant_id, order_id, static_cast<int>(i), signed_pdfs[i]));
    // Exactly-once metering in the transaction that completes the signature.
    DUET_TRY_STATUS(sqlite::meter_finished_order(c, options_.quota_order, tenant_id, order_id, now));
    hook("finish_order:before_callback");
    if (callback) DUET_TRY_STATUS(insert_callback(c, *callback, tenant_id, order_id, now));
    return Status::Ok();
  });
}

Status SqliteStore::finish_csr_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
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

Status SqliteStore::reject_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                                 const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return close_order(context, tenant_id, order_id, "rejected", "('pending', 'signing')", callback, now);
}

Status SqliteStore::cancel_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                                 const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return close_order(context, tenant_id, order_id, "cancelled", "('pending')", callback, now);
}

Result<std::vector<SignOrder>> SqliteStore::expire_orders(const WriteContext& context, UnixSeconds now, size_t limit,
                                                          const CallbackFactory& make_callback) {
  // The context's (sweep) event is appended once per expired order, with the
  // order's tenant and id (store.h).
  PerRecordAudit audit(context);
  auto result = run<Result<std::vector<SignOrder>>>(
      audit.transaction_context(), Transaction::Kind::kWrite, [&](Connection& c) -> Result<std::vector<SignOrder>> {
        audit.restart();
        std::vector<std::pair<std::string, std::string>> due;
        {
          DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c,
              "SELECT tenant_id, order_id FROM sign_orders WHERE state IN ('pending', 'signing') "
              "AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2"));
          st.bind(1, now).bind(2, static_cast<int64_t>(limit));
          for (;;) {
            DUET_ASSIGN_OR_RETURN(bool row, st.step());
            if (!row) break;
            due.emplace_back(st.column_text(0), st.column_text(1));
          }
        }
        std::vector<SignOrder> expired;
        for (const auto& [tenant, id] : due) {
          DUET_ASSIGN_OR_RETURN(Statement up, Statement::prepare(c,
              "UPDATE sign_orders SET state = 'expired', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
              "AND state IN ('pending', 'signing') AND expires_at <= ?3"));
          up.bind(1, tenant).bind(2, id).bind(3, now);
          DUET_ASSIGN_OR_RETURN(int n, run_changes(c, up));
          if (n != 1) continue;  // another sweeper or a finisher got there first
          DUET_TRY_STATUS(fail_open_sessions(c, tenant, id, now));
          DUET_ASSIGN_OR_RETURN(SignOrder order, load_order(c, tenant, id));
          if (make_callback) {
            std::optional<CallbackJob> cb = make_callback(order);
            if (cb) DUET_TRY_STATUS(insert_callback(c, *cb, tenant, id, now));
          }
          DUET_TRY_STATUS(audit.append(tenant, "order_id:" + id,
                                       [&](AuditEvent& e) { return sqlite::append_audit_event(c, e); }));
          hook("expire_orders:after_order");
          expired.push_back(std::move(order));
        }
        return expired;
      });
  audit.finish(result.ok());
  return result;
}

Status SqliteStore::close_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                                std::string_view to_state, std::string_view from_states,
                                const std::optional<CallbackJob>& callback, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    std::string sql = "UPDATE sign_orders SET state = ?3, updated_at = ?4 WHERE tenant_id = ?1 AND order_id = ?2 "
                      "AND expires_at > ?4 AND state IN ";
    sql += from_states;
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, sql));
    st.bind(1, tenant_id).bind(2, order_id).bind(3, to_state).bind(4, now);
    DUET_ASSIGN_OR_RETURN(int n, run_changes(c, st));
    if (n != 1) return not_found_or_conflict(c, kOrderExists, tenant_id, order_id, "order");
    DUET_TRY_STATUS(fail_open_sessions(c, tenant_id, order_id, now));
    if (callback) DUET_TRY_STATUS(insert_callback(c, *callback, tenant_id, order_id, now));
    return Status::Ok();
  });
}

// The shared part of finish_order / finish_csr_order, inside the caller's
// transaction: the order must be of `kind` (kInvalidArgument otherwise);
// for kCsr, `cert` must name the order's holder and key.
Status SqliteStore::finish_in_tx(Connection& c, std::string_view tenant_id, std::string_view order_id,
                                 std::string_view session_id, const std::vector<Bytes>& signatures, OrderKind kind,
                                 const Certificate* cert, UnixSeconds now) {
  const std::string op = kind == OrderKind::kCsr ? "finish_csr_order" : "finish_order";
  DUET_ASSIGN_OR_RETURN(Statement sess, Statement::prepare(c,
      "SELECT order_id, holder_id FROM sign_sessions WHERE tenant_id = ?1 AND session_id = ?2"));
  sess.bind(1, tenant_id).bind(2, session_id);
  DUET_ASSIGN_OR_RETURN(bool found, sess.step());
  if (!found || sess.column_text(0) != order_id) return not_found("sign session");
  std::string holder_id = sess.column_text(1);

  DUET_ASSIGN_OR_RETURN(Statement order, Statement::prepare(c,
      "SELECT kind, key_id, holder_id FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2"));
  order.bind(1, tenant_id).bind(2, order_id);
  DUET_ASSIGN_OR_RETURN(bool order_found, order.step());
  if (!order_found) return not_found("order");
  DUET_ASSIGN_OR_RETURN(OrderKind order_kind, parse_order_kind(order.column_text(0)));
  if (order_kind != kind)
    return invalid(kind == OrderKind::kCsr ? "the order is not a certificate request"
                                           : "a certificate request order is finished with its certificate");
  if (cert && (cert->holder_id != order.column_text(2) || cert->key_id != order.column_text(1)))
    return invalid("the certificate must name the order's holder and key");

  DUET_ASSIGN_OR_RETURN(Statement count, Statement::prepare(c,
      "SELECT COUNT(*) FROM sign_order_items WHERE tenant_id = ?1 AND order_id = ?2"));
  count.bind(1, tenant_id).bind(2, order_id);
  DUET_TRY_STATUS(count.step());
  if (static_cast<size_t>(count.column_int(0)) != signatures.size())
    return invalid("one signature per order item is required");

  DUET_ASSIGN_OR_RETURN(Statement done, Statement::prepare(c,
      "UPDATE sign_orders SET state = 'signed', updated_at = ?3 WHERE tenant_id = ?1 AND order_id = ?2 "
      "AND state IN ('pending', 'signing') AND expires_at > ?3"));
  done.bind(1, tenant_id).bind(2, order_id).bind(3, now);
  DUET_ASSIGN_OR_RETURN(int n, run_changes(c, done));
  if (n != 1) return conflict("order is no longer open for signing");
  hook(op + ":after_order_update");

  DUET_ASSIGN_OR_RETURN(Statement fin, Statement::prepare(c,
      "UPDATE sign_sessions SET state = 'finished', updated_at = ?4 WHERE tenant_id = ?1 AND session_id = ?2 "
      "AND order_id = ?3 AND state = 'open'"));
  fin.bind(1, tenant_id).bind(2, session_id).bind(3, order_id).bind(4, now);
  DUET_ASSIGN_OR_RETURN(n, run_changes(c, fin));
  if (n != 1) return conflict("sign session is not open");

  for (size_t i = 0; i < signatures.size(); ++i) {
    DUET_ASSIGN_OR_RETURN(Statement sig, Statement::prepare(c,
        "UPDATE sign_order_items SET signature = ?4 WHERE tenant_id = ?1 AND order_id = ?2 AND item_index = ?3"));
    sig.bind(1, tenant_id).bind(2, order_id).bind(3, static_cast<int64_t>(i)).bind(4, signatures[i]);
    DUET_ASSIGN_OR_RETURN(n, run_changes(c, sig));
    if (n != 1) return corrupt("order item missing");
  }
  // Other sessions of this order can no longer finish. The holder's
  // counters are not touched here: the valid PIN proof reset them at step
  // 1 (accept_sign_attempt), and a lock that came since stays.
  (void)holder_id;
  return fail_open_sessions(c, tenant_id, order_id, now);
}

}  // namespace duet::store::sqlite_store
