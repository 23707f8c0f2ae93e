// `duet admin portal-user …`: an operator's care of tenant portal users over
// the Admin API (docs/portal.md "Account care"): create, list, disable,
// enable, and a one-time password reset token (shown once).
#pragma once

#include <functional>

#include "cli/clients.h"

namespace CLI {
class App;
}

namespace duet::cli {

void add_portal_user_commands(CLI::App& admin, std::function<AdminClient()> connect);

}  // namespace duet::cli
