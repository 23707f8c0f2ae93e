// Helpers shared by the server tests: temp dirs, HTTP calls, signed requests,
// a tenant with its app credentials, and a device's side of activation and of
// a signing round over HTTP.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/consent.h"
#include "base/bytes.h"
#include "base/result_testing.h"
#include "core/request_signing.h"
#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/random.h"
#include "httpclient/http_client.h"
#include "server/daemon.h"
#include "server/daemon_config.h"

namespace duet::server::testing {

// The audit witness files a daemon on dir leaves beside it ([audit]
// witness_file's default, <dir>.audit-witness.jsonl), removed at exit: the
// tests remove their directories, not what lies beside them.
struct WitnessFilesBeside {
  std::mutex mu;
  std::vector<std::filesystem::path> dirs;
  ~WitnessFilesBeside() {
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove(d.string() + ".audit-witness.jsonl", ec);
  }
};

inline std::filesystem::path temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  static WitnessFilesBeside witnesses;
  auto dir = std::filesystem::temp_directory_path() /
             ("duet-srv-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::lock_guard<std::mutex> lock(witnesses.mu);
  witnesses.dirs.push_back(dir);
  return dir;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A development daemon on an ephemeral loopback port, its data in `dir`:
// no access log, no sandbox rate limit, the public URL the tests expect.
inline DaemonConfig loopback_dev_config(const std::filesystem::path& dir, unsigned threads) {
  DaemonConfig c;
  c.dev = true;
  c.keys.kek = "file";
  c.http.listen_host = "127.0.0.1";
  c.http.listen_port = 0;
  c.http.threads = threads;
  c.http.access_log = false;
  c.service.data_dir = dir.string();
  c.service.core.public_url = "https://duet.example";
  c.limits.sandbox_requests_per_second = 0;
  return c;
}

// Daemon::create and start(): the daemon serving, or the error of either step.
inline Result<std::unique_ptr<Daemon>> start_daemon(const DaemonConfig& c, DaemonOptions options = {}) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<Daemon> d, Daemon::create(c, std::move(options)));
  DUET_TRY_STATUS(d->start());
  return d;
}

// Sends `req` (with a JSON content type when it has a body). A transport
// failure fails the test and answers an empty response.
inline httpclient::HttpResponse send(httpclient::HttpClient& client, httpclient::HttpRequest req) {
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auto r = client.perform(req);
  EXPECT_TRUE(r.ok()) << req.method << " " << req.url;
  return r.ok() ? *r : httpclient::HttpResponse{};
}

// Sends METHOD url with `body` and `headers` through send() above.
inline httpclient::HttpResponse send(httpclient::HttpClient& client, const std::string& method, const std::string& url,
                                     const std::string& body, httpclient::HeaderList headers) {
  httpclient::HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers = std::move(headers);
  return send(client, std::move(req));
}

