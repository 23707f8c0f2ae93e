// duet api …: signed Business API calls (/api/v1), generic and convenience.
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

void add_api_commands(CLI::App& app);

}  // namespace duet::cli
