// Server configuration: a struct, a TOML loader (toml++) and environment
// overrides. Environment variables win over the file; the file wins over the
// defaults below.
//
// TOML keys (all optional; unknown keys under [http] are an error, to catch typos):
//
//   [http]
//   listen             = "127.0.0.1:8080"  # host:port; "[::1]:8443" for IPv6; port 0 = ephemeral
//                                           #   env DUET_LISTEN
//   threads            = 2                 # worker threads on one io_context; 0 = one per core
//                                           #   env DUET_HTTP_THREADS
//   max_body_bytes     = 1048576           # larger bodies get 413 body_too_large; env DUET_MAX_BODY_BYTES
//   max_header_bytes   = 16384             # larger request headers get 431; env DUET_MAX_HEADER_BYTES
//   idle_timeout_ms    = 30000             # keep-alive wait for the next request; env DUET_IDLE_TIMEOUT_MS
//   request_timeout_ms = 30000             # to read one request once it started, and to write the
//                                           #   response; env DUET_REQUEST_TIMEOUT_MS
//   drain_timeout_ms   = 10000             # graceful shutdown: how long in-flight requests may run
//                                           #   on; env DUET_DRAIN_TIMEOUT_MS
//   access_log         = true              # JSON access log lines on stdout; env DUET_ACCESS_LOG
//
//   [http.tls]                             # no cert/key and no dev_dir: plain HTTP
//   cert    = "/etc/duet/tls/cert.pem"     # PEM certificate chain (leaf first); env DUET_TLS_CERT
//   key     = "/etc/duet/tls/key.pem"      # PEM private key; env DUET_TLS_KEY
//   dev_dir = ""                           # with cert/key unset: serve HTTPS with a self-signed
//                                           #   development certificate generated (or reused) in
//                                           #   this directory (duetd --dev); env DUET_TLS_DEV_DIR
//
// Boolean environment values: 1/0, true/false, yes/no, on/off.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

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

// As parse_server_config, from a file. An empty path means defaults + environment.
Result<ServerConfig> load_server_config(const std::string& path, const EnvLookup& env = process_env);

// Applies DUET_* overrides to `config` (no validation).
Status apply_env_overrides(ServerConfig& config, const EnvLookup& env = process_env);

}  // namespace duet::http
