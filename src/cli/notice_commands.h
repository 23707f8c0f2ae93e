// `duet admin notice …` (issue 14 item 6, docs/metering.md "Notices"): the
// tenant's contact address for e-mailed notices, and the delivery record of
// its notices, through the Admin API (server/notice_routes.h).
#pragma once

#include <functional>

#include "cli/clients.h"

namespace CLI {
class App;
}

namespace duet::cli {

void add_notice_commands(CLI::App& admin, std::function<AdminClient()> connect);

}  // namespace duet::cli
