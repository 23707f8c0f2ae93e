// The only translation unit with Beast/Asio. Both the plain and the TLS
// session are instantiations of one coroutine template.
#include "http/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <optional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "http/access_log.h"
#include "http/dev_cert.h"

namespace duet::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kUnmatched = "unmatched";
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerMaxBytes = 8u << 20;

// Bounded label values: client-supplied methods must not create series.
std::string_view method_label(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
    if (m == known) return known;
  return "other";
}

bool header_value_ok(std::string_view v) {
  return v.find_first_of("\r\n") == std::string_view::npos && v.find('\0') == std::string_view::npos;
}

bool header_name_ok(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// Live connections: shared with session frames so that it outlives the Impl
// even if frames are destroyed with the io_context.
struct ConnBase {
  virtual ~ConnBase() = default;
  virtual void close_if_idle() = 0;  // thread-safe (posts to the strand)
  virtual void force_close() = 0;    // thread-safe (posts to the strand)
};

struct Tracker {
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<uint64_t, std::weak_ptr<ConnBase>> conns;
  uint64_t next_id = 0;
  Gauge* connections_gauge = nullptr;

  uint64_t add(std::weak_ptr<ConnBase> c) {
    std::lock_guard lock(mu);
    conns.emplace(++next_id, std::move(c));
    if (connections_gauge) connections_gauge->set(static_cast<double>(conns.size()));
    return next_id;
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mu);
    conns.erase(id);
    if (connections_gauge) connections_gauge->set(static_cast<double>(conns.size()));
    cv.notify_all();
  }
  template <typename F>
  void for_each(F f) {
    std::vector<std::shared_ptr<ConnBase>> live;
    {
      std::lock_guard lock(mu);
      for (auto& [id, w] : conns)
        if (auto c = w.lock()) live.push_back(std::move(c));
    }
    for (auto& c : live) f(*c);
  }
  // True if all connections ended before the deadline.
  bool wait_empty(Clock::time_point deadline) {
    std::unique_lock lock(mu);
    return cv.wait_until(lock, deadline, [&] { return conns.empty(); });
  }
};

template <typename Stream>
struct Conn final : ConnBase, std::enable_shared_from_this<Conn<Stream>> {
  template <typename... Args>
  explicit Conn(Args&&... args) : stream(std::forward<Args>(args)...) {}

  Stream stream;
  bool idle = true;  // strand only: waiting for (the start of) a request

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream); }

  void close_if_idle() override {
    asio::post(stream.get_executor(), [self = this->shared_from_this()] {
      if (self->idle) self->lowest().cancel();
    });
  }
  void force_close() override {
    asio::post(stream.get_executor(), [self = this->shared_from_this()] {
      error_code ec;
      self->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      self->lowest().close();
    });
  }
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

}  // namespace

struct Server::Impl {
  ServerConfig cfg;
  Router router;
  size_t largest_route_body_limit = 0;  // router.largest_route_body_limit(), fixed at construction
  ServerOptions opts;
  AccessLog access_log{nullptr};
  std::shared_ptr<MetricsRegistry> metrics;
  Gauge* in_flight = nullptr;

  std::shared_ptr<Tracker> tracker = std::make_shared<Tracker>();
  std::atomic<bool> draining{false};
  std::atomic<uint16_t> port{0};

  std::mutex state_mu;
  std::condition_variable state_cv;
  bool started = false;
  bool stopping = false;
  bool stopped = false;

