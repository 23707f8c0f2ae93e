// `duet admin incident …` (issue 14 item 3, docs/sla.md "Incidents"):
// record, change, list and show incidents through the Admin API
// (server/incident_routes.h).
#pragma once

#include <functional>

#include "cli/clients.h"

namespace CLI {
class App;
}

namespace duet::cli {

// Adds the `incident` subcommand to the `admin` command.
void add_incident_commands(CLI::App& admin, std::function<AdminClient()> connect);

}  // namespace duet::cli
