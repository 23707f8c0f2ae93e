// `duet demo --gateway --pdf FILE`: the PDF signed through a spawned
// duet-gateway (hybrid cloud, docs/gateway.md) in front of the demo's duetd.
#pragma once

#include <string>

#include "base/bytes.h"
#include "cli/cli_common.h"
#include "cli/clients.h"

namespace duet::cli {

struct GatewayDemo {
  std::string gateway_binary;  // "" = duet-gateway beside this executable
  ServerOptions upstream;      // the demo's duetd
  AppCredential upstream_app;  // the tenant's app there
  std::string holder_id;
  std::string signer_name;     // the name on the stamp
  std::string pdf_file;
  std::string pdf_keyword;     // empty: page 1 at (40, 40)
  std::string pin;
  int first_step = 15;
};

// Spawns duet-gateway on a loopback port (its data in a temporary directory,
// its log beside it), creates the order on the gateway's local API, has
// `device` co-sign the digest-only upstream order, waits for the gateway to
// finish and returns the signed PDF it serves. Fails (CliError) with the
// gateway's log tail.
Bytes sign_pdf_through_gateway(const GatewayDemo& d, HolderDevice& device);

}  // namespace duet::cli
