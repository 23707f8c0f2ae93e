// Unit tests of the Boost-free parts: model, router, metrics, config, dev cert, access log.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "http/access_log.h"
#include "http/config.h"
#include "http/dev_cert.h"
#include "http/http.h"
#include "http/metrics.h"
#include "http/router.h"

namespace duet::http {
namespace {

Handler reply(std::string text) {
  return [text](const Request&) { return Response::text(200, text); };
}

TEST(HttpModel, HeadersAreCaseInsensitive) {
  Headers h;
  h.add("Content-Type", "application/json");
  h.add("X-Duet-App-Id", "a1");
  EXPECT_EQ(h.get("content-type").value(), "application/json");
  EXPECT_EQ(h.get("X-DUET-APP-ID").value(), "a1");
  EXPECT_FALSE(h.get("x-missing").has_value());
  h.set("CONTENT-TYPE", "text/plain");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.get("content-type").value(), "text/plain");
}

TEST(HttpModel, QueryParams) {
  Request r;
  r.query = "a=1&b=hello+world&c=%E4%BD%A0&flag&a=2";
  EXPECT_EQ(r.query_param("a").value(), "1");
  EXPECT_EQ(r.query_param("b").value(), "hello world");
  EXPECT_EQ(r.query_param("c").value(), "\xE4\xBD\xA0");
  EXPECT_EQ(r.query_param("flag").value(), "");
  EXPECT_FALSE(r.query_param("zz").has_value());
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
}

TEST(HttpModel, JsonErrorShape) {
  Response r = json_error(409, "state_conflict", "order already signed", "abc123");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "state_conflict");
  EXPECT_EQ(j["error"]["message"], "order already signed");
  EXPECT_EQ(j["error"]["request_id"], "abc123");
  EXPECT_EQ(j.size(), 1u);
}

TEST(HttpModel, ErrorResponseMapsCodesAndHidesInternals) {
  Response bad = error_response(Error{ErrorCode::kBadPoint, "not on curve"}, "r1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad.body)["error"]["code"], "bad_point");
  Response locked = error_response(Error{ErrorCode::kLocked, "too many"}, "r1");
  EXPECT_EQ(locked.status, 423);
  Response proof = error_response(Error{ErrorCode::kBadProof, "x"}, "r1");
  EXPECT_EQ(proof.status, 422);
  EXPECT_EQ(error_response(Error{ErrorCode::kNotFound, "no order"}, "r").status, 404);
  EXPECT_EQ(error_response(Error{ErrorCode::kUnauthenticated, "bad sig"}, "r").status, 401);
  EXPECT_EQ(error_response(Error{ErrorCode::kTenantSuspended, "x"}, "r").status, 403);
  EXPECT_EQ(error_response(Error{ErrorCode::kQuotaExhausted, "x"}, "r").status, 402);
  EXPECT_EQ(error_response(Error{ErrorCode::kRateLimited, "x"}, "r").status, 429);
  Response unavailable = error_response(Error{ErrorCode::kUnavailable, "KEK down: pkcs11 rv=0x30"}, "r");
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(nlohmann::json::parse(unavailable.body)["error"]["code"], "unavailable");
  EXPECT_EQ(unavailable.body.find("pkcs11"), std::string::npos);
  Response internal = error_response(Error{ErrorCode::kCryptoFailure, "EVP_xxx failed at ..."}, "r1");
  EXPECT_EQ(internal.status, 500);
  auto j = nlohmann::json::parse(internal.body);
  EXPECT_EQ(j["error"]["code"], "internal");
  EXPECT_EQ(j["error"]["message"], "internal error");
}

TEST(HttpModel, RequestIdsAreRandomHex) {
  std::string a = new_request_id(), b = new_request_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Router, MatchesParamsAndPrefersLiterals) {
  Router r;
  r.get("/api/v1/orders/{id}", reply("one"))
      .get("/api/v1/orders/pending", reply("pending"))
      .post("/api/v1/orders", reply("create"))
      .get("/api/v1/holders/{holder}/keys/{key}", reply("key"));

  auto m = r.match("GET", "/api/v1/orders/o%2D42");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.pattern, "/api/v1/orders/{id}");
  EXPECT_EQ(m.params.at("id"), "o-42");

  m = r.match("GET", "/api/v1/orders/pending");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.pattern, "/api/v1/orders/pending");

  m = r.match("GET", "/api/v1/holders/h1/keys/k2");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.params.at("holder"), "h1");
  EXPECT_EQ(m.params.at("key"), "k2");
  Request req;
  req.path_params = m.params;
  EXPECT_EQ(req.param("key"), "k2");
  EXPECT_EQ(req.param("nope"), "");

  EXPECT_EQ(r.match("GET", "/api/v1/orders/").kind, Router::MatchKind::kNotFound);  // empty param
  EXPECT_EQ(r.match("GET", "/api/v1/orders/1/x").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.match("GET", "/nothing").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.match("GET", "").kind, Router::MatchKind::kNotFound);
}

