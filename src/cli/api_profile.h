// Where `duet api …` sends its signed requests and with which credential:
// the command line, else a profile file (--profile FILE: a JSON object or a
// TOML table with server, app_id, secret or secret_file, ca, insecure). The
// command line wins field by field; --insecure from either side holds.
// Failures are CliError with messages that never carry the secret.
#pragma once

#include <string>

#include "cli/cli_common.h"
#include "cli/clients.h"

namespace duet::cli {

struct ApiProfile {
  std::string server, app_id, secret, secret_file, ca;
  bool insecure = false;
};

// Reads a profile; a file that is neither a JSON object nor TOML fails.
ApiProfile load_api_profile(const std::string& path);

struct ApiTarget {
  ServerOptions server;
  AppCredential credential;
};

// Merges the command line (server options, --app-id, --secret-file) with the
// profile at `profile_path` (none when empty) and reads the secret file.
// Fails when no server, app id or secret results.
ApiTarget resolve_api_target(const ServerOptions& command_line, const std::string& app_id,
                             const std::string& secret_file, const std::string& profile_path);

}  // namespace duet::cli
