// duet admin …: the operator's Admin API (/admin/v1): tenants and app credentials.
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

void add_admin_commands(CLI::App& app);

}  // namespace duet::cli
