// `duet protocol …`: the two-party protocol run in-process (demo, vectors).
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

void add_protocol_commands(CLI::App& app);

}  // namespace duet::cli
