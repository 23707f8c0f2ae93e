// `duet admin backup` and `duet admin restore` (issue 6 §4): local commands
// run on the service host; they need no admin token.
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

// Adds the backup and restore subcommands to the `admin` command.
void add_backup_commands(CLI::App& admin);

}  // namespace duet::cli
