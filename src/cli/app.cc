#include "cli/app.h"

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

namespace duet::cli {

std::unique_ptr<CLI::App> make_duet_app() {
  auto app = std::make_unique<CLI::App>("duet — two-party SM2 co-signature: tools, demo and holder CLI");
  app->require_subcommand(1);
  add_protocol_commands(*app);
  add_admin_commands(*app);
  add_api_commands(*app);
  add_audit_commands(*app);
  add_holder_commands(*app);
  add_demo_commands(*app);
  add_bench_commands(*app);
  add_verify_commands(*app);
  add_sink_commands(*app);
  return app;
}

}  // namespace duet::cli
