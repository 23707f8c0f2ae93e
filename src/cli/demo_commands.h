// duet demo: tenant to openssl-verified signature against a live (or spawned) duetd.
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

void add_demo_commands(CLI::App& app);

}  // namespace duet::cli
