// Operator roles and separation of duties (issue 5 §6, docs/operations-roles.md).
//
//   operator          tenants, apps, packages, maintenance, SLA reports and
//                     credits: the daily running of the service
//   auditor           reads the audit log, its export and checkpoints; changes
//                     nothing (every other admin route answers 403 forbidden)
//   security_officer  operator tokens (POST/GET/DELETE /admin/v1/operators),
//                     key and retention settings; may also read the audit log
//
// An operator cannot read the audit log (the people audited do not read or
// curate their own record). Every admin route states its roles through
// require_role (or ApiRoutes' operator_(fn, {roles…}) wrapper, which calls it);
// the role names are stable.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "core/contexts.h"

namespace duet::core {

inline constexpr std::string_view kRoleOperator = "operator";
inline constexpr std::string_view kRoleAuditor = "auditor";
inline constexpr std::string_view kRoleSecurityOfficer = "security_officer";

inline bool is_operator_role(std::string_view role) {
  return role == kRoleOperator || role == kRoleAuditor || role == kRoleSecurityOfficer;
}

// Ok when op.role is one of `roles`; else kForbidden naming the roles allowed.
inline Status require_role(const OperatorContext& op, std::initializer_list<std::string_view> roles) {
  std::string names;
  for (std::string_view r : roles) {
    if (op.role == r) return Status::Ok();
    if (!names.empty()) names += " or ";
    names += r;
  }
  return make_error(ErrorCode::kForbidden, "this operation needs the role " + names);
}

inline Status require_role(const OperatorContext& op, const std::vector<std::string>& roles) {
  std::string names;
  for (const std::string& r : roles) {
    if (op.role == r) return Status::Ok();
    if (!names.empty()) names += " or ";
    names += r;
  }
  return make_error(ErrorCode::kForbidden, "this operation needs the role " + names);
}

}  // namespace duet::core
