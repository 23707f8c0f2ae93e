// Operator roles and the role check (core/operator_roles.h).
#include <gtest/gtest.h>

#include "core/operator_roles.h"

namespace duet::core {
namespace {

TEST(OperatorRoles, RequireRole) {
  OperatorContext aud{"a", "auditor"}, op{"o", "operator"};
  EXPECT_TRUE(require_role(aud, {kRoleAuditor, kRoleSecurityOfficer}).ok());
  auto st = require_role(op, {kRoleAuditor, kRoleSecurityOfficer});
  EXPECT_EQ(st.code(), ErrorCode::kForbidden);
  EXPECT_NE(st.error().message.find("auditor or security_officer"), std::string::npos);
  EXPECT_TRUE(is_operator_role("security_officer"));
  EXPECT_FALSE(is_operator_role("root"));
}

}  // namespace
}  // namespace duet::core
