// duet: the command-line tool. Each command family lives in its own file.
#include <CLI/CLI.hpp>

#include "cli/protocol_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"duet — two-party SM2 co-signature: tools, demo and holder CLI"};
  app.require_subcommand(1);
  duet::cli::add_protocol_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
