// The HTTP(S) server: Boost.Beast + Asio with C++20 coroutines, N worker
// threads on one io_context, HTTP/1.1 keep-alive, optional TLS. This header is
// Boost-free (pimpl): Beast and Asio live only in server.cc.
//
// Every request gets a random request id (X-Request-Id response header);
// errors follow docs/api/openapi.yaml (json_error). The server answers
//   400 bad_request        malformed HTTP
//   404 not_found          unknown path
//   405 method_not_allowed known path, other method (with Allow)
//   413 body_too_large     body over max_body_bytes, or over the route's own limit
//                          (Router::set_max_body_bytes); the rest is not read
//   431 headers_too_large  header block over max_header_bytes
//   500 internal           a handler threw
// and serves built-in GET /healthz (200 while serving), /readyz (readiness
// callback; 503 while draining) and /metrics (Prometheus text). It records
//   duet_http_requests_total{route,method,status}            counter
//   duet_http_request_duration_seconds{route}                 histogram
//   duet_http_requests_in_flight, duet_http_connections_active gauges
// with the route PATTERN as label ("unmatched" for 404 and unparseable requests).
//
// Handlers run synchronously on the worker threads (they may block on DB or
// crypto work; size `threads` for it). They must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/config.h"
#include "http/http.h"
#include "http/metrics.h"
#include "http/router.h"

namespace spdlog {
class logger;
}

namespace duet::http {

// One answered request, as given to ServerOptions::on_request.
struct RequestOutcome {
  std::string_view route;      // the route pattern ("unmatched" for 404 and unparseable requests)
  std::string_view method;
  int status = 0;
  int64_t duration_us = 0;     // from request header read until the response is ready to send
  std::string_view tenant_id;  // Response::tenant_id; "" when unknown
};

struct ServerOptions {
  // Called once per answered request (also early rejections), on the worker
  // thread, before the response is written. Must be cheap and thread-safe.
  std::function<void(const RequestOutcome&)> on_request;
  // /readyz answers 200 when this returns true (default: always ready).
  std::function<bool()> readiness;
  // Shared with other components that export metrics; created if null.
  std::shared_ptr<MetricsRegistry> metrics;
  // Access log destination; null: JSON lines on stdout (if config.access_log).
  std::shared_ptr<spdlog::logger> access_log;
};

class Server {
 public:
  // Takes a copy of `router` and adds the built-in routes to it.
  Server(ServerConfig config, Router router, ServerOptions options = {});
  ~Server();  // stop() if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads TLS material (generating the dev certificate if configured), binds,
  // listens and starts the worker threads. Fails on a bad address, a port in
  // use, or unreadable TLS files. Call once.
  Status start();

  // The bound port (useful with port 0); 0 before start().
  uint16_t port() const;
  bool tls() const;

  // Graceful shutdown: stop accepting, close idle keep-alive connections, let
  // in-flight requests finish (their responses carry Connection: close) for up
  // to drain_timeout, then close the rest and join the threads. Idempotent.
  // Must not be called from a handler (it waits for handlers to finish).
  void stop();

  // Blocks until stop() has completed (from another thread).
  void wait();

  // All routes, including the built-ins.
  std::vector<Router::RouteInfo> routes() const;
  MetricsRegistry& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::http
