// duet: the command-line tool. Each command family lives in its own file.
#include <CLI/CLI.hpp>

#include "cli/admin_commands.h"
#include "cli/api_commands.h"
#include "cli/audit_commands.h"
#include "cli/bench_commands.h"
#include "cli/demo_commands.h"
#include "cli/holder_commands.h"
#include "cli/protocol_commands.h"
#include "cli/sink_commands.h"
#include "cli/verify_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"duet — two-party SM2 co-signature: tools, demo and holder CLI"};
  app.require_subcommand(1);
  duet::cli::add_protocol_commands(app);
  duet::cli::add_admin_commands(app);
  duet::cli::add_api_commands(app);
  duet::cli::add_audit_commands(app);
  duet::cli::add_holder_commands(app);
  duet::cli::add_demo_commands(app);
  duet::cli::add_bench_commands(app);
  duet::cli::add_verify_commands(app);
  duet::cli::add_sink_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
