// Integration tests: a real server on 127.0.0.1 with an ephemeral port, driven
// by a small blocking socket client (full control over bytes on the wire, for
// malformed and oversized requests) and by curl for HTTPS.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http/server.h"

namespace duet::http {
namespace {

using namespace std::chrono_literals;

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// A blocking HTTP/1.1 client over one TCP connection (keep-alive capable).
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  bool send_raw(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response; status 0 if the connection closed first.
  HttpReply read_reply() {
    HttpReply r;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    std::istringstream head(buf_.substr(0, end));
    buf_.erase(0, end + 4);
    std::string line;
    std::getline(head, line);
    if (line.size() < 12) return r;
    r.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    size_t len = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buf_.size() < len)
      if (!fill()) return HttpReply{};
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& extra_headers = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT")
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    if (!send_raw(req)) return HttpReply{};
    return read_reply();
  }

  // True if the peer closed the connection (EOF) within the timeout.
  bool closed_by_peer() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0;
  }

 private:
  bool fill() {
    char tmp[8192];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

HttpReply get(uint16_t port, const std::string& target) {
  RawClient c(port);
  return c.request("GET", target);
}

bool is_request_id(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

struct RunResult {
  int exit_code;
  std::string output;
};
RunResult run(const std::string& cmd) {
  RunResult r{-1, {}};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.get("/api/v1/orders/{id}", [](const Request& req) {
      nlohmann::json j = {{"id", req.param("id")},
                          {"route", req.route},
                          {"q", req.query_param("q").value_or("")},
                          {"app", std::string(req.header("x-duet-app-id").value_or(""))},
                          {"remote", req.remote_address},
                          {"request_id", req.request_id}};
      return Response::json(200, j.dump());
    });
    router_.put("/api/v1/orders/{id}", [](const Request&) { return Response::empty(204); });
    router_.post("/echo", [](const Request& req) {
      Response r = Response::text(201, req.body);
      r.headers.set("X-Body-Size", std::to_string(req.body.size()));
      return r;
    });
    router_.get("/boom", [](const Request&) -> Response { throw std::runtime_error("secret detail"); });
    router_.get("/boom-int", [](const Request&) -> Response { throw 42; });
    router_.get("/slow", [this](const Request&) {
      slow_entered_ = true;
      std::this_thread::sleep_for(slow_time_);
      return Response::text(200, "slow done");
    });
    router_.get("/weird-status", [](const Request&) { return Response::text(42, "x"); });
    router_.get("/no-content", [](const Request&) { return Response::text(204, "dropped"); });
    router_.get("/bad-header", [](const Request&) {
      Response r = Response::text(200, "ok");
      r.headers.set("X-Injected", "a\r\nSet-Cookie: evil=1");
      return r;
    });

    config_.listen_host = "127.0.0.1";
    config_.listen_port = 0;
    config_.threads = 4;
    config_.max_body_bytes = 4096;
    config_.drain_timeout = 5s;
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  void start(ServerOptions opts = {}) {
    if (!opts.access_log) {
      opts.access_log = std::make_shared<spdlog::logger>(
          "test.access", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
      opts.access_log->set_pattern("%v");
    }
    server_ = std::make_unique<Server>(config_, router_, std::move(opts));
    Status st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    ASSERT_NE(server_->port(), 0);
  }

  uint16_t port() const { return server_->port(); }

  Router router_;
  ServerConfig config_;
  std::unique_ptr<Server> server_;
  std::ostringstream log_;
  std::atomic<bool> slow_entered_{false};
  std::chrono::milliseconds slow_time_{600};
};

TEST_F(ServerTest, RoutesWithParamsAndEchoesRequestId) {
  start();
  RawClient c(port());
  ASSERT_TRUE(c.connected());
  HttpReply r = c.request("GET", "/api/v1/orders/ord%2D7?q=a+b&x=1", "", "X-Duet-App-Id: app9\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto j = r.json();
  EXPECT_EQ(j["id"], "ord-7");
  EXPECT_EQ(j["route"], "/api/v1/orders/{id}");
  EXPECT_EQ(j["q"], "a b");
  EXPECT_EQ(j["app"], "app9");
  EXPECT_EQ(j["remote"], "127.0.0.1");
  EXPECT_TRUE(is_request_id(r.header("x-request-id")));
  EXPECT_EQ(j["request_id"], r.header("x-request-id"));

  // Same connection (keep-alive), a new request id.
  HttpReply r2 = c.request("PUT", "/api/v1/orders/1", "{}");
  EXPECT_EQ(r2.status, 204);
  EXPECT_TRUE(is_request_id(r2.header("x-request-id")));
  EXPECT_NE(r2.header("x-request-id"), r.header("x-request-id"));

  HttpReply r3 = c.request("POST", "/echo", "hello body");
  EXPECT_EQ(r3.status, 201);
  EXPECT_EQ(r3.body, "hello body");
  EXPECT_EQ(r3.header("x-body-size"), "10");
}

TEST_F(ServerTest, UnknownPathIs404AndOtherMethodIs405) {
  start();
  HttpReply r = get(port(), "/nope");
  ASSERT_EQ(r.status, 404);
  auto j = r.json();
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["request_id"], r.header("x-request-id"));

  RawClient c(port());
  HttpReply m = c.request("DELETE", "/api/v1/orders/5");
  ASSERT_EQ(m.status, 405);
  EXPECT_EQ(m.header("allow"), "GET, PUT");
  EXPECT_EQ(m.json()["error"]["code"], "method_not_allowed");
}

TEST_F(ServerTest, OversizedBodyIs413WithoutReadingIt) {
  start();
  RawClient small(port());
  HttpReply ok = small.request("POST", "/echo", std::string(4096, 'a'));
  EXPECT_EQ(ok.status, 201);

  // Announce 10 MiB, send only a few bytes: the answer comes from the header alone.
  RawClient c(port());
  ASSERT_TRUE(c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\nabcdef"));
  HttpReply r = c.read_reply();
  ASSERT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "body_too_large");
  EXPECT_TRUE(is_request_id(r.header("x-request-id")));
  EXPECT_EQ(r.header("connection"), "close");

  // Chunked bodies are cut off once they pass the limit.
  RawClient ch(port());
  std::string chunk(3000, 'b');
  char size_hex[16];
  std::snprintf(size_hex, sizeof size_hex, "%zx", chunk.size());
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  req += std::string(size_hex) + "\r\n" + chunk + "\r\n" + std::string(size_hex) + "\r\n" + chunk + "\r\n0\r\n\r\n";
  ASSERT_TRUE(ch.send_raw(req));
  HttpReply rc = ch.read_reply();
  EXPECT_EQ(rc.status, 413);

  // Expect: 100-continue over the limit: 413 instead of 100.
  RawClient e(port());
  ASSERT_TRUE(e.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 99999\r\n\r\n"));
  EXPECT_EQ(e.read_reply().status, 413);

  // Within the limit: 100 Continue, then the real answer.
  RawClient e2(port());
  ASSERT_TRUE(e2.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  EXPECT_EQ(e2.read_reply().status, 100);
  ASSERT_TRUE(e2.send_raw("hello"));
  HttpReply done = e2.read_reply();
  EXPECT_EQ(done.status, 201);
  EXPECT_EQ(done.body, "hello");
}

// A route with its own body limit (documents) takes more than the server's
// max_body_bytes; every other route keeps the server's limit, also while a
// larger route limit exists.
TEST_F(ServerTest, RouteBodyLimitOverridesTheServerLimit) {
  router_.post("/documents", [](const Request& req) { return Response::text(201, std::to_string(req.body.size())); });
  ASSERT_TRUE(router_.set_max_body_bytes("POST", "/documents", 20000).ok());
  EXPECT_EQ(router_.set_max_body_bytes("POST", "/nope", 1).code(), ErrorCode::kNotFound);
  start();
  RawClient big(port());
  HttpReply ok = big.request("POST", "/documents", std::string(15000, 'd'));
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(ok.body, "15000");
  RawClient over(port());
  ASSERT_TRUE(over.send_raw("POST /documents HTTP/1.1\r\nHost: x\r\nContent-Length: 20001\r\n\r\nabc"));
  EXPECT_EQ(over.read_reply().status, 413);
  RawClient other(port());
  ASSERT_TRUE(other.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 15000\r\n\r\nabc"));
  HttpReply r = other.read_reply();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "body_too_large");
  // Chunked: cut off at the route's limit.
  RawClient ch(port());
  std::string chunk(12000, 'c');
  char size_hex[16];
  std::snprintf(size_hex, sizeof size_hex, "%zx", chunk.size());
  std::string req = "POST /documents HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  req += std::string(size_hex) + "\r\n" + chunk + "\r\n" + std::string(size_hex) + "\r\n" + chunk + "\r\n0\r\n\r\n";
  ASSERT_TRUE(ch.send_raw(req));
  EXPECT_EQ(ch.read_reply().status, 413);
}

TEST_F(ServerTest, MalformedRequestsAre400) {
  start();
  for (std::string bad : {std::string("THIS IS NOT HTTP\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
                          std::string("GET / HTTP/9.9\r\nHost: x\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n")}) {
    RawClient c(port());
    ASSERT_TRUE(c.send_raw(bad));
    HttpReply r = c.read_reply();
    EXPECT_EQ(r.status, 400) << bad;
    if (r.status == 400) {
      EXPECT_EQ(r.json()["error"]["code"], "bad_request");
      EXPECT_TRUE(is_request_id(r.json()["error"]["request_id"].get<std::string>()));
    }
  }
  // Oversized header block: 431.
  RawClient big(port());
  ASSERT_TRUE(big.send_raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40000, 'h') + "\r\n\r\n"));
  EXPECT_EQ(big.read_reply().status, 431);
  // Still serving.
  EXPECT_EQ(get(port(), "/healthz").status, 200);
}

TEST_F(ServerTest, HandlerExceptionsAre500AndServerSurvives) {
  start();
  RawClient c(port());
  HttpReply r = c.request("GET", "/boom");
  ASSERT_EQ(r.status, 500);
  auto j = r.json();
  EXPECT_EQ(j["error"]["code"], "internal");
  EXPECT_EQ(j["error"]["request_id"], r.header("x-request-id"));
  EXPECT_EQ(r.body.find("secret detail"), std::string::npos);
  EXPECT_EQ(c.request("GET", "/boom-int").status, 500);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);  // same connection still usable
  EXPECT_EQ(log_.str().find("secret detail"), std::string::npos);
}

TEST_F(ServerTest, InvalidResponsesAreSanitized) {
  start();
  RawClient c(port());
  HttpReply weird = c.request("GET", "/weird-status");
  EXPECT_EQ(weird.status, 500);
  EXPECT_EQ(weird.json()["error"]["code"], "internal");
  HttpReply nc = c.request("GET", "/no-content");
  EXPECT_EQ(nc.status, 204);
  EXPECT_EQ(nc.header("content-length"), "");
  EXPECT_EQ(nc.body, "");
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);  // connection still in sync

  HttpReply r = get(port(), "/bad-header");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-injected"), "");
  EXPECT_EQ(r.header("set-cookie"), "");
}

TEST_F(ServerTest, HealthReadinessAndMetrics) {
  std::atomic<bool> ready{false};
  ServerOptions opts;
  opts.readiness = [&] { return ready.load(); };
  start(std::move(opts));

  EXPECT_EQ(get(port(), "/healthz").status, 200);
  HttpReply nr = get(port(), "/readyz");
  EXPECT_EQ(nr.status, 503);
  EXPECT_EQ(nr.json()["error"]["code"], "not_ready");
  ready = true;
  EXPECT_EQ(get(port(), "/readyz").status, 200);

  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(port(), "/api/v1/orders/" + std::to_string(i)).status, 200);
  EXPECT_EQ(get(port(), "/nope/really").status, 404);
  EXPECT_EQ(get(port(), "/boom").status, 500);

  HttpReply m = get(port(), "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& t = m.body;
  EXPECT_NE(t.find("# TYPE duet_http_requests_total counter"), std::string::npos) << t;
  EXPECT_NE(t.find("duet_http_requests_total{method=\"GET\",route=\"/api/v1/orders/{id}\",status=\"200\"} 3\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("duet_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("duet_http_requests_total{method=\"GET\",route=\"/boom\",status=\"500\"} 1\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("duet_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"503\"} 1\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("# TYPE duet_http_request_duration_seconds histogram"), std::string::npos) << t;
  EXPECT_NE(t.find("duet_http_request_duration_seconds_count{route=\"/api/v1/orders/{id}\"} 3\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("duet_http_request_duration_seconds_bucket{route=\"/api/v1/orders/{id}\",le=\"+Inf\"} 3\n"),
            std::string::npos) << t;
  EXPECT_EQ(t.find("/api/v1/orders/0"), std::string::npos);  // raw paths never become labels
  EXPECT_NE(t.find("duet_http_requests_in_flight"), std::string::npos);

  // Built-ins are listed with the application routes.
  auto routes = server_->routes();
  auto has = [&](std::string method, std::string pattern) {
    return std::find(routes.begin(), routes.end(), Router::RouteInfo{method, pattern}) != routes.end();
  };
  EXPECT_TRUE(has("GET", "/api/v1/orders/{id}"));
  EXPECT_TRUE(has("GET", "/healthz"));
  EXPECT_TRUE(has("GET", "/readyz"));
  EXPECT_TRUE(has("GET", "/metrics"));
}

TEST_F(ServerTest, AccessLogIsJsonWithoutBodiesQueriesOrHeaders) {
  start();
  RawClient c(port());
  EXPECT_EQ(c.request("GET", "/api/v1/orders/42?token=sekret-query", "", "Authorization: Bearer sekret-hdr\r\n").status, 200);
  EXPECT_EQ(c.request("POST", "/echo", "sekret-body").status, 201);
  std::string log = log_.str();
  EXPECT_EQ(log.find("sekret"), std::string::npos) << log;
  std::istringstream lines(log);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    if (!j.contains("request_id")) continue;
    ++n;
    for (const char* k : {"ts", "level", "request_id", "method", "route", "status", "duration_ms", "remote"})
      EXPECT_TRUE(j.contains(k)) << k << " in " << line;
    EXPECT_EQ(j["remote"], "127.0.0.1");
  }
  EXPECT_EQ(n, 2);
  EXPECT_NE(log.find("\"route\":\"/api/v1/orders/{id}\""), std::string::npos) << log;
}

TEST_F(ServerTest, HttpsWithDevCertificate) {
  std::string dir = (std::filesystem::temp_directory_path() / ("duet-http-tls-" + new_request_id())).string();
  config_.tls_dev_dir = dir;
  start();
  EXPECT_TRUE(server_->tls());
  std::string cert = dir + "/dev-cert.pem";
  ASSERT_TRUE(std::filesystem::exists(cert));
  EXPECT_EQ(std::filesystem::status(dir + "/dev-key.pem").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  std::string base = "https://127.0.0.1:" + std::to_string(port());
  // curl verifies the server against the dev certificate (and its 127.0.0.1 SAN).
  RunResult ok = run("curl -sS --max-time 10 --cacert " + cert + " -D - " + base + "/api/v1/orders/tls1");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("HTTP/1.1 200"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("\"id\":\"tls1\""), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("X-Request-Id: "), std::string::npos) << ok.output;

  // Two requests over one TLS connection (keep-alive), and an error body.
  RunResult two = run("curl -sS --max-time 10 --cacert " + cert + " -o /dev/null -w '%{http_code} %{num_connects}\\n' " +
                      base + "/healthz -o /dev/null -w '%{http_code} %{num_connects}\\n' " + base + "/nope");
  EXPECT_EQ(two.exit_code, 0) << two.output;
  EXPECT_NE(two.output.find("200 1\n404 0\n"), std::string::npos) << two.output;

  // Without the dev certificate as trust anchor, verification fails.
  RunResult untrusted = run("curl -sS --max-time 10 " + base + "/healthz");
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.output;

  // Plain HTTP to the TLS port is not served.
  HttpReply plain = get(port(), "/healthz");
  EXPECT_NE(plain.status, 200);
  server_->stop();
  std::filesystem::remove_all(dir);
}

TEST_F(ServerTest, GracefulShutdownLetsInFlightRequestFinish) {
  slow_time_ = 800ms;
  // A drain timeout far above the request's 0.8 s, so that "stop waited for
  // the request only" has a wide margin on a loaded machine (it was 5 s with a
  // 4 s bound).
  config_.drain_timeout = 30s;
  start();
  uint16_t p = port();
  RawClient idle(p);  // an idle keep-alive connection must not hold up shutdown
  ASSERT_EQ(idle.request("GET", "/healthz").status, 200);

  HttpReply slow;
  std::thread client([&] {
    RawClient c(p);
    slow = c.request("GET", "/slow");
  });
  while (!slow_entered_) std::this_thread::sleep_for(5ms);
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  auto took = std::chrono::steady_clock::now() - t0;
  client.join();

  EXPECT_EQ(slow.status, 200);
  EXPECT_EQ(slow.body, "slow done");
  EXPECT_EQ(slow.header("connection"), "close");
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_LT(took, 15s);  // well under the 30 s drain timeout: it waited for the request only
  RawClient after(p);
  EXPECT_FALSE(after.connected() && after.request("GET", "/healthz").status == 200);
  server_->stop();  // idempotent
  server_->wait();
}

TEST_F(ServerTest, DrainTimeoutBoundsShutdownWithStuckClient) {
  config_.drain_timeout = 300ms;
  config_.request_timeout = 30s;
  start();
  // A client that started a request but never finishes its body.
  RawClient stuck(port());
  ASSERT_TRUE(stuck.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"));
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  // Bounded by the 0.3 s drain timeout, not the 30 s request timeout (the
  // bound leaves a loaded machine ample time; it only has to be far below 30 s).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(ServerTest, ConcurrentClients) {
  config_.threads = 2;
  start();
  constexpr int kThreads = 8, kRequests = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      RawClient c(port());
      for (int i = 0; i < kRequests; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        HttpReply r = (i % 2) ? c.request("GET", "/api/v1/orders/" + id) : c.request("POST", "/echo", id);
        bool good = (i % 2) ? (r.status == 200 && r.json()["id"] == id) : (r.status == 201 && r.body == id);
        if (good) ++ok;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
  std::string t = get(port(), "/metrics").body;
  EXPECT_NE(t.find("duet_http_requests_total{method=\"GET\",route=\"/api/v1/orders/{id}\",status=\"200\"} " +
                   std::to_string(kThreads * kRequests / 2) + "\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("duet_http_requests_total{method=\"POST\",route=\"/echo\",status=\"201\"} " +
                   std::to_string(kThreads * kRequests / 2) + "\n"),
            std::string::npos) << t;
}

TEST_F(ServerTest, StartFailsCleanlyOnBadConfig) {
  config_.tls_cert = "/nonexistent/cert.pem";
  config_.tls_key = "/nonexistent/key.pem";
  Server s(config_, router_);
  EXPECT_FALSE(s.start().ok());

  config_.tls_cert.clear();
  config_.tls_key.clear();
  ServerConfig busy = config_;
  start();
  busy.listen_port = port();
  Server s2(busy, router_);
  Status st = s2.start();
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace duet::http
