// `duet admin sla …` (issue 5 §2, §3, §7): the monthly SLA report in text,
// JSON or CSV, compensation credits and their approval, maintenance windows,
// production rate limits. All through the Admin API (server/sla_routes.h).
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/clients.h"

namespace CLI {
class App;
}

namespace duet::cli {

// Adds the `sla` subcommand to the `admin` command; `connect` gives a client
// with the admin command's --server/--token-file.
void add_sla_commands(CLI::App& admin, std::function<AdminClient()> connect);

// Adds `terms` and `claims` to the `sla` subcommand (cli/claim_commands.cc).
void add_sla_claim_commands(CLI::App& sla, std::function<AdminClient()> connect);

// Adds `statement` to the `admin` command (cli/claim_commands.cc).
void add_statement_commands(CLI::App& admin, std::function<AdminClient()> connect);

// The report (the JSON of GET /admin/v1/sla/report) as "text", "json" or "csv".
std::string format_sla_report(const nlohmann::json& report, const std::string& format);

}  // namespace duet::cli
