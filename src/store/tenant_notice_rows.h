// The SQL of the tenant notices other areas write in their own transaction
// (store/notice_mail.h, tenants.h set_tenant_suspended, sla_claims.h
// pin_tenant_sla_terms), shared by both backends. No kTenantExists here:
// area_sql.h and notice_mail_rows.h each have theirs.
#pragma once

#include "store/sql_text.h"

namespace duet::store {

// (tenant, notice, kind, created_at, effective_at, subject_id)
inline constexpr SqlText kInsertSubjectNotice{
    "INSERT INTO notices (tenant_id, notice_id, package_id, kind, created_at, webhook_state, effective_at, "
    "subject_id) VALUES (?1, ?2, NULL, ?3, ?4, 'pending', ?5, ?6)"};
// (window, starts_at, ends_at, announced_at, description, then the same four as read, now): only a window
// that has not started and is still as read
inline constexpr SqlText kChangeFutureWindow{
    "UPDATE maintenance_windows SET starts_at = ?2, ends_at = ?3, announced_at = ?4, description = ?5 "
    "WHERE window_id = ?1 AND starts_at = ?6 AND ends_at = ?7 AND announced_at = ?8 AND description = ?9 "
    "AND starts_at > ?10"};
// (tenant, suspended 0/1): only when it changes
inline constexpr SqlText kChangeSuspended{
    "UPDATE tenants SET suspended = ?2 WHERE tenant_id = ?1 AND suspended <> ?2"};
// (tenant)
inline constexpr SqlText kPinnedVersion{"SELECT version FROM tenant_sla_terms WHERE tenant_id = ?1"};

}  // namespace duet::store
