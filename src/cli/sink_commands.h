// `duet webhook-sink`: a local receiver for duetd's webhooks (order callbacks,
// package notices), for tests, drills and trying the service out.
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

void add_sink_commands(CLI::App& app);

}  // namespace duet::cli
