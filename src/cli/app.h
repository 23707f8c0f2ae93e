// The whole `duet` command line as one CLI11 app (every command family), so
// that main.cc stays a thin wrapper and tests can parse argument vectors
// against the real options, checks and exclusions.
#pragma once

#include <memory>

namespace CLI {
class App;
}

namespace duet::cli {

std::unique_ptr<CLI::App> make_duet_app();

}  // namespace duet::cli
