// The SQL of the notice-mail area (store/notice_mail.h), shared by both
// backends (sqlite_notice_mail.cc, pg_notice_mail.cc).
#pragma once

#include "store/sql_text.h"
#include "store/tenant_notice_rows.h"

namespace duet::store {

// (tenant, email, now)
inline constexpr SqlText kUpsertContact{
    "INSERT INTO tenant_contacts (tenant_id, email, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (tenant_id) DO "
    "UPDATE SET email = excluded.email, updated_at = excluded.updated_at"};
// (tenant)
inline constexpr SqlText kDeleteContact{"DELETE FROM tenant_contacts WHERE tenant_id = ?1"};
inline constexpr SqlText kGetContact{"SELECT email FROM tenant_contacts WHERE tenant_id = ?1"};
inline constexpr SqlText kTenantExists{"SELECT 1 FROM tenants WHERE tenant_id = ?1"};
inline constexpr SqlText kAllTenantIds{"SELECT tenant_id FROM tenants ORDER BY tenant_id"};
// (now, limit): columns 0-7 as kNoticeCols (7: subject_id), then email_next_at, email_attempts, contact, tenant name
inline constexpr SqlText kDueNoticeMails{
    "SELECT n.tenant_id, n.notice_id, n.package_id, n.kind, n.created_at, n.webhook_state, n.effective_at, "
    "n.subject_id, n.email_next_at, n.email_attempts, c.email, t.name FROM notices n "
    "JOIN tenants t ON t.tenant_id = n.tenant_id LEFT JOIN tenant_contacts c ON c.tenant_id = n.tenant_id "
    "WHERE n.email_state = 'pending' AND n.email_next_at <= ?1 "
    "ORDER BY n.email_next_at, n.created_at, n.tenant_id, n.notice_id LIMIT ?2"};
// (tenant, notice)
inline constexpr SqlText kNoMailForNotice{
    "UPDATE notices SET email_state = 'none' WHERE tenant_id = ?1 AND notice_id = ?2 AND email_state = 'pending'"};
// (tenant, notice, next_at read, lease_until)
inline constexpr SqlText kLeaseNoticeMail{
    "UPDATE notices SET email_next_at = ?4 WHERE tenant_id = ?1 AND notice_id = ?2 AND email_state = 'pending' "
    "AND email_next_at = ?3"};
// (tenant, notice, state, last_error, sent_at, next_at)
inline constexpr SqlText kRecordNoticeMail{
    "UPDATE notices SET email_state = ?3, email_attempts = email_attempts + 1, email_last_error = ?4, "
    "email_sent_at = ?5, email_next_at = ?6 WHERE tenant_id = ?1 AND notice_id = ?2 AND email_state = 'pending'"};
inline constexpr SqlText kNoticeExists{"SELECT 1 FROM notices WHERE tenant_id = ?1 AND notice_id = ?2"};
// (tenant, limit)
inline constexpr SqlText kNoticeMailStates{
    "SELECT notice_id, email_state, email_attempts, email_last_error, email_sent_at FROM notices "
    "WHERE tenant_id = ?1 ORDER BY created_at DESC, notice_id DESC LIMIT ?2"};

}  // namespace duet::store