// Sends every request at once: one thread and connection each, released
// together. The statuses in the order of `requests` (-1: no answer).
inline std::vector<int> send_at_once(const std::vector<httpclient::HttpRequest>& requests) {
  std::vector<int> statuses(requests.size(), -1);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < requests.size(); ++i) {
    threads.emplace_back([&, i] {
      httpclient::HttpClient own;  // one connection per thread
      while (!go.load()) std::this_thread::yield();
      auto r = own.perform(requests[i]);
      statuses[i] = r.ok() ? r->status : -1;
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  return statuses;
}

// ---- the Business API --------------------------------------------------------

struct AppCred {
  std::string app_id, secret;
};

// The headers of a Business API request to `target` (path and query) signed
// with request-signature v1 at `timestamp` with `nonce`.
inline httpclient::HeaderList signed_request_headers(const AppCred& cred, const std::string& method,
                                                     const std::string& target, const std::string& body,
                                                     const std::string& timestamp, const std::string& nonce) {
  std::string path = target, query;
  if (auto q = target.find('?'); q != std::string::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  std::string sig = core::sign_request(cred.secret, method, path, query, timestamp, nonce, body);
  return {{"X-Duet-App-Id", cred.app_id},
          {"X-Duet-Timestamp", timestamp},
          {"X-Duet-Nonce", nonce},
          {"X-Duet-Signature", sig}};
}

// METHOD target body, with the caller's authentication: an admin, device or
// plain call of a test fixture.
using HttpCall = std::function<httpclient::HttpResponse(const std::string& method, const std::string& target,
                                                        const std::string& body)>;

// A tenant made over the Admin API, with one app's two credentials.
struct TenantApps {
  std::string tenant_id;
  AppCred sandbox, production;
};

// POST /admin/v1/tenants with `tenant` as the body, then one app of it.
inline TenantApps create_tenant_apps(const HttpCall& admin, const nlohmann::json& tenant) {
  using nlohmann::json;
  auto t = admin("POST", "/admin/v1/tenants", tenant.dump());
  EXPECT_EQ(t.status, 201) << t.body;
  TenantApps out;
  out.tenant_id = json::parse(t.body, nullptr, false).value("tenant_id", "");
  auto a = admin("POST", "/admin/v1/tenants/" + out.tenant_id + "/apps", "");
  EXPECT_EQ(a.status, 201) << a.body;
  json aj = json::parse(a.body, nullptr, false);
  if (!aj.is_object() || !aj.contains("sandbox") || !aj.contains("production")) {
    ADD_FAILURE() << "no credentials in " << a.body;
    return out;
  }
  out.sandbox = {aj["sandbox"]["app_id"], aj["sandbox"]["secret"]};
  out.production = {aj["production"]["app_id"], aj["production"]["secret"]};
  EXPECT_EQ(aj["production"]["environment"], "production");
  return out;
}

// ---- the device's side ---------------------------------------------------------

struct TestDevice {
  std::string holder_id;
  std::string token;
  std::optional<cosign::DeviceState> state;  // set once enrolled
};

// The "consents" array of the current agreement texts (docs/consent.md), as
// a holder app sends it (no accepted_at) or, with `accepted_at`, as a
// business system attests it.
inline nlohmann::json current_consents_json(std::optional<int64_t> accepted_at = std::nullopt) {
  nlohmann::json arr = nlohmann::json::array();
  for (const core::GivenConsent& g : core::accept_current_agreements(accepted_at)) {
    nlohmann::json j{{"document", g.document}, {"version", g.version}, {"text_sm3", g.text_sm3_hex}};
    if (g.accepted_at) j["accepted_at"] = *g.accepted_at;
    arr.push_back(std::move(j));
  }
  return arr;
}

// Redeems activation code `code` for `holder_id` (POST /app/v1/activations,
// unauthenticated, through `call`): two-party key generation, the device's
// state wrapped under `pin`.
inline TestDevice activate_device(const HttpCall& call, const std::string& holder_id, const std::string& code,
                                  const std::string& pin, uint32_t kdf_iterations) {
  using nlohmann::json;
  using duet::testing_support::ok_value;
  TestDevice d;
  d.holder_id = holder_id;
  auto [dk, req] = ok_value(cosign::DeviceKeygen::start(holder_id, crypto::SystemRandom::instance()));
  auto act = call("POST", "/app/v1/activations", json{{"code", code}, {"keygen", json::parse(cosign::to_json(req))},
                                                      {"consents", current_consents_json()}}.dump());
  EXPECT_EQ(act.status, 201) << act.body;
  json aj = json::parse(act.body, nullptr, false);
  EXPECT_EQ(aj["holder_id"], holder_id);
  d.token = aj["device_token"];
  auto resp = ok_value(cosign::parse_keygen_response(aj["keygen"].dump()));
  auto state = dk.finish(resp, pin, kdf_iterations, crypto::SystemRandom::instance());
  EXPECT_TRUE(state.ok());
  if (state.ok()) d.state.emplace(std::move(*state));
  return d;
}

// The digests e of the items of an order as the Holder API shows it
// (GET /app/v1/orders/{id}), which the device signs.
inline std::vector<crypto::Digest> order_digests(const nlohmann::json& order) {
  using duet::testing_support::ok_value;
  std::vector<crypto::Digest> digests;
  for (const auto& it : order["items"]) {
    auto e_bytes = ok_value(from_hex_exact(it["e"].get<std::string>(), 32));
    crypto::Digest e{};
    std::copy(e_bytes.begin(), e_bytes.end(), e.begin());
    digests.push_back(e);
  }
  return digests;
}

// The device's side of one signing round over HTTP, through `device` (calls
// with the device's token): fetch the order's digests, start session
// `session_id` with the PIN, finish. Returns the finish answer, or the start
// answer when the start was refused.
inline httpclient::HttpResponse device_sign_round(const HttpCall& device, const cosign::DeviceState& state,
                                                  const std::string& order_id, const std::string& pin,
                                                  const std::string& session_id) {
  using nlohmann::json;
  using duet::testing_support::ok_value;
  auto details = device("GET", "/app/v1/orders/" + order_id, "");
  EXPECT_EQ(details.status, 200) << details.body;
  std::vector<crypto::Digest> digests = order_digests(json::parse(details.body, nullptr, false));
  auto started = ok_value(cosign::DeviceSignSession::start(state, pin, {order_id, session_id, digests},
                                                           crypto::SystemRandom::instance()));
  json body = json::parse(cosign::to_json(started.second));
  body["session_id"] = session_id;
  auto start = device("POST", "/app/v1/orders/" + order_id + "/sessions", body.dump());
  if (start.status != 201) return start;
  json sj = json::parse(start.body, nullptr, false);
  EXPECT_EQ(sj["session_id"], session_id);
  std::vector<cosign::SignResponse> responses;
  for (const auto& item : sj["items"]) responses.push_back(ok_value(cosign::parse_sign_response(item.dump())));
  auto f = ok_value(started.first.finish(responses));
  json fin = json::array();
  for (const auto& sf : f.first) fin.push_back(json::parse(cosign::to_json(sf)));
  return device("POST", "/app/v1/orders/" + order_id + "/sessions/" + session_id + "/finish",
                json{{"items", fin}}.dump());
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace duet::server::testing
