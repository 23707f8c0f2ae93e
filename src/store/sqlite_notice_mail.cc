// SqliteStore: the notice-mail area (store/notice_mail.h), each call one
// transaction; SQL shared with PostgreSQL (notice_mail_rows.h).
#include "store/area_rows.h"
#include "store/metering_steps.h"
#include "store/notice_mail_rows.h"
#include "store/record_text.h"
#include "store/sqlite_row.h"
#include "store/sqlite_sla.h"
#include "store/sqlite_metering.h"
#include "store/sqlite_store_impl.h"

namespace duet::store::sqlite {

Status insert_tenant_notice(Connection& c, std::string_view tenant_id, NoticeKind kind, UnixSeconds now,
                            std::optional<UnixSeconds> effective_at, std::string_view subject_id) {
  Notice n = new_notice(tenant_id, "", kind, now);
  DUET_ASSIGN_OR_RETURN(Statement ins, Statement::prepare(c, kInsertSubjectNotice.sqlite()));
  ins.bind(1, tenant_id).bind(2, n.notice_id).bind(3, record_text::notice_kind_text(kind)).bind(4, now)
      .bind(5, effective_at).bind(6, subject_id);
  return ins.run();
}

}  // namespace duet::store::sqlite

namespace duet::store::sqlite_store {

namespace {

Status require_tenant(Connection& c, std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kTenantExists.sqlite()));
  st.bind(1, tenant_id);
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return store_error(StoreError::kNotFound, "tenant not found");
  return Status::Ok();
}

// A notice of `kind` about window `w` for every tenant.
Status notify_every_tenant(Connection& c, NoticeKind kind, const MaintenanceWindow& w, UnixSeconds now) {
  std::vector<std::string> tenants;
  {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kAllTenantIds.sqlite()));
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      tenants.push_back(st.column_text(0));
    }
  }
  for (const auto& t : tenants)
    DUET_TRY_STATUS(sqlite::insert_tenant_notice(c, t, kind, now, w.starts_at, w.window_id));
  return Status::Ok();
}

}  // namespace

Status SqliteStore::set_tenant_contact_email(const WriteContext& context, std::string_view tenant_id,
                                             std::string_view email, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(require_tenant(c, tenant_id));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, email.empty() ? kDeleteContact.sqlite()
                                                                            : kUpsertContact.sqlite()));
    st.bind(1, tenant_id);
    if (!email.empty()) st.bind(2, email).bind(3, now);
    return st.run();
  });
}

Result<std::string> SqliteStore::get_tenant_contact_email(std::string_view tenant_id) {
  return read_single<std::string>([&](Connection& c) -> Result<std::string> {
    DUET_TRY_STATUS(require_tenant(c, tenant_id));
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kGetContact.sqlite()));
    st.bind(1, tenant_id);
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    return row ? st.column_text(0) : std::string();
  });
}

Status SqliteStore::create_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& w,
                                                        UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(sqlite::create_maintenance_window(c, w));
    return notify_every_tenant(c, NoticeKind::kMaintenancePlanned, w, now);
  });
}

Status SqliteStore::delete_announced_maintenance_window(const WriteContext& context, std::string_view window_id,
                                                        UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(MaintenanceWindow w, sqlite::get_maintenance_window(c, window_id));
    DUET_TRY_STATUS(sqlite::delete_maintenance_window(c, window_id, now));
    return notify_every_tenant(c, NoticeKind::kMaintenanceCancelled, w, now);
  });
}

Status SqliteStore::change_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& before,
                                                        const MaintenanceWindow& after, UnixSeconds now) {
  DUET_TRY_STATUS(validate_maintenance_window(after));
  if (after.window_id != before.window_id || after.kind != before.kind)
    return make_error(ErrorCode::kInvalidArgument, "a change keeps the window's id and kind");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kChangeFutureWindow.sqlite()));
    st.bind(1, after.window_id).bind(2, after.starts_at).bind(3, after.ends_at).bind(4, after.announced_at)
        .bind(5, after.description).bind(6, before.starts_at).bind(7, before.ends_at).bind(8, before.announced_at)
        .bind(9, before.description).bind(10, now);
    DUET_TRY_STATUS(st.run());
    if (c.changes() != 1) {
      DUET_TRY_STATUS(sqlite::get_maintenance_window(c, after.window_id));  // kNotFound
      return store_error(StoreError::kConflict,
                         "the maintenance window has started or was changed meanwhile; read it again");
    }
    return notify_every_tenant(c, NoticeKind::kMaintenanceChanged, after, now);
  });
}

