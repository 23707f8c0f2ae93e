// `duet admin package add|list` and `duet admin notify-url set|get` (issue 5
// §1): a tenant's service packages and the URL its notices are POSTed to,
// through the Admin API (/admin/v1/tenants/{tenant_id}/packages, …/notify-url).
#pragma once

#include <functional>

#include "cli/clients.h"

namespace CLI {
class App;
}

namespace duet::cli {

// Adds the subcommands to `admin`; `connect` gives a client with the admin
// command's --server/--token-file.
void add_package_commands(CLI::App& admin, std::function<AdminClient()> connect);

}  // namespace duet::cli
