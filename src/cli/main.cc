// duet: the command-line tool. Each command family lives in its own file;
// cli/app.cc puts them together.
#include <CLI/CLI.hpp>

#include "cli/app.h"

int main(int argc, char** argv) {
  std::unique_ptr<CLI::App> app = duet::cli::make_duet_app();
  CLI11_PARSE(*app, argc, argv);
  return 0;
}
