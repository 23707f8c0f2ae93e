// Server configuration: a struct, a TOML loader (toml++) and environment
// overrides. Environment variables win over the file; the file wins over the
// defaults below.
//
// The [http] and [http.tls] keys, their environment variables and defaults:
// docs/configuration.md (all optional; unknown keys are an error, to catch
// typos). Boolean environment values: 1/0, true/false, yes/no, on/off.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace duet::http {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  unsigned threads = 2;  // 0: std::thread::hardware_concurrency()
  size_t max_body_bytes = 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds drain_timeout{10000};
  bool access_log = true;
  std::string tls_cert;     // PEM chain path
  std::string tls_key;      // PEM key path
  std::string tls_dev_dir;  // self-signed dev certificate directory (when cert/key unset)

  bool tls_enabled() const { return !tls_cert.empty() || !tls_dev_dir.empty(); }
  // Checks ranges and that cert and key are given together.
  Status validate() const;
};

// Reads a variable; the default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
std::optional<std::string> process_env(std::string_view name);

// "host:port", "[v6addr]:port" → host (without brackets) and port.
Result<std::pair<std::string, uint16_t>> parse_listen(std::string_view listen);

// Parses TOML text (only the [http] table is read; other tables are left to
// their owners), then applies environment overrides, then validates.
Result<ServerConfig> parse_server_config(std::string_view toml_text, const EnvLookup& env = process_env);

// The keys parse_server_config accepts ("http.listen", …, "http.tls.cert"),
// from its key tables ([http.tls] as a table of its own, not as "http.tls").
std::vector<std::string> server_config_keys();

// As parse_server_config, from a file. An empty path means defaults + environment.
Result<ServerConfig> load_server_config(const std::string& path, const EnvLookup& env = process_env);

// Applies DUET_* overrides to `config` (no validation).
Status apply_env_overrides(ServerConfig& config, const EnvLookup& env = process_env);

}  // namespace duet::http
