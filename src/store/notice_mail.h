// store::NoticeMailStore, one area of store::Store (store/store.h): notices
// that reach people (issue 14 item 6, docs/metering.md "Notices"): the
// tenant's contact address, maintenance announcements to every tenant, and
// the e-mail delivery of every notice. Core decides what a message says
// (core/notice_mail.h); the store keeps who was told what, when.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/sla_records.h"
#include "store/write_context.h"

namespace duet::store {

// One notice due for e-mail, with what the message needs.
struct NoticeMail {
  Notice notice;
  std::string subject_id;   // notice.subject_id: the window of a maintenance notice, the terms version, or ""
  std::string to;           // the tenant's contact address
  std::string tenant_name;
  int64_t attempts = 0;     // delivery attempts before this one
  std::optional<MaintenanceWindow> window;  // a maintenance notice's window (as it is now), while it exists
};

// What became of one delivery attempt.
struct NoticeMailOutcome {
  bool sent = false;
  std::string error;                      // a fixed code ("smtp: connect", …), never server text
  std::optional<UnixSeconds> retry_at;    // not sent: try again then; nullopt = give up ("failed")
};

// The e-mail state of one notice, for reading back.
struct NoticeMailState {
  std::string notice_id;
  std::string state;  // "pending" | "sent" | "failed" | "none"
  int64_t attempts = 0;
  std::string last_error;
  std::optional<UnixSeconds> sent_at;
};

class NoticeMailStore {
 public:
  virtual ~NoticeMailStore() = default;

  // --- notice mail (issue 14 item 6; SQLite: store/sqlite_notice_mail.cc) --
  // The tenant's contact address: set (replace), or removed with "".
  // kNotFound (tenant). The caller checks its form.
  virtual Status set_tenant_contact_email(const WriteContext& context, std::string_view tenant_id,
                                          std::string_view email, UnixSeconds now) = 0;
  // "" when none is set. kNotFound (tenant).
  virtual Result<std::string> get_tenant_contact_email(std::string_view tenant_id) = 0;

  // ONE transaction: creates the window as create_maintenance_window does
  // (its errors) and gives every tenant a maintenance_planned notice
  // (subject_id = window_id, effective_at = starts_at, created_at = now).
  virtual Status create_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& window,
                                                     UnixSeconds now) = 0;
  // ONE transaction: deletes a window that has not started, as
  // delete_maintenance_window does (its errors), and gives every tenant a
  // maintenance_cancelled notice (subject_id = window_id, effective_at = its
  // starts_at).
  virtual Status delete_announced_maintenance_window(const WriteContext& context, std::string_view window_id,
                                                     UnixSeconds now) = 0;
  // ONE transaction: changes the window `before` (as the caller read it) to
  // `after` (the same window_id and kind; its starts_at, ends_at,
  // announced_at and description), and gives every tenant a
  // maintenance_changed notice (subject_id = window_id, effective_at = the new
  // starts_at). kNotFound; kConflict, nothing written, when the window has
  // started by `now` or is no longer as `before` says (another change came
  // first); kInvalidArgument as create_maintenance_window.
  virtual Status change_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& before,
                                                     const MaintenanceWindow& after, UnixSeconds now) = 0;

  // Claims up to `limit` notices whose e-mail is due (state pending,
  // email_next_at <= now), oldest first. A notice whose tenant has no contact
  // address becomes "none" and is not returned. Each claimed one gets
  // email_next_at = lease_until with one conditional update, so another
  // node's claim before then does not take it again.
  virtual Result<std::vector<NoticeMail>> claim_notice_mails(const WriteContext& context, UnixSeconds now,
                                                             UnixSeconds lease_until, size_t limit) = 0;
  // Records one attempt of a pending notice: sent (state sent, sent_at =
  // now), or retried at retry_at, or given up (state failed); attempts + 1,
  // last_error replaced. kNotFound; kConflict when the notice is no longer pending.
  virtual Status record_notice_mail(const WriteContext& context, std::string_view tenant_id,
                                    std::string_view notice_id, const NoticeMailOutcome& outcome, UnixSeconds now) = 0;
  // The e-mail states of the tenant's notices, newest first, at most `limit`.
  virtual Result<std::vector<NoticeMailState>> list_notice_mail_states(std::string_view tenant_id, size_t limit) = 0;
};

}  // namespace duet::store
