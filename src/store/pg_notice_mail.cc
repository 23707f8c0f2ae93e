// PgStore: the notice-mail area (store/notice_mail.h); mirrors
// sqlite_notice_mail.cc with the same SQL (notice_mail_rows.h). Claims are
// conditional updates on the email_next_at read, so two nodes never both
// deliver one notice inside a lease.
#include "store/area_rows.h"
#include "store/metering_steps.h"
#include "store/notice_mail_rows.h"
#include "store/pg_areas.h"
#include "store/pg_store_impl.h"
#include "store/pg_util.h"
#include "store/record_text.h"

namespace duet::store::pg {

Status insert_tenant_notice(Connection& c, std::string_view tenant_id, NoticeKind kind, UnixSeconds now,
                            std::optional<UnixSeconds> effective_at, std::string_view subject_id) {
  Notice n = new_notice(tenant_id, "", kind, now);
  return pg::run(c, kInsertSubjectNotice.pg(),
                 {tenant_id, n.notice_id, record_text::notice_kind_text(kind), now, effective_at, subject_id});
}

}  // namespace duet::store::pg

namespace duet::store::pg_store {

namespace {

Status require_tenant(Connection& c, std::string_view tenant_id) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(kTenantExists.pg(), {tenant_id}));
  if (r.empty()) return pg::not_found("tenant");
  return Status::Ok();
}

Status notify_every_tenant(Connection& c, NoticeKind kind, const MaintenanceWindow& w, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(Rows tenants, c.query(kAllTenantIds.pg()));
  for (int i = 0; i < tenants.size(); ++i)
    DUET_TRY_STATUS(pg::insert_tenant_notice(c, tenants.text(i, 0), kind, now, w.starts_at, w.window_id));
  return Status::Ok();
}

}  // namespace

Status PgStore::set_tenant_contact_email(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view email, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(require_tenant(c, tenant_id));
    if (email.empty()) return pg::run(c, kDeleteContact.pg(), {tenant_id});
    return pg::run(c, kUpsertContact.pg(), {tenant_id, email, now});
  });
}

Result<std::string> PgStore::get_tenant_contact_email(std::string_view tenant_id) {
  return read_single<std::string>([&](Connection& c) -> Result<std::string> {
    DUET_TRY_STATUS(require_tenant(c, tenant_id));
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kGetContact.pg(), {tenant_id}));
    return r.empty() ? std::string() : r.text(0, 0);
  });
}

Status PgStore::create_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& w,
                                                    UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_TRY_STATUS(pg::create_maintenance_window(c, w));
    return notify_every_tenant(c, NoticeKind::kMaintenancePlanned, w, now);
  });
}

Status PgStore::delete_announced_maintenance_window(const WriteContext& context, std::string_view window_id,
                                                    UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(MaintenanceWindow w, pg::get_maintenance_window(c, window_id));
    DUET_TRY_STATUS(pg::delete_maintenance_window(c, window_id, now));
    return notify_every_tenant(c, NoticeKind::kMaintenanceCancelled, w, now);
  });
}

Status PgStore::change_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& before,
                                                    const MaintenanceWindow& after, UnixSeconds now) {
  DUET_TRY_STATUS(validate_maintenance_window(after));
  if (after.window_id != before.window_id || after.kind != before.kind)
    return make_error(ErrorCode::kInvalidArgument, "a change keeps the window's id and kind");
  return write(context, [&](Connection& c) -> Status {
    DUET_ASSIGN_OR_RETURN(int64_t n, pg::changes(c, kChangeFutureWindow.pg(),
        {after.window_id, after.starts_at, after.ends_at, after.announced_at, after.description, before.starts_at,
         before.ends_at, before.announced_at, before.description, now}));
    if (n != 1) {
      DUET_TRY_STATUS(pg::get_maintenance_window(c, after.window_id));  // kNotFound
      return pg::conflict("the maintenance window has started or was changed meanwhile; read it again");
    }
    return notify_every_tenant(c, NoticeKind::kMaintenanceChanged, after, now);
  });
}

Result<std::vector<NoticeMail>> PgStore::claim_notice_mails(const WriteContext& context, UnixSeconds now,
                                                            UnixSeconds lease_until, size_t limit) {
  return run<Result<std::vector<NoticeMail>>>(context, Transaction::Kind::kWrite,
                                              [&](Connection& c) -> Result<std::vector<NoticeMail>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kDueNoticeMails.pg(), {now, static_cast<int64_t>(limit)}));
    std::vector<NoticeMail> out;
    for (int i = 0; i < r.size(); ++i) {
      NoticeMail m;
      DUET_ASSIGN_OR_RETURN(m.notice, read_notice(Row(r, i)));
      m.subject_id = r.text(i, 7);
      const int64_t next_at = r.get_int(i, 8);
      m.attempts = r.get_int(i, 9);
      m.tenant_name = r.text(i, 11);
      if (r.is_null(i, 10)) {
        DUET_TRY_STATUS(pg::run(c, kNoMailForNotice.pg(), {m.notice.tenant_id, m.notice.notice_id}));
        continue;
      }
      m.to = r.text(i, 10);
      DUET_ASSIGN_OR_RETURN(int64_t n, pg::changes(c, kLeaseNoticeMail.pg(),
                                                   {m.notice.tenant_id, m.notice.notice_id, next_at, lease_until}));
      if (n != 1) continue;  // another node's claim took it
      if (!m.subject_id.empty() && is_maintenance_notice(m.notice.kind)) {
        auto w = pg::get_maintenance_window(c, m.subject_id);
        if (w.ok()) m.window = *w;
      }
      out.push_back(std::move(m));
    }
    return out;
  });
}

Status PgStore::record_notice_mail(const WriteContext& context, std::string_view tenant_id, std::string_view notice_id,
                                   const NoticeMailOutcome& o, UnixSeconds now) {
  return write(context, [&](Connection& c) -> Status {
    const char* state = o.sent ? "sent" : o.retry_at ? "pending" : "failed";
    DUET_ASSIGN_OR_RETURN(int64_t n, pg::changes(c, kRecordNoticeMail.pg(),
        {tenant_id, notice_id, state, o.sent ? std::string() : o.error,
         o.sent ? std::optional<int64_t>(now) : std::nullopt, o.retry_at.value_or(now)}));
    if (n == 1) return Status::Ok();
    DUET_ASSIGN_OR_RETURN(Rows ex, c.query(kNoticeExists.pg(), {tenant_id, notice_id}));
    if (ex.empty()) return pg::not_found("notice");
    return pg::conflict("the notice's e-mail is no longer pending");
  });
}

Result<std::vector<NoticeMailState>> PgStore::list_notice_mail_states(std::string_view tenant_id, size_t limit) {
  return read_single<std::vector<NoticeMailState>>([&](Connection& c) -> Result<std::vector<NoticeMailState>> {
    DUET_ASSIGN_OR_RETURN(Rows r, c.query(kNoticeMailStates.pg(), {tenant_id, static_cast<int64_t>(limit)}));
    std::vector<NoticeMailState> out;
    for (int i = 0; i < r.size(); ++i)
      out.push_back(NoticeMailState{r.text(i, 0), r.text(i, 1), r.get_int(i, 2), r.text(i, 3), r.optional_int(i, 4)});
    return out;
  });
}

}  // namespace duet::store::pg_store