Result<std::vector<NoticeMail>> SqliteStore::claim_notice_mails(const WriteContext& context, UnixSeconds now,
                                                                UnixSeconds lease_until, size_t limit) {
  return run<Result<std::vector<NoticeMail>>>(context, Transaction::Kind::kWrite,
                                              [&](Connection& c) -> Result<std::vector<NoticeMail>> {
    struct Due {
      NoticeMail mail;
      UnixSeconds next_at = 0;
      bool has_contact = false;
    };
    std::vector<Due> due;
    {
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kDueNoticeMails.sqlite()));
      st.bind(1, now).bind(2, static_cast<int64_t>(limit));
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        Due d;
        DUET_ASSIGN_OR_RETURN(d.mail.notice, read_notice(as_row(st)));
        d.mail.subject_id = st.column_text(7);
        d.next_at = st.column_int(8);
        d.mail.attempts = st.column_int(9);
        d.has_contact = !st.column_is_null(10);
        d.mail.to = d.has_contact ? st.column_text(10) : std::string();
        d.mail.tenant_name = st.column_text(11);
        due.push_back(std::move(d));
      }
    }
    std::vector<NoticeMail> out;
    for (auto& d : due) {
      const Notice& n = d.mail.notice;
      if (!d.has_contact) {
        DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kNoMailForNotice.sqlite()));
        st.bind(1, n.tenant_id).bind(2, n.notice_id);
        DUET_TRY_STATUS(st.run());
        continue;
      }
      DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kLeaseNoticeMail.sqlite()));
      st.bind(1, n.tenant_id).bind(2, n.notice_id).bind(3, d.next_at).bind(4, lease_until);
      DUET_TRY_STATUS(st.run());
      if (c.changes() != 1) continue;  // another claim took it
      if (!d.mail.subject_id.empty() && is_maintenance_notice(n.kind)) {
        auto w = sqlite::get_maintenance_window(c, d.mail.subject_id);
        if (w.ok()) d.mail.window = *w;
      }
      out.push_back(std::move(d.mail));
    }
    return out;
  });
}

Status SqliteStore::record_notice_mail(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view notice_id, const NoticeMailOutcome& o, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kRecordNoticeMail.sqlite()));
    const char* state = o.sent ? "sent" : o.retry_at ? "pending" : "failed";
    st.bind(1, tenant_id).bind(2, notice_id).bind(3, state).bind(4, o.sent ? std::string() : o.error)
        .bind(5, o.sent ? std::optional<int64_t>(now) : std::nullopt).bind(6, o.retry_at.value_or(now));
    DUET_TRY_STATUS(st.run());
    if (c.changes() == 1) return Status::Ok();
    DUET_ASSIGN_OR_RETURN(Statement ex, Statement::prepare(c, kNoticeExists.sqlite()));
    ex.bind(1, tenant_id).bind(2, notice_id);
    DUET_ASSIGN_OR_RETURN(bool row, ex.step());
    if (!row) return store_error(StoreError::kNotFound, "notice not found");
    return store_error(StoreError::kConflict, "the notice's e-mail is no longer pending");
  });
}

Result<std::vector<NoticeMailState>> SqliteStore::list_notice_mail_states(std::string_view tenant_id, size_t limit) {
  return read_single<std::vector<NoticeMailState>>([&](Connection& c) -> Result<std::vector<NoticeMailState>> {
    DUET_ASSIGN_OR_RETURN(Statement st, Statement::prepare(c, kNoticeMailStates.sqlite()));
    st.bind(1, tenant_id).bind(2, static_cast<int64_t>(limit));
    std::vector<NoticeMailState> out;
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(NoticeMailState{st.column_text(0), st.column_text(1), st.column_int(2), st.column_text(3),
                                    st.column_optional_int(4)});
    }
    return out;
  });
}

}  // namespace duet::store::sqlite_store