  // Declaration order matters for destruction: the io_context goes last among
  // the Asio objects (acceptor and contexts are destroyed before it).
  asio::io_context ioc;
  std::unique_ptr<asio::ssl::context> ssl_ctx;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  Impl(ServerConfig c, Router r, ServerOptions o)
      : cfg(std::move(c)), router(std::move(r)), opts(std::move(o)),
        ioc(static_cast<int>(cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency()))) {
    metrics = opts.metrics ? opts.metrics : std::make_shared<MetricsRegistry>();
    if (cfg.access_log)
      access_log = AccessLog(opts.access_log ? opts.access_log : AccessLog::make_stdout_logger());
    metrics->declare("duet_http_requests_total", MetricsRegistry::Type::kCounter,
                     "HTTP requests by route pattern, method and status.");
    metrics->declare("duet_http_request_duration_seconds", MetricsRegistry::Type::kHistogram,
                     "HTTP request latency by route pattern (from request header read until the response is ready to send).",
                     default_latency_buckets());
    metrics->declare("duet_http_requests_in_flight", MetricsRegistry::Type::kGauge,
                     "HTTP requests being handled.");
    metrics->declare("duet_http_connections_active", MetricsRegistry::Type::kGauge,
                     "Open HTTP connections.");
    in_flight = &metrics->gauge("duet_http_requests_in_flight");
    tracker->connections_gauge = &metrics->gauge("duet_http_connections_active");
    add_builtins();
    largest_route_body_limit = router.largest_route_body_limit();
  }

  void add_builtins() {
    if (!router.has_pattern("/healthz"))
      router.on("GET", "/healthz", [](const Request&) {
        return Response::json(200, R"({"status":"ok"})");
      });
    if (!router.has_pattern("/readyz"))
      router.on("GET", "/readyz", [this](const Request& req) {
        bool ready = !draining.load() && (!opts.readiness || opts.readiness());
        if (ready) return Response::json(200, R"({"status":"ready"})");
        return json_error(503, "not_ready", draining.load() ? "shutting down" : "not ready",
                          req.request_id);
      });
    if (!router.has_pattern("/metrics"))
      router.on("GET", "/metrics", [this](const Request&) {
        Response r;
        r.status = 200;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = metrics->render();
        return r;
      });
  }

  // ---- request handling (no I/O) ----

  Response dispatch(Request& req) {
    Router::Match m = router.match(req.method, req.path);
    switch (m.kind) {
      case Router::MatchKind::kNotFound:
        req.route = std::string(kUnmatched);
        return json_error(404, "not_found", "no such endpoint", req.request_id);
      case Router::MatchKind::kMethodNotAllowed: {
        req.route = m.pattern;
        Response r = json_error(405, "method_not_allowed", "method not allowed for this endpoint",
                                req.request_id);
        std::string allow;
        for (const auto& a : m.allow) allow += (allow.empty() ? "" : ", ") + a;
        r.headers.set("Allow", allow);
        return r;
      }
      case Router::MatchKind::kFound:
        break;
    }
    req.route = m.pattern;
    req.path_params = std::move(m.params);
    try {
      return (*m.handler)(req);
    } catch (const std::exception&) {
      // The exception text is not logged: it may carry request data.
      access_log.warn("handler_exception", "handler threw; request_id=" + req.request_id);
    } catch (...) {
      access_log.warn("handler_exception", "handler threw; request_id=" + req.request_id);
    }
    return json_error(500, "internal", "internal error", req.request_id);
  }

  bhttp::response<bhttp::string_body> to_beast(Response& r, const std::string& request_id,
                                              unsigned version, bool keep_alive) {
    bhttp::response<bhttp::string_body> res;
    res.version(version);
    int status = (r.status >= 100 && r.status <= 999) ? r.status : 500;
    res.result(static_cast<unsigned>(status));
    std::string_view reason = reason_phrase(status);
    if (!reason.empty()) res.reason(beast::string_view(reason.data(), reason.size()));
    for (const auto& [name, value] : r.headers.fields()) {
      if (!header_name_ok(name) || !header_value_ok(value) || iequals(name, "Content-Length") ||
          iequals(name, "Transfer-Encoding") || iequals(name, "Connection")) {
        access_log.warn("bad_response_header", "dropped an invalid or reserved response header");
        continue;
      }
      res.insert(beast::string_view(name.data(), name.size()), beast::string_view(value.data(), value.size()));
    }
    if (!r.content_type.empty() && header_value_ok(r.content_type))
      res.set(bhttp::field::content_type, r.content_type);
    res.set("X-Request-Id", request_id);
    res.keep_alive(keep_alive);
    if (status == 204 || status == 304) {
      // No body and no Content-Length (RFC 9110 §8.6, §15.4.5).
      res.erase(bhttp::field::content_type);
      return res;
    }
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
  }

  void record(std::string_view route, std::string_view method, int status, Clock::time_point start,
              const std::string& request_id, const std::string& remote, std::string_view tenant_id = {}) {
    auto elapsed = Clock::now() - start;
    double secs = std::chrono::duration<double>(elapsed).count();
    if (opts.on_request) {
      RequestOutcome o;
      o.route = route;
      o.method = method_label(method);
      o.status = status;
      o.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
      o.tenant_id = tenant_id;
      try {
        opts.on_request(o);
      } catch (...) {
        access_log.warn("observer_exception", "request observer threw; request_id=" + request_id);
      }
    }
    std::string status_s = std::to_string(status);
    std::string route_s(route);
    metrics->counter("duet_http_requests_total",
                     {{"route", route_s}, {"method", std::string(method_label(method))}, {"status", status_s}})
        .inc();
    metrics->histogram("duet_http_request_duration_seconds", {{"route", route_s}}).observe(secs);
    access_log.log(AccessRecord{request_id, method_label(method), route, status, secs * 1000.0, remote});
  }

  // ---- I/O ----

  template <typename Stream>
  asio::awaitable<void> linger_close(Conn<Stream>& c) {
    // Half-close, then discard what the client still sends for a bounded time,
    // so that it reads our error response instead of a connection reset.
    error_code ec;
    auto& lowest = c.lowest();
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest.expires_after(kLingerTime);
    char scratch[16384];
    size_t total = 0;
    while (!ec && total < kLingerMaxBytes) {
      total += co_await lowest.async_read_some(asio::buffer(scratch), asio::redirect_error(asio::use_awaitable, ec));
    }
    lowest.close();
  }

  template <typename Stream>
  asio::awaitable<void> graceful_close(Conn<Stream>& c) {
    error_code ec;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      c.lowest().expires_after(kLingerTime);
      co_await c.stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    } else {
      c.lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    c.lowest().close();
  }

  // Answers an early error (malformed request, limits) and closes.
  template <typename Stream>
  asio::awaitable<void> reject(Conn<Stream>& c, bhttp::request_parser<bhttp::string_body>& parser,
                               int status, std::string_view code, std::string_view message,
                               Clock::time_point start, const std::string& remote) {
    std::string request_id = new_request_id();
    const auto& msg = parser.get();
    std::string method(msg.method_string());
    std::string route(kUnmatched);
    if (status == 413) {  // the header is complete: label by the route it was meant for
      std::string_view target(msg.target().data(), msg.target().size());
      Router::Match m = router.match(method, target.substr(0, target.find('?')));
      if (m.kind != Router::MatchKind::kNotFound) route = m.pattern;
    }
    Response r = json_error(status, code, message, request_id);
    unsigned version = msg.version() == 10 ? 10 : 11;
    auto res = to_beast(r, request_id, version, false);
    // Recorded before the write, so a client that has its answer also sees it counted.
    record(route, method.empty() ? "other" : method, status, start, request_id, remote);
    error_code ec;
    c.lowest().expires_after(cfg.request_timeout);
    co_await bhttp::async_write(c.stream, res, asio::redirect_error(asio::use_awaitable, ec));
    co_await linger_close(c);
  }

  template <typename Stream>
  asio::awaitable<void> session(std::shared_ptr<Conn<Stream>> c, std::string remote) {
    uint64_t id = tracker->add(c);
    struct Unregister {
      std::shared_ptr<Tracker> t;
      uint64_t id;
      ~Unregister() { t->remove(id); }
    } unregister{tracker, id};

    try {
      error_code ec;
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        c->lowest().expires_after(cfg.request_timeout);
        co_await c->stream.async_handshake(asio::ssl::stream_base::server,
                                           asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          c->lowest().close();
          co_return;
        }
      }

      beast::flat_buffer buffer;
      for (;;) {
        if (draining.load()) break;
        c->idle = true;
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(cfg.max_header_bytes, UINT32_MAX)));
        // The largest limit of any route until the headers name the route
        // (Beast checks Content-Length against it while parsing them).
        parser.body_limit(std::max(cfg.max_body_bytes, largest_route_body_limit));
        c->lowest().expires_after(cfg.idle_timeout);
        co_await bhttp::async_read_header(c->stream, buffer, parser,
                                          asio::redirect_error(asio::use_awaitable, ec));
        c->idle = false;
        Clock::time_point start = Clock::now();
        if (ec == bhttp::error::body_limit) {
          co_await reject(*c, parser, 413, "body_too_large", "request body too large", start, remote);
          co_return;
        }
        if (!ec) {
          // The route's own limit (Router::set_max_body_bytes), else the server's.
          const auto& head = parser.get();
          std::string_view target(head.target().data(), head.target().size());
          Router::Match m = router.match(std::string_view(head.method_string().data(), head.method_string().size()),
                                         target.substr(0, target.find('?')));
          size_t limit = m.kind == Router::MatchKind::kFound && m.max_body_bytes > 0 ? m.max_body_bytes
                                                                                     : cfg.max_body_bytes;
          if (auto length = parser.content_length(); length && *length > limit) {
            co_await reject(*c, parser, 413, "body_too_large", "request body too large", start, remote);
            co_return;
          }
          parser.body_limit(limit);
        }
        if (ec == bhttp::error::header_limit) {
          co_await reject(*c, parser, 431, "headers_too_large", "request headers too large", start, remote);
          co_return;
        }
        if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
          co_await reject(*c, parser, 400, "bad_request", "malformed HTTP request", start, remote);
          co_return;
        }
        if (ec) break;  // EOF, reset, idle timeout or cancelled by shutdown

        if (auto expect = parser.get()[bhttp::field::expect]; iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
          c->lowest().expires_after(cfg.request_timeout);
          co_await bhttp::async_write(c->stream, cont, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) break;
        }
        if (!parser.is_done()) {
          c->lowest().expires_after(cfg.request_timeout);
          co_await bhttp::async_read(c->stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
          if (ec == bhttp::error::body_limit) {
            co_await reject(*c, parser, 413, "body_too_large", "request body too large", start, remote);
            co_return;
          }
          if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
              ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
            co_await reject(*c, parser, 400, "bad_request", "malformed HTTP request", start, remote);
            co_return;
          }
          if (ec) break;
        }

        auto& msg = parser.get();
        Request req;
        req.method = std::string(msg.method_string());
        std::string_view target(msg.target().data(), msg.target().size());
        size_t q = target.find('?');
        req.path = std::string(target.substr(0, q));
        if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
        for (const auto& f : msg)
          req.headers.add(std::string(f.name_string()), std::string(f.value()));
        req.body = std::move(msg.body());
        req.remote_address = remote;
        req.request_id = new_request_id();
        bool keep_alive = msg.keep_alive();

        in_flight->add(1);
        Response resp = dispatch(req);
        in_flight->add(-1);

        if (resp.status < 200 || resp.status > 599) {  // not a valid final status
          access_log.warn("bad_status", "handler returned an invalid status; request_id=" + req.request_id);
          resp = json_error(500, "internal", "internal error", req.request_id);
        }
        int status = resp.status;
        std::string tenant_id = std::move(resp.tenant_id);
        bool keep = keep_alive && !draining.load();
        auto res = to_beast(resp, req.request_id, msg.version() == 10 ? 10 : 11, keep);
        record(req.route, req.method, status, start, req.request_id, remote, tenant_id);
        c->lowest().expires_after(cfg.request_timeout);
        co_await bhttp::async_write(c->stream, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        if (!keep) {
          co_await graceful_close(*c);
          co_return;
        }
      }
      c->lowest().close();
    } catch (const std::exception& e) {
      access_log.warn("session_error", e.what());
      error_code ignored;
      c->lowest().socket().close(ignored);
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket sock(asio::make_strand(ioc));
      error_code ec;
      co_await acceptor->async_accept(sock, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || draining.load() || !acceptor->is_open()) co_return;
        access_log.warn("accept_failed", ec.message());
        asio::steady_timer t(acceptor->get_executor(), std::chrono::milliseconds(50));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));  // e.g. EMFILE
        continue;
      }
      if (draining.load()) co_return;
      sock.set_option(tcp::no_delay(true), ec);
      auto ep = sock.remote_endpoint(ec);
      std::string remote = ec ? std::string() : ep.address().to_string();
      auto on_done = [this](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          access_log.warn("session_error", ex.what());
        } catch (...) {
          access_log.warn("session_error", "unknown exception");
        }
      };
      if (ssl_ctx) {
        auto c = std::make_shared<Conn<TlsStream>>(std::move(sock), *ssl_ctx);
        auto ex = c->stream.get_executor();
        asio::co_spawn(ex, session(std::move(c), std::move(remote)), on_done);
      } else {
        auto c = std::make_shared<Conn<PlainStream>>(std::move(sock));
        auto ex = c->stream.get_executor();
        asio::co_spawn(ex, session(std::move(c), std::move(remote)), on_done);
      }
    }
  }

  Status setup_tls() {
    std::string cert = cfg.tls_cert, key = cfg.tls_key;
    if (cert.empty()) {
      DUET_ASSIGN_OR_RETURN(DevCertificate dev, ensure_dev_certificate(cfg.tls_dev_dir));
      cert = dev.cert_path;
      key = dev.key_path;
    }
    ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ssl_ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    error_code ec;
    ssl_ctx->use_certificate_chain_file(cert, ec);
    if (ec) return make_error(ErrorCode::kInvalidArgument, "tls certificate " + cert + ": " + ec.message());
    ssl_ctx->use_private_key_file(key, asio::ssl::context::pem, ec);
    if (ec) return make_error(ErrorCode::kInvalidArgument, "tls key " + key + ": " + ec.message());
    return Status::Ok();
  }

  Status start() {
    {
      std::lock_guard lock(state_mu);
      if (started) return make_error(ErrorCode::kBadState, "server already started");
      started = true;
    }
    DUET_TRY_STATUS(cfg.validate());
    if (cfg.tls_enabled()) DUET_TRY_STATUS(setup_tls());

    error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(cfg.listen_host, std::to_string(cfg.listen_port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    std::string where = cfg.listen_host + ":" + std::to_string(cfg.listen_port);
    if (ec || results.empty())
      return make_error(ErrorCode::kInvalidArgument, "cannot resolve listen address " + where);
    tcp::endpoint ep = results.begin()->endpoint();

    acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(ioc));
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return make_error(ErrorCode::kInternal, "cannot listen on " + where + ": " + ec.message());
    port = acceptor->local_endpoint(ec).port();

    work.emplace(ioc.get_executor());
    asio::co_spawn(acceptor->get_executor(), accept_loop(), [this](std::exception_ptr e) {
      if (e) access_log.warn("accept_loop_error", "accept loop ended with an exception");
    });
    unsigned n = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
      threads.emplace_back([this] {
        for (;;) {
          try {
            ioc.run();
            return;
          } catch (const std::exception& e) {
            access_log.warn("worker_error", e.what());
          }
        }
      });
    }
    return Status::Ok();
  }

  void stop() {
    {
      std::unique_lock lock(state_mu);
      if (!started || threads.empty()) {
        stopped = true;
        state_cv.notify_all();
        return;
      }
      if (stopping) {
        state_cv.wait(lock, [&] { return stopped; });
        return;
      }
      stopping = true;
    }
    draining = true;

    // Stop accepting (on the acceptor's strand), then close idle connections.
    std::promise<void> closed;
    asio::post(acceptor->get_executor(), [&] {
      error_code ec;
      acceptor->close(ec);
      closed.set_value();
    });
    closed.get_future().wait();
    tracker->for_each([](ConnBase& c) { c.close_if_idle(); });

    // Let in-flight requests finish, bounded by the drain timeout.
    if (!tracker->wait_empty(Clock::now() + cfg.drain_timeout)) {
      access_log.warn("drain_timeout", "closing connections still open after the drain timeout");
      tracker->for_each([](ConnBase& c) { c.force_close(); });
      tracker->wait_empty(Clock::now() + std::chrono::seconds(2));
    }
    work.reset();
    ioc.stop();
    for (auto& t : threads)
      if (t.joinable()) t.join();

    std::lock_guard lock(state_mu);
    stopped = true;
    state_cv.notify_all();
  }

  void wait() {
    std::unique_lock lock(state_mu);
    state_cv.wait(lock, [&] { return stopped; });
  }
};

Server::Server(ServerConfig config, Router router, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(router), std::move(options))) {}

Server::~Server() {
  if (impl_) impl_->stop();
}

Status Server::start() { return impl_->start(); }
uint16_t Server::port() const { return impl_->port.load(); }
bool Server::tls() const { return impl_->ssl_ctx != nullptr; }
void Server::stop() { impl_->stop(); }
void Server::wait() { impl_->wait(); }
std::vector<Router::RouteInfo> Server::routes() const { return impl_->router.routes(); }
MetricsRegistry& Server::metrics() { return *impl_->metrics; }

}  // namespace duet::http
