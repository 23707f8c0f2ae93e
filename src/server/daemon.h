// duetd as a library: the data directory, and the lifetime of store, keys,
// services, HTTP server and background workers.
//
// Configuration (DaemonConfig, parse_daemon_config, load_daemon_config):
// server/daemon_config.h; every TOML key, environment variable and command
// line option is documented in docs/configuration.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "server/daemon_config.h"
#include "core/callbacks.h"
#include "core/certificate_service.h"
#include "core/core_deps.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"
#include "http/router.h"

namespace spdlog {
class logger;
}

namespace duet::server {

struct DaemonOptions {
  // Null: the system clock. Tests may pass their own (it must outlive the daemon).
  const core::Clock* clock = nullptr;
  // Null: libcurl. Tests may record instead.
  std::unique_ptr<core::WebhookSender> webhook_sender;
  // Access log destination when config.http.access_log (null: JSON lines on
  // stderr, next to the daemon's own logs; stdout is left to the caller).
  std::shared_ptr<spdlog::logger> access_log;
};

class Daemon {
 public:
  // Prepares the data directory (mode 0700 when created), opens <data_dir>/duet.db,
  // <data_dir>/kek.key (created if missing), bootstraps <data_dir>/admin.token,
  // builds the routes. Nothing listens yet.
  static Result<std::unique_ptr<Daemon>> create(DaemonConfig config, DaemonOptions options = {});
  ~Daemon();  // stop()
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Binds and serves, starts the workers, writes <data_dir>/duetd.port.
  Status start();
  // Graceful: stop accepting, drain in-flight requests, stop the workers,
  // remove duetd.port. Idempotent; not from a handler.
  void stop();

  uint16_t port() const;
  bool tls() const;
  std::string url() const;  // e.g. "https://127.0.0.1:8443"
  bool ready();             // store schema readable and keys usable
  std::vector<http::Router::RouteInfo> routes() const;
  const DaemonConfig& config() const;
  core::CoreMetrics& core_metrics();
  core::CertificateService& certificates();
  // Waits until every request audit event queued so far (read-only and
  // refused requests, the outcome of audited writes: audit_recorder.h) is
  // appended to the store. A request's event is queued before its response
  // is sent, so after a response has been received its event is visible once
  // this returns. For tests; the error of a failed append, else Ok.
  Status flush_audit_events();
  std::string admin_token_path() const;
  std::string port_file_path() const;
  std::string sms_sink_path() const;

 private:
  Daemon();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::server
