// The tenant portal's account care (docs/portal.md "Account care";
// docs/api/openapi.yaml tag portal): the signed-in user's password change
// and sessions, a tenant admin's disable / enable / password reset of the
// tenant's users, the reset itself (unauthenticated, with the one-time
// token), and the operator's same actions under /admin/v1. Registered by
// register_portal_routes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/portal_service.h"
#include "core/signin_throttle.h"
#include "http/router.h"
#include "server/request_auth.h"

namespace duet::server {

// `throttle` is the sign-in's (every route here that runs Argon2id shares
// it: one check at a time per duetd, a window per source address).
void register_portal_account_routes(http::Router& r, core::PortalService& portal, RequestAuth& auth,
                                    std::shared_ptr<core::SignInThrottle> throttle);

// A short summary of a User-Agent header for the session list ("Chrome on
// Linux", "curl", "other"): never the raw header, which identifies too much.
std::string user_agent_summary(std::string_view user_agent);

}  // namespace duet::server
