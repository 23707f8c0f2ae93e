// The portal's row decoders and column lists, shared by both backends
// (store/row_reader.h). Private to src/store.
#pragma once

#include <string_view>

#include "store/portal_users.h"
#include "store/row_reader.h"

namespace duet::store::portal_rows {

constexpr std::string_view kPortalUserCols =
    "tenant_id, user_id, login, role, password_hash, totp_secret_sealed, failed_signins, locked_until, created_at, "
    "disabled_at, totp_last_step";

inline PortalUser read_portal_user(const RowReader& r) {
  PortalUser u;
  u.tenant_id = r.text(0);
  u.user_id = r.text(1);
  u.login = r.text(2);
  u.role = r.text(3);
  u.password_hash = r.text(4);
  u.totp_secret_sealed = r.blob(5);
  u.failed_signins = static_cast<int>(r.get_int(6));
  u.locked_until = r.optional_int(7);
  u.created_at = r.get_int(8);
  u.disabled_at = r.optional_int(9);
  u.totp_last_step = r.optional_int(10);
  return u;
}

constexpr std::string_view kPortalSessionCols =
    "token_hash, tenant_id, user_id, created_at, expires_at, revoked_at, last_seen_at, user_agent";

inline PortalSession read_portal_session(const RowReader& r) {
  PortalSession s;
  s.token_hash = r.blob(0);
  s.tenant_id = r.text(1);
  s.user_id = r.text(2);
  s.created_at = r.get_int(3);
  s.expires_at = r.get_int(4);
  s.revoked_at = r.optional_int(5);
  s.last_seen_at = r.optional_int(6);
  s.user_agent = r.text(7);
  return s;
}

// What a portal user record must satisfy before it is written.
inline bool portal_user_valid(const PortalUser& u) {
  return !u.tenant_id.empty() && !u.user_id.empty() && !u.login.empty() && !u.password_hash.empty() &&
         (u.role == "admin" || u.role == "member");
}

}  // namespace duet::store::portal_rows
