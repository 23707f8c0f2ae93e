// duet-gateway's configuration (docs/gateway.md "Configuration"): TOML read
// with the same table-driven reader as duetd's (base/toml_keys.h); the
// [http] table (listen address, TLS, limits) is http::ServerConfig's, read by
// its own parser. Unknown keys are errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/config.h"

namespace duet::gateway {

// An app of the tenant's local systems: its id and the file holding its
// secret (created with a random secret, mode 0600, if it does not exist).
struct LocalApp {
  std::string app_id;
  std::string secret_file;
  // Where the gateway POSTs the app's order events (signed with its secret,
  // retried until delivered); "" = none, the app polls.
  std::string callback_url;
};

struct GatewayConfig {
  http::ServerConfig http;
  // [gateway]
  std::string data_dir;       // gateway.db and gateway.port
  std::string callback_url;   // given to duetd with each order; "" = polling only
  int64_t poll_interval_seconds = 5;
  int64_t retry_max_seconds = 300;  // the longest wait between failed upstream calls
  int64_t request_window_seconds = 300;
  size_t pdf_max_bytes = size_t{20} * 1024 * 1024;
  std::string font_path = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";
  // Signed PDFs are erased from gateway.db this many days after the order
  // was signed (the order row, its digest and CMS stay); 0 = kept until the
  // operator removes them.
  int64_t signed_pdf_retention_days = 0;
  // Hybrid previews (docs/gateway.md "Page previews"): when true, the
  // gateway renders the pages it stamps at preview_dpi and uploads the PNGs
  // to duetd with each order — which keeps them only if the tenant's
  // hybrid_previews switch is on there. False (the default): no page leaves.
  bool upload_previews = false;
  int64_t preview_dpi = 96;
  // [upstream]: duetd's Business API and the tenant's app there.
  std::string upstream_url;
  std::string upstream_ca_file;  // PEM; "" = the system store
  std::string upstream_app_id;
  std::string upstream_secret_file;
  int64_t upstream_timeout_ms = 15000;
  // The environment of upstream_app_id at duetd, "production" or "sandbox":
  // whose CA chain the gateway checks the embedded signatures against
  // (/pki/ca/chain.pem or /pki/sandbox/ca/chain.pem; docs/pki.md "The
  // sandbox CA").
  std::string upstream_environment = "production";
  // [[local_apps]]
  std::vector<LocalApp> local_apps;
};

// Parses and checks. Errors: kInvalidArgument naming the key.
Result<GatewayConfig> parse_gateway_config(std::string_view toml_text, const http::EnvLookup& env = http::process_env);
Result<GatewayConfig> load_gateway_config(const std::string& path, const http::EnvLookup& env = http::process_env);

// Every accepted key ("gateway.data_dir", "upstream.url", "local_apps.app_id",
// and the [http] keys), for the reference test of docs/gateway.md.
std::vector<std::string> gateway_config_keys();

}  // namespace duet::gateway
