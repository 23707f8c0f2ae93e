// duet holder …: a holder device on the command line (holder SDK + /app/v1).
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

void add_holder_commands(CLI::App& app);

}  // namespace duet::cli