TEST(Router, MethodNotAllowedListsAllow) {
  Router r;
  r.get("/a/{id}", reply("g")).put("/a/{id}", reply("p")).del("/a/special", reply("d"));
  auto m = r.match("POST", "/a/1");
  ASSERT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, (std::vector<std::string>{"GET", "PUT"}));
  m = r.match("POST", "/a/special");
  ASSERT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, (std::vector<std::string>{"DELETE", "GET", "PUT"}));
  EXPECT_EQ(r.match("GET", "/a/special").pattern, "/a/{id}");  // GET falls back to the param route
}

TEST(Router, RejectsBadAndDuplicateRoutes) {
  Router r;
  EXPECT_TRUE(r.add("GET", "/x/{id}", reply("")).ok());
  EXPECT_EQ(r.add("GET", "/x/{other}", reply("")).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(r.add("POST", "/x/{id}", reply("")).ok());
  EXPECT_FALSE(r.add("GET", "no-slash", reply("")).ok());
  EXPECT_FALSE(r.add("GET", "/a/b{c}", reply("")).ok());
  EXPECT_FALSE(r.add("GET", "/a/{}", reply("")).ok());
  EXPECT_FALSE(r.add("GET", "/a/{x}/{x}", reply("")).ok());
  EXPECT_FALSE(r.add("GET", "/a?q", reply("")).ok());
  EXPECT_FALSE(r.add("GE T", "/a", reply("")).ok());
  EXPECT_FALSE(r.add("GET", "/a", Handler{}).ok());
}

TEST(Router, ListsRoutesInOrder) {
  Router r;
  r.post("/api/v1/orders", reply("")).get("/api/v1/orders/{id}", reply(""));
  auto routes = r.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0], (Router::RouteInfo{"POST", "/api/v1/orders"}));
  EXPECT_EQ(routes[1], (Router::RouteInfo{"GET", "/api/v1/orders/{id}"}));
}

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry m;
  m.declare("jobs_total", MetricsRegistry::Type::kCounter, "Jobs done.");
  m.counter("jobs_total", {{"kind", "a"}}).inc();
  m.counter("jobs_total", {{"kind", "a"}}).inc(2);
  m.counter("jobs_total", {{"kind", "q\"uo\\te\n"}}).inc();
  m.gauge("queue_depth").set(7);
  m.declare("lat_seconds", MetricsRegistry::Type::kHistogram, "Latency.", {0.1, 1});
  auto& h = m.histogram("lat_seconds", {{"route", "/x/{id}"}});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.5);
  h.observe(7);
  std::string text = m.render();
  EXPECT_NE(text.find("# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("jobs_total{kind=\"a\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("jobs_total{kind=\"q\\\"uo\\\\te\\n\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE queue_depth gauge\nqueue_depth 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x/{id}\",le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x/{id}\",le=\"1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x/{id}\",le=\"+Inf\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_sum{route=\"/x/{id}\"} 7.65\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count{route=\"/x/{id}\"} 4\n"), std::string::npos) << text;
}

TEST(Metrics, LabelOrderDoesNotMatter) {
  MetricsRegistry m;
  m.counter("c", {{"a", "1"}, {"b", "2"}}).inc();
  m.counter("c", {{"b", "2"}, {"a", "1"}}).inc();
  EXPECT_EQ(m.counter("c", {{"a", "1"}, {"b", "2"}}).value(), 2);
}

TEST(Config, DefaultsFileAndEnvOverrides) {
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto d = parse_server_config("", none);
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->listen_host, "127.0.0.1");
  EXPECT_EQ(d->max_body_bytes, 1024u * 1024u);
  EXPECT_FALSE(d->tls_enabled());

  const char* toml = R"(
[store]
path = "ignored, belongs to another layer"
[http]
listen = "[::1]:9443"
threads = 4
max_body_bytes = 2048
drain_timeout_ms = 1500
access_log = false
[http.tls]
cert = "/etc/c.pem"
key = "/etc/k.pem"
)";
  auto c = parse_server_config(toml, none);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->listen_host, "::1");
  EXPECT_EQ(c->listen_port, 9443);
  EXPECT_EQ(c->threads, 4u);
  EXPECT_EQ(c->max_body_bytes, 2048u);
  EXPECT_EQ(c->drain_timeout.count(), 1500);
  EXPECT_FALSE(c->access_log);
  EXPECT_EQ(c->tls_cert, "/etc/c.pem");

  std::map<std::string, std::string, std::less<>> env = {
      {"DUET_LISTEN", "0.0.0.0:8081"}, {"DUET_TLS_CERT", "/run/c.pem"}, {"DUET_TLS_KEY", "/run/k.pem"},
      {"DUET_MAX_BODY_BYTES", "4096"}, {"DUET_ACCESS_LOG", "yes"}, {"DUET_HTTP_THREADS", "3"}};
  auto lookup = [&](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto e = parse_server_config(toml, lookup);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(e->listen_host, "0.0.0.0");
  EXPECT_EQ(e->listen_port, 8081);
  EXPECT_EQ(e->tls_cert, "/run/c.pem");
  EXPECT_EQ(e->tls_key, "/run/k.pem");
  EXPECT_EQ(e->max_body_bytes, 4096u);
  EXPECT_EQ(e->threads, 3u);
  EXPECT_TRUE(e->access_log);
}

TEST(Config, RejectsMistakes) {
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_FALSE(parse_server_config("[http]\nlisten_addr = \"x\"\n", none).ok());  // typo'd key
  EXPECT_FALSE(parse_server_config("[http]\nlisten = \"nohostport\"\n", none).ok());
  EXPECT_FALSE(parse_server_config("[http]\nlisten = \"h:99999\"\n", none).ok());
  EXPECT_FALSE(parse_server_config("[http]\nthreads = -1\n", none).ok());
  EXPECT_FALSE(parse_server_config("[http.tls]\ncert = \"/only/cert\"\n", none).ok());
  EXPECT_FALSE(parse_server_config("[http\n", none).ok());  // TOML syntax
  auto bad_env = [](std::string_view n) -> std::optional<std::string> {
    if (n == "DUET_MAX_BODY_BYTES") return "lots";
    return std::nullopt;
  };
  EXPECT_FALSE(parse_server_config("", bad_env).ok());
  EXPECT_FALSE(load_server_config("/nonexistent/duet.toml", none).ok());
}

TEST(DevCert, WritesKeyWithMode0600AndReuses) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("duet-devcert-" + new_request_id())).string();
  auto a = generate_dev_certificate(dir);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  struct stat st {};
  ASSERT_EQ(::stat(a->key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(a->cert_path.c_str(), &st), 0);
  EXPECT_GT(st.st_size, 100);
  auto mtime = std::filesystem::last_write_time(a->cert_path);
  auto b = ensure_dev_certificate(dir);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(std::filesystem::last_write_time(b->cert_path), mtime);  // reused
  std::filesystem::remove_all(dir);
}

TEST(AccessLogFormat, HasTheFieldsAndOnlyThem) {
  std::string line = AccessLog::format({"rid1", "GET", "/api/v1/orders/{id}", 200, 1.23456, "127.0.0.1"});
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j.size(), 8u);
  EXPECT_EQ(j["request_id"], "rid1");
  EXPECT_EQ(j["route"], "/api/v1/orders/{id}");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["level"], "info");
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.235);
  EXPECT_TRUE(j.contains("ts"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace duet::http
