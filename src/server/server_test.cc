// The real http::Server + workers in-process (server::Daemon on 127.0.0.1,
// port 0, plain HTTP, a temp data dir), driven over HTTP with httpclient,
// signed business requests and the device role from cosign.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/request_signing.h"
#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/random.h"
#include "crypto/sm2_evp.h"
#include "httpclient/http_client.h"
#include "server/api_routes.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"
#include "pki/certificate.h"
#include "pki/test_support.h"

namespace duet::server {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr uint32_t kIters = 1000;

// A tiny HTTP receiver for callbacks: answers 200 to every request and keeps them.
class CallbackReceiver {
 public:
  struct Received {
    std::string head, body;
    std::string header(const std::string& name) const {
      std::istringstream in(head);
      std::string line;
      while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string k = line.substr(0, colon);
        if (strcasecmp(k.c_str(), name.c_str()) != 0) continue;
        std::string v = line.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ')) v.erase(v.begin());
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
        return v;
      }
      return {};
    }
  };

  CallbackReceiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~CallbackReceiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_;
  }

 private:
  void run() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string data;
      char buf[4096];
      size_t header_end = std::string::npos, want = 0;
      while (true) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos) {
          header_end = data.find("\r\n\r\n");
          if (header_end != std::string::npos) {
            Received tmp{data.substr(0, header_end), ""};
            std::string cl = tmp.header("Content-Length");
            want = header_end + 4 + (cl.empty() ? 0 : std::stoul(cl));
          }
        }
        if (header_end != std::string::npos && data.size() >= want) break;
      }
      if (header_end != std::string::npos) {
        std::lock_guard<std::mutex> lock(mu_);
        got_.push_back({data.substr(0, header_end), data.substr(header_end + 4)});
      }
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> got_;
};

struct Cred {
  std::string app_id, secret;
};

struct Device {
  std::string holder_id;
  std::string token;
  std::optional<cosign::DeviceState> state;  // set once enrolled
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("it");
    DaemonConfig c;
    c.dev = true;
    c.keys.kek = "file";  // the PKCS#11 KEK has its own tests (keys, kek_pkcs11)
    c.http.listen_host = "127.0.0.1";
    c.http.listen_port = 0;
    c.http.threads = 4;
    c.http.access_log = false;
    c.service.data_dir = dir.string();
    c.service.callback_poll_ms = 50;
    c.service.expiry_interval_ms = 50;
    c.service.core.public_url = "https://duet.example";
    c.pki.ocsp_crl_sm2_id = "";  // `openssl ocsp` / `openssl crl -verify` (OpenSSL 3.0) check an empty ID
    DaemonOptions o;
    o.clock = &clock;
    auto d = Daemon::create(c, std::move(o));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon = std::move(*d);
    auto st = daemon->start();
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    base = daemon->url();
    admin_token = testing::trim(testing::read_text(daemon->admin_token_path()));
    ASSERT_FALSE(admin_token.empty());
  }
  void TearDown() override {
    if (daemon) daemon->stop();
    daemon.reset();
    std::filesystem::remove_all(dir);
  }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                                httpclient::HeaderList headers = {}) {
    httpclient::HttpRequest req;
    req.method = method;
    req.url = base + target;
    req.body = body;
    req.headers = std::move(headers);
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    auto r = client.perform(req);
    EXPECT_TRUE(r.ok()) << method << " " << target << ": " << (r.ok() ? "" : r.error().to_string());
    if (!r.ok()) return {};
    EXPECT_TRUE(r->header("X-Request-Id").has_value());
    return *r;
  }

  httpclient::HttpResponse admin(const std::string& method, const std::string& target, const std::string& body = "") {
    return call(method, target, body, {{"Authorization", "Bearer " + admin_token}});
  }

  std::string next_nonce() { return "nonce-" + std::to_string(++nonce_counter) + "-" + std::to_string(::getpid()); }

  httpclient::HttpResponse biz(const Cred& cred, const std::string& method, const std::string& target,
                               const std::string& body = "", httpclient::HeaderList extra = {},
                               std::optional<int64_t> ts = std::nullopt, std::string nonce = "") {
    std::string path = target, query;
    if (auto q = target.find('?'); q != std::string::npos) {
      path = target.substr(0, q);
      query = target.substr(q + 1);
    }
    std::string timestamp = std::to_string(ts.value_or(clock.now()));
    if (nonce.empty()) nonce = next_nonce();
    std::string sig = core::sign_request(cred.secret, method, path, query, timestamp, nonce, body);
    httpclient::HeaderList h = {{"X-Duet-App-Id", cred.app_id},
                                {"X-Duet-Timestamp", timestamp},
                                {"X-Duet-Nonce", nonce},
                                {"X-Duet-Signature", sig}};
    for (auto& e : extra) h.push_back(e);
    return call(method, target, body, h);
  }

  httpclient::HttpResponse dev(const std::string& token, const std::string& method, const std::string& target,
                               const std::string& body = "") {
    return call(method, target, body, {{"Authorization", "Bearer " + token}});
  }

  static json parse(const httpclient::HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  static std::string error_code(const httpclient::HttpResponse& r) {
    json j = parse(r);
    if (!j.is_object() || !j.contains("error")) return "<no error body>";
    EXPECT_TRUE(j["error"]["request_id"].is_string());
    return j["error"]["code"].get<std::string>();
  }

  struct Tenant {
    std::string tenant_id;
    Cred sandbox, production;
  };
  Tenant new_tenant(const std::string& name) {
    auto t = admin("POST", "/admin/v1/tenants", json{{"name", name}}.dump());
    EXPECT_EQ(t.status, 201) << t.body;
    Tenant out;
    out.tenant_id = parse(t)["tenant_id"];
    auto a = admin("POST", "/admin/v1/tenants/" + out.tenant_id + "/apps");
    EXPECT_EQ(a.status, 201) << a.body;
    json aj = parse(a);
    out.sandbox = {aj["sandbox"]["app_id"], aj["sandbox"]["secret"]};
    out.production = {aj["production"]["app_id"], aj["production"]["secret"]};
    EXPECT_EQ(aj["production"]["environment"], "production");
    return out;
  }

  std::string new_holder(const Cred& c, const std::string& id_number = "110101199003071234") {
    auto h = biz(c, "POST", "/api/v1/holders",
                 json{{"name", "张三"}, {"id_number", id_number}, {"phone", "13812345678"}}.dump());
    EXPECT_EQ(h.status, 201) << h.body;
    json j = parse(h);
    EXPECT_EQ(j["name"], "张*");
    EXPECT_EQ(j["id_number"], "1101**********1234");
    EXPECT_EQ(j["phone"], "138****5678");
    EXPECT_TRUE(j["public_key"].is_null());
    return j["holder_id"];
  }

  Device enroll(const Cred& c, const std::string& pin, const std::string& id_number = "110101199003071234") {
    Device d;
    d.holder_id = new_holder(c, id_number);
    auto code = biz(c, "POST", "/api/v1/holders/" + d.holder_id + "/activation-codes");
    EXPECT_EQ(code.status, 201) << code.body;
    json cj = parse(code);
    EXPECT_EQ(cj["uri"].get<std::string>().rfind("duet://activate?code=", 0), 0u);
    auto png = decode_base64(cj["qr_png_base64"].get<std::string>());
    EXPECT_TRUE(png && png->size() > 8 && (*png)[1] == 'P');
    auto [dk, req] = *cosign::DeviceKeygen::start(d.holder_id, crypto::SystemRandom::instance());
    auto act = call("POST", "/app/v1/activations",
                    json{{"code", cj["code"]}, {"keygen", json::parse(cosign::to_json(req))}}.dump());
    EXPECT_EQ(act.status, 201) << act.body;
    json aj = parse(act);
    EXPECT_EQ(aj["holder_id"], d.holder_id);
    d.token = aj["device_token"];
    auto resp = cosign::parse_keygen_response(aj["keygen"].dump());
    EXPECT_TRUE(resp.ok());
    auto state = dk.finish(*resp, pin, kIters, crypto::SystemRandom::instance());
    EXPECT_TRUE(state.ok());
    if (state.ok()) d.state.emplace(std::move(*state));
    return d;
  }

  std::string create_order(const Cred& c, const std::string& holder_id, const std::string& data,
                           const std::string& callback_url = "", const std::string& output = "der") {
    json body{{"holder_id", holder_id}, {"title", "Loan agreement"}, {"display_text", "Sign it"},
              {"output", output}, {"data_base64", encode_base64(as_bytes(data))}};
    if (!callback_url.empty()) body["callback_url"] = callback_url;
    auto r = biz(c, "POST", "/api/v1/orders", body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    json j = parse(r);
    EXPECT_EQ(j["state"], "pending");
    EXPECT_EQ(j["uri"].get<std::string>().rfind("duet://sign?order=" + j["order_id"].get<std::string>(), 0), 0u);
    return j["order_id"];
  }

  // The device's side of one signing round over HTTP; returns the finish answer
  // (or the start answer when the start was refused).
  httpclient::HttpResponse sign(const Device& d, const std::string& order_id, const std::string& pin,
                                const std::string& session_id) {
    auto details = dev(d.token, "GET", "/app/v1/orders/" + order_id);
    EXPECT_EQ(details.status, 200) << details.body;
    json dj = parse(details);
    std::vector<cosign::DeviceSigner> signers;
    json items = json::array();
    for (const auto& it : dj["items"]) {
      auto e_bytes = from_hex_exact(it["e"].get<std::string>(), 32);
      EXPECT_TRUE(e_bytes.ok());
      crypto::Digest e{};
      std::copy(e_bytes->begin(), e_bytes->end(), e.begin());
      auto started = cosign::DeviceSigner::start(*d.state, pin, {order_id, session_id, e}, crypto::SystemRandom::instance());
      EXPECT_TRUE(started.ok());
      signers.push_back(started->first);
      items.push_back(json::parse(cosign::to_json(started->second)));
    }
    auto start = dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions",
                     json{{"session_id", session_id}, {"items", items}}.dump());
    if (start.status != 201) return start;
    json sj = parse(start);
    EXPECT_EQ(sj["session_id"], session_id);
    json fin = json::array();
    for (size_t i = 0; i < signers.size(); ++i) {
      auto resp = cosign::parse_sign_response(sj["items"][i].dump());
      EXPECT_TRUE(resp.ok());
      auto f = signers[i].finish(*resp);
      cosign::SignFinish sf = f.ok() ? f->first : cosign::SignFinish{*signers[i].unchecked_s(*resp)};
      fin.push_back(json::parse(cosign::to_json(sf)));
    }
    return dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions/" + session_id + "/finish",
               json{{"items", fin}}.dump());
  }

  std::string metrics_text() { return call("GET", "/metrics").body; }

  std::filesystem::path dir;
  core::ManualClock clock{std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()};
  std::unique_ptr<Daemon> daemon;
  std::string base, admin_token;
  httpclient::HttpClient client;
  int nonce_counter = 0;
};

TEST_F(ServerTest, OpsEndpoints) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  EXPECT_EQ(call("GET", "/readyz").status, 200);
  auto m = call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("duet_cosignatures_total"), std::string::npos);
  EXPECT_NE(m.body.find("duet_orders_expired_total"), std::string::npos);
  EXPECT_TRUE(daemon->ready());
  EXPECT_EQ(call("GET", "/nope").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/orders").status, 405);
}

TEST_F(ServerTest, EnrollSignVerifyAndCallbackEndToEnd) {
  CallbackReceiver receiver;
  Tenant t = new_tenant("Bank A");
  Device d = enroll(t.sandbox, "123456");
  auto holder = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id));
  ASSERT_TRUE(holder["public_key"].is_string());
  EXPECT_EQ(holder["status"], "active");
  EXPECT_EQ(holder["attempts_left"], 5);

  const std::string msg = "loan agreement 2026-001";
  std::string cb = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/duet/cb";
  std::string order_id = create_order(t.sandbox, d.holder_id, msg, cb);

  // The holder lists it, with e and the data.
  auto pending = dev(d.token, "GET", "/app/v1/orders");
  ASSERT_EQ(pending.status, 200);
  json pj = parse(pending);
  ASSERT_EQ(pj["orders"].size(), 1u);
  EXPECT_EQ(pj["orders"][0]["order_id"], order_id);
  EXPECT_EQ(pj["orders"][0]["public_key"], holder["public_key"]);
  EXPECT_EQ(pj["orders"][0]["items"][0]["data_base64"], encode_base64(as_bytes(msg)));
  EXPECT_EQ(pj["orders"][0]["items"][0]["e"].get<std::string>().size(), 64u);

  auto fin = sign(d, order_id, "123456", "ses_http0001");
  ASSERT_EQ(fin.status, 200) << fin.body;
  EXPECT_EQ(parse(fin)["state"], "signed");

  auto got = biz(t.sandbox, "GET", "/api/v1/orders/" + order_id);
  ASSERT_EQ(got.status, 200);
  json oj = parse(got);
  EXPECT_EQ(oj["state"], "signed");
  EXPECT_EQ(oj["output"], "der");
  EXPECT_EQ(oj["items"][0]["kind"], "data");
  EXPECT_EQ(oj["items"][0]["size"], msg.size());
  auto sig = from_hex(oj["items"][0]["signature"].get<std::string>());
  ASSERT_TRUE(sig.ok());
  auto pub = crypto::Point::from_hex(holder["public_key"].get<std::string>());
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(crypto::evp_sm2_verify(*pub, as_bytes(msg), *sig).ok());

  // Listing with a filter (the query string is part of the signature).
  auto list = biz(t.sandbox, "GET", "/api/v1/orders?state=signed&holder_id=" + d.holder_id + "&limit=10");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(parse(list)["orders"].size(), 1u);
  auto holders = biz(t.sandbox, "GET", "/api/v1/holders?limit=1");
  ASSERT_EQ(holders.status, 200) << holders.body;
  EXPECT_EQ(parse(holders)["holders"].size(), 1u);

  // The callback arrives once, signed with the app's secret.
  for (int i = 0; i < 100 && receiver.received().empty(); ++i) std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(300ms);  // a few more dispatcher rounds: no duplicate
  auto calls = receiver.received();
  ASSERT_EQ(calls.size(), 1u);
  std::string ts = calls[0].header("X-Duet-Timestamp");
  EXPECT_EQ(calls[0].header("X-Duet-Signature"), core::sign_callback(t.sandbox.secret, ts, calls[0].body));
  EXPECT_EQ(calls[0].header("X-Duet-Event"), "order.signed");
  EXPECT_FALSE(calls[0].header("X-Duet-Delivery").empty());
  EXPECT_NE(calls[0].head.find("POST /duet/cb "), std::string::npos);
  json cbj = json::parse(calls[0].body);
  EXPECT_EQ(cbj["order_id"], order_id);
  EXPECT_EQ(cbj["state"], "signed");

  std::string m = metrics_text();
  EXPECT_NE(m.find("duet_cosignatures_total 1"), std::string::npos) << m;
  EXPECT_NE(m.find("duet_enrollments_total 1"), std::string::npos);
  EXPECT_NE(m.find("duet_callbacks_delivered_total 1"), std::string::npos);
}

// Issue 4: enrollment ends with a certificate; revocation, CRL and OCSP over
// HTTP, checked by the openssl command line.
TEST_F(ServerTest, EnrollmentEndsWithACertificateThenCrlOcspAndRevocation) {
  using pki::testing::run;
  Tenant t = new_tenant("Bank C");
  Device d = enroll(t.sandbox, "123456");
  pki::testing::ScratchDir scratch;

  EXPECT_EQ(dev(d.token, "GET", "/app/v1/certificate").status, 404);
  auto req = dev(d.token, "POST", "/app/v1/certificate-requests");
  ASSERT_EQ(req.status, 201) << req.body;
  json rj = parse(req);
  EXPECT_EQ(rj["kind"], "certificate_request");
  ASSERT_EQ(rj["items"].size(), 1u);
  std::string csr_order = rj["order_id"];
  auto again = dev(d.token, "POST", "/app/v1/certificate-requests");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(parse(again)["order_id"], csr_order);
  // Certificate requests are not the business system's orders.
  auto listed = biz(t.sandbox, "GET", "/api/v1/orders");
  ASSERT_EQ(listed.status, 200);
  EXPECT_TRUE(parse(listed)["orders"].empty()) << listed.body;
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/orders/" + csr_order).status, 404);

  auto fin = sign(d, csr_order, "123456", "ses_csr_http1");
  ASSERT_EQ(fin.status, 200) << fin.body;
  json fj = parse(fin);
  EXPECT_EQ(fj["state"], "signed");
  ASSERT_TRUE(fj["certificate_pem"].is_string()) << fin.body;
  std::string leaf_pem = fj["certificate_pem"], chain_pem = fj["chain_pem"];
  auto mine = dev(d.token, "GET", "/app/v1/certificate");
  ASSERT_EQ(mine.status, 200) << mine.body;
  json cj = parse(mine);
  EXPECT_EQ(cj["certificate_pem"], leaf_pem);
  EXPECT_EQ(cj["status"], "good");
  std::string serial = cj["serial"], cert_id = cj["cert_id"], issuer_id = cj["issuer_id"];

  // Its key is the joint key; openssl verifies it against the chain.
  auto holder = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id));
  auto leaf = pki::Certificate::parse(leaf_pem);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(leaf->public_key()->to_hex(), holder["public_key"]);
  std::string leaf_path = scratch.write("holder.pem", leaf_pem);
  std::string chain_path = scratch.write("chain.pem", chain_pem);
  auto v = run("openssl verify -partial_chain -CAfile " + chain_path + " -vfyopt distid:1234567812345678 " + leaf_path);
  EXPECT_EQ(v.status, 0) << v.output;
  auto issuing_pem = call("GET", "/pki/ca/" + issuer_id + ".pem");
  ASSERT_EQ(issuing_pem.status, 200);
  std::string issuing_path = scratch.write("issuing.pem", issuing_pem.body);
  EXPECT_EQ(chain_pem.rfind(issuing_pem.body, 0), 0u);
  auto responder = call("GET", "/pki/ca/" + daemon->certificates().ocsp_ca_id() + ".pem");
  ASSERT_EQ(responder.status, 200);
  scratch.write("ocsp.pem", responder.body);
  auto certs = biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id + "/certificates");
  ASSERT_EQ(certs.status, 200) << certs.body;
  ASSERT_EQ(parse(certs)["certificates"].size(), 1u);
  EXPECT_EQ(parse(certs)["certificates"][0]["chain_pem"], chain_pem);

  auto fetch_crl = [&](const std::string& name) {
    auto crl = call("GET", "/pki/crl/" + issuer_id + ".crl");
    EXPECT_EQ(crl.status, 200) << crl.body;
    EXPECT_EQ(crl.header("Content-Type").value_or(""), "application/pkix-crl");
    std::string path = scratch.write(name, crl.body);
    auto ok = run("openssl crl -inform DER -in " + path + " -CAfile " + issuing_path + " -noout -verify");
    EXPECT_NE(ok.output.find("verify OK"), std::string::npos) << ok.output;
    return run("openssl crl -inform DER -in " + path + " -noout -text").output;
  };
  auto ocsp_status = [&](const std::string& tag) {
    std::string req_path = scratch.file(tag + ".req");
    auto r = run("openssl ocsp -issuer " + issuing_path + " -cert " + leaf_path + " -reqout " + req_path);
    EXPECT_EQ(r.status, 0) << r.output;
    httpclient::HttpRequest hr;
    hr.method = "POST";
    hr.url = base + "/pki/ocsp";
    hr.body = scratch.read(tag + ".req");
    hr.headers = {{"Content-Type", "application/ocsp-request"}};
    auto answered = client.perform(hr);
    EXPECT_TRUE(answered.ok());
    EXPECT_EQ(answered->status, 200);
    EXPECT_EQ(answered->header("Content-Type").value_or(""), "application/ocsp-response");
    scratch.write(tag + ".resp", answered->body);
    return run("cd " + scratch.path() + " && openssl ocsp -respin " + tag + ".resp -issuer issuing.pem -cert holder.pem " +
               "-no_nonce -VAfile ocsp.pem").output;
  };
  std::string upper = serial;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(fetch_crl("before.crl").find(upper), std::string::npos);
  std::string good = ocsp_status("good");
  EXPECT_NE(good.find("Response verify OK"), std::string::npos) << good;
  EXPECT_NE(good.find("holder.pem: good"), std::string::npos) << good;

  // An order waits; the business system revokes the certificate.
  std::string order_id = create_order(t.sandbox, d.holder_id, "after revocation");
  auto bad_reason = biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/certificates/" + cert_id + "/revoke",
                        json{{"reason", "certificateHold"}}.dump());
  EXPECT_EQ(bad_reason.status, 400) << bad_reason.body;
  auto rev = biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/certificates/" + cert_id + "/revoke",
                 json{{"reason", "keyCompromise"}}.dump());
  ASSERT_EQ(rev.status, 200) << rev.body;
  EXPECT_EQ(parse(rev)["status"], "revoked");
  EXPECT_EQ(parse(rev)["revocation_reason"], "keyCompromise");
  auto twice = biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/certificates/" + cert_id + "/revoke",
                   json{{"reason", 1}}.dump());
  EXPECT_EQ(twice.status, 409) << twice.body;

  std::string crl_text = fetch_crl("after.crl");
  EXPECT_NE(crl_text.find("Serial Number: " + upper), std::string::npos) << crl_text;
  EXPECT_NE(crl_text.find("Key Compromise"), std::string::npos) << crl_text;
  std::string revoked = ocsp_status("revoked");
  EXPECT_NE(revoked.find("Response verify OK"), std::string::npos) << revoked;
  EXPECT_NE(revoked.find("holder.pem: revoked"), std::string::npos) << revoked;
  EXPECT_NE(revoked.find("Reason: keyCompromise"), std::string::npos) << revoked;

  // The holder can no longer sign: share shredded, devices signed out.
  auto start = dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions",
                   json{{"session_id", "ses_after_rev"}, {"items", json::array()}}.dump());
  EXPECT_EQ(start.status, 401) << start.body;
  EXPECT_TRUE(parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id))["public_key"].is_null());
  EXPECT_EQ(biz(t.sandbox, "POST", "/api/v1/orders",
                json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", encode_base64(as_bytes("x"))}}.dump())
                .status,
            409);
  EXPECT_NE(metrics_text().find("duet_certificates_revoked_total 1"), std::string::npos);

  // A holder revokes its own certificate (lost phone).
  Device d2 = enroll(t.sandbox, "654321", "110101198803071234");
  auto req2 = dev(d2.token, "POST", "/app/v1/certificate-requests");
  ASSERT_EQ(req2.status, 201) << req2.body;
  ASSERT_EQ(sign(d2, parse(req2)["order_id"], "654321", "ses_csr_http2").status, 200);
  auto self = dev(d2.token, "POST", "/app/v1/certificate/revoke");
  ASSERT_EQ(self.status, 200) << self.body;
  EXPECT_EQ(dev(d2.token, "GET", "/app/v1/certificate").status, 401);
  auto list2 = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d2.holder_id + "/certificates"));
  EXPECT_EQ(list2["certificates"][0]["status"], "revoked");
  EXPECT_EQ(list2["certificates"][0]["revocation_reason"], "keyCompromise");
  EXPECT_EQ(call("GET", "/pki/crl/ca_nope.crl").status, 404);
  auto junk = call("POST", "/pki/ocsp", "junk", {{"Content-Type", "application/ocsp-request"}});
  EXPECT_EQ(junk.status, 200);  // an OCSPResponse with malformedRequest
}

TEST_F(ServerTest, BatchOrderWithDigestItems) {
  Tenant t = new_tenant("Insurer");
  Device d = enroll(t.sandbox, "135790");
  auto e = crypto::sm2_digest(d.state->public_key, as_bytes("precomputed"));
  ASSERT_TRUE(e.ok());
  json body{{"holder_id", d.holder_id},
            {"title", "Batch"},
            {"items", json::array({json{{"data_base64", encode_base64(as_bytes("one"))}},
                                   json{{"digest_hex", to_hex(*e)}}})}};
  auto r = biz(t.sandbox, "POST", "/api/v1/orders", body.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  json oj = parse(r);
  EXPECT_EQ(oj["output"], "raw");
  EXPECT_EQ(oj["items"][1]["kind"], "digest");
  std::string order_id = oj["order_id"];
  auto details = parse(dev(d.token, "GET", "/app/v1/orders/" + order_id));
  EXPECT_FALSE(details["items"][1].contains("data_base64"));
  EXPECT_EQ(details["items"][1]["e"], to_hex(*e));
  auto fin = sign(d, order_id, "135790", "ses_batch001");
  ASSERT_EQ(fin.status, 200) << fin.body;
  json signed_order = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + order_id));
  EXPECT_EQ(signed_order["items"][0]["signature"].get<std::string>().size(), 128u);  // raw r‖s
}

TEST_F(ServerTest, BusinessAuthenticationFailures) {
  Tenant t = new_tenant("T");
  const std::string body = json{{"name", "李四"}, {"id_number", "220101198001011111"}, {"phone", "13900001111"}}.dump();

  // Bad signature.
  Cred wrong{t.sandbox.app_id, std::string(64, '0')};
  auto r = biz(wrong, "POST", "/api/v1/holders", body);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  // Stale timestamp.
  r = biz(t.sandbox, "POST", "/api/v1/holders", body, {}, clock.now() - 1000);
  EXPECT_EQ(r.status, 401);
  // Unknown app.
  r = biz(Cred{"app_doesnotexist", t.sandbox.secret}, "GET", "/api/v1/holders");
  EXPECT_EQ(r.status, 401);
  // No headers at all.
  r = call("GET", "/api/v1/holders");
  EXPECT_EQ(r.status, 401);
  // Reused nonce: first accepted, the replay refused.
  r = biz(t.sandbox, "GET", "/api/v1/holders", "", {}, std::nullopt, "fixed-nonce-1");
  EXPECT_EQ(r.status, 200) << r.body;
  r = biz(t.sandbox, "GET", "/api/v1/holders", "", {}, std::nullopt, "fixed-nonce-1");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  // The signature covers the query: signing one query and sending another fails.
  {
    std::string ts = std::to_string(clock.now()), nonce = next_nonce();
    std::string sig = core::sign_request(t.sandbox.secret, "GET", "/api/v1/holders", "limit=1", ts, nonce, "");
    r = call("GET", "/api/v1/holders?limit=2", "",
             {{"X-Duet-App-Id", t.sandbox.app_id}, {"X-Duet-Timestamp", ts}, {"X-Duet-Nonce", nonce},
              {"X-Duet-Signature", sig}});
    EXPECT_EQ(r.status, 401);
  }
  // Production credentials before activation: 402; after: accepted.
  r = biz(t.production, "GET", "/api/v1/holders");
  EXPECT_EQ(r.status, 402);
  EXPECT_EQ(error_code(r), "service_not_active");
  auto act = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/activation",
                   json{{"production_active_from", clock.now() - 10}}.dump());
  ASSERT_EQ(act.status, 200) << act.body;
  EXPECT_EQ(parse(act)["production_active_from"], clock.now() - 10);
  EXPECT_EQ(biz(t.production, "GET", "/api/v1/holders").status, 200);
  // A suspended tenant: 403 tenant_suspended; resumed: works again.
  ASSERT_EQ(admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/suspend").status, 200);
  r = biz(t.sandbox, "GET", "/api/v1/holders");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_code(r), "tenant_suspended");
  ASSERT_EQ(admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/resume").status, 200);
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/holders").status, 200);
  // Rotated secret: the old one stops working.
  auto rot = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/apps/" + t.sandbox.app_id + "/rotate-secret");
  ASSERT_EQ(rot.status, 200) << rot.body;
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/holders").status, 401);
  EXPECT_EQ(biz(Cred{t.sandbox.app_id, parse(rot)["secret"]}, "GET", "/api/v1/holders").status, 200);
}

TEST_F(ServerTest, AdminAndHolderAuthentication) {
  EXPECT_EQ(call("GET", "/admin/v1/tenants").status, 401);
  auto r = call("GET", "/admin/v1/tenants", "", {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  EXPECT_EQ(call("GET", "/admin/v1/tenants", "", {{"Authorization", "Basic abc"}}).status, 401);
  EXPECT_EQ(call("GET", "/app/v1/orders").status, 401);
  EXPECT_EQ(dev("dtk_unknown", "GET", "/app/v1/orders").status, 401);
  // A business credential is no admin token and vice versa.
  Tenant t = new_tenant("T");
  EXPECT_EQ(dev(admin_token, "GET", "/app/v1/orders").status, 401);
  auto list = admin("GET", "/admin/v1/tenants");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(parse(list)["tenants"].size(), 1u);
  EXPECT_EQ(admin("GET", "/admin/v1/tenants/" + t.tenant_id).status, 200);
  EXPECT_EQ(admin("GET", "/admin/v1/tenants/ten_nope").status, 404);
  EXPECT_EQ(admin("GET", "/admin/v1/tenants/ten_nope/apps").status, 404);
  auto apps = admin("GET", "/admin/v1/tenants/" + t.tenant_id + "/apps");
  ASSERT_EQ(apps.status, 200);
  json aj = parse(apps);
  ASSERT_EQ(aj["apps"].size(), 2u);
  EXPECT_FALSE(aj["apps"][0].contains("secret"));
}

TEST_F(ServerTest, CrossTenantIdsAnswer404OnEveryBusinessRoute) {
  Tenant a = new_tenant("A");
  Tenant b = new_tenant("B");
  Device da = enroll(a.sandbox, "123456");
  std::string order_id = create_order(a.sandbox, da.holder_id, "x");
  const std::string h = "/api/v1/holders/" + da.holder_id;
  const std::string o = "/api/v1/orders/" + order_id;
  struct Call {
    std::string method, target, body;
  };
  std::vector<Call> calls = {
      {"GET", h, ""},
      {"POST", h + "/lock", ""},
      {"POST", h + "/unlock", ""},
      {"POST", h + "/activation-codes", ""},
      {"GET", o, ""},
      {"POST", o + "/cancel", ""},
      {"GET", o + "/qr", ""},
      {"GET", o + "/qr?format=svg", ""},
      {"POST", "/api/v1/orders",
       json{{"holder_id", da.holder_id}, {"title", "x"}, {"data_base64", "eA=="}}.dump()},
  };
  for (const auto& c : calls) {
    auto r = biz(b.sandbox, c.method, c.target, c.body);
    EXPECT_EQ(r.status, 404) << c.method << " " << c.target << ": " << r.body;
    // Internal store kind tokens never reach API callers.
    EXPECT_EQ(r.body.find("store/"), std::string::npos) << r.body;
    EXPECT_EQ(error_code(r), "not_found") << c.target;
  }
  // B's listings do not show A's things.
  EXPECT_EQ(parse(biz(b.sandbox, "GET", "/api/v1/orders"))["orders"].size(), 0u);
  EXPECT_EQ(parse(biz(b.sandbox, "GET", "/api/v1/holders"))["holders"].size(), 0u);
  // A holder of B cannot see or act on A's order.
  Device db = enroll(b.sandbox, "123456");
  EXPECT_EQ(dev(db.token, "GET", "/app/v1/orders/" + order_id).status, 404);
  EXPECT_EQ(dev(db.token, "POST", "/app/v1/orders/" + order_id + "/reject").status, 404);
  EXPECT_EQ(parse(dev(db.token, "GET", "/app/v1/orders"))["orders"].size(), 0u);
  // Still fine for A.
  EXPECT_EQ(biz(a.sandbox, "GET", o).status, 200);
  auto qr = biz(a.sandbox, "GET", o + "/qr");
  ASSERT_EQ(qr.status, 200);
  EXPECT_EQ(qr.header("Content-Type").value_or(""), "image/png");
  EXPECT_EQ(qr.body.substr(1, 3), "PNG");
  auto svg = biz(a.sandbox, "GET", o + "/qr?format=svg");
  ASSERT_EQ(svg.status, 200);
  EXPECT_EQ(svg.header("Content-Type").value_or(""), "image/svg+xml");
  EXPECT_NE(svg.body.find("<svg"), std::string::npos);
  EXPECT_EQ(biz(a.sandbox, "GET", o + "/qr?format=gif").status, 400);
}

TEST_F(ServerTest, MalformedInputIs400) {
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  std::string order_id = create_order(t.sandbox, d.holder_id, "x");
  struct Case {
    std::string name, target, body, code;
  };
  std::vector<Case> cases = {
      {"not json", "/api/v1/holders", "{not json", "bad_encoding"},
      {"empty body", "/api/v1/holders", "", "bad_encoding"},
      {"array body", "/api/v1/holders", "[1,2]", "invalid_argument"},
      {"name not a string", "/api/v1/holders", R"({"name":5,"id_number":"1","phone":"1"})", "invalid_argument"},
      {"missing phone", "/api/v1/holders", R"({"name":"a","id_number":"1"})", "invalid_argument"},
      {"truncated", "/api/v1/orders", R"({"holder_id":")", "bad_encoding"},
      {"bad utf-8", "/api/v1/holders", "{\"name\":\"\xff\xfe\",\"id_number\":\"1\",\"phone\":\"1\"}", "bad_encoding"},
      {"both data and digest", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA=="}, {"digest_hex", std::string(64, 'a')}}.dump(),
       "invalid_argument"},
      {"neither data nor digest", "/api/v1/orders", json{{"holder_id", d.holder_id}, {"title", "x"}}.dump(),
       "invalid_argument"},
      {"bad base64", "/api/v1/orders", json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA="}}.dump(),
       "bad_encoding"},
      {"base64 with whitespace", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA= ="}}.dump(), "bad_encoding"},
      {"short digest", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"digest_hex", "abcd"}}.dump(), "bad_encoding"},
      {"expires_in float", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA=="}, {"expires_in", 1.5}}.dump(),
       "invalid_argument"},
      {"expires_in string", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA=="}, {"expires_in", "600"}}.dump(),
       "invalid_argument"},
      {"items not array", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"items", "nope"}}.dump(), "invalid_argument"},
      {"item not object", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"items", json::array({1})}}.dump(), "invalid_argument"},
      {"bad output", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA=="}, {"output", "pdf"}}.dump(),
       "invalid_argument"},
      {"deep nesting", "/api/v1/holders", std::string(100000, '[') + std::string(100000, ']'), "invalid_argument"},
  };
  for (const auto& c : cases) {
    auto r = biz(t.sandbox, "POST", c.target, c.body);
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    EXPECT_EQ(error_code(r), c.code) << c.name;
  }
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/orders?limit=0").status, 400);
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/orders?limit=abc").status, 400);
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/orders?state=bogus").status, 400);
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/orders?cursor=garbage").status, 400);

  // Admin and holder bodies.
  EXPECT_EQ(admin("POST", "/admin/v1/tenants", R"({"name":5})").status, 400);
  EXPECT_EQ(admin("POST", "/admin/v1/tenants", "{").status, 400);
  EXPECT_EQ(admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/activation", R"({"production_active_from":"x"})").status,
            400);
  EXPECT_EQ(call("POST", "/app/v1/activations", R"({"code":"AAAA-BBBB-CCCC","keygen":"x"})").status, 400);
  EXPECT_EQ(call("POST", "/app/v1/activations", R"({"code":"AAAA-BBBB-CCCC","keygen":{"p1":"zz"}})").status, 400);
  EXPECT_EQ(call("POST", "/app/v1/activations", "nope").status, 400);
  EXPECT_EQ(dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions", R"({"session_id":"ses_abcdefgh","items":{}})")
                .status,
            400);
  EXPECT_EQ(dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions",
                R"({"session_id":"ses_abcdefgh","items":[{"q1":"00","proof":{"t":"00","z":"00"}}]})")
                .status,
            400);
  EXPECT_EQ(dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions/ses_abcdefgh/finish", R"({"items":[{"s":5}]})")
                .status,
            400);
  // Nothing of that counted an attempt.
  EXPECT_EQ(parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id))["attempts_left"], 5);
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  Tenant t = new_tenant("T");
  std::string big = "{\"name\":\"" + std::string(1024 * 1024 + 10, 'a') + "\"}";
  auto r = biz(t.sandbox, "POST", "/api/v1/holders", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(error_code(r), "body_too_large");
}

TEST_F(ServerTest, FiveWrongPinsLockTheHolder) {
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  std::string order_id = create_order(t.sandbox, d.holder_id, "x");
  for (int i = 0; i < 5; ++i) {
    auto r = sign(d, order_id, "000000", "ses_wrong00" + std::to_string(i));
    EXPECT_EQ(r.status, 422) << i << ": " << r.body;
    EXPECT_EQ(error_code(r), "signature_invalid");
  }
  json holder = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id));
  EXPECT_EQ(holder["status"], "locked");
  EXPECT_EQ(holder["attempts_left"], 0);
  EXPECT_EQ(parse(biz(t.sandbox, "GET", "/api/v1/orders/" + order_id))["state"], "failed");
  std::string order2 = create_order(t.sandbox, d.holder_id, "y");
  auto r = sign(d, order2, "123456", "ses_right000");
  EXPECT_EQ(r.status, 423) << r.body;
  EXPECT_EQ(error_code(r), "locked");
  std::string m = metrics_text();
  EXPECT_NE(m.find("duet_holder_locks_total 1"), std::string::npos) << m;
  EXPECT_NE(m.find("duet_failed_signatures_total 5"), std::string::npos);
  EXPECT_NE(m.find("duet_sign_attempts_total 5"), std::string::npos);
  // The business system unlocks; the right PIN signs.
  ASSERT_EQ(biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/unlock").status, 200);
  EXPECT_EQ(sign(d, order2, "123456", "ses_right001").status, 200);
}

TEST_F(ServerTest, IdempotencyKeyRejectCancelAndExpiry) {
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  json body{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA=="}, {"expires_in", 60}};
  auto first = biz(t.sandbox, "POST", "/api/v1/orders", body.dump(), {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = biz(t.sandbox, "POST", "/api/v1/orders", body.dump(), {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(parse(first)["order_id"], parse(again)["order_id"]);
  clock.advance(2);  // a repeat in a later second is recognised as well
  again = biz(t.sandbox, "POST", "/api/v1/orders", body.dump(), {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(again.status, 200);
  body["title"] = "different";
  auto conflict = biz(t.sandbox, "POST", "/api/v1/orders", body.dump(), {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(error_code(conflict), "conflict");
  std::string expiring = parse(first)["order_id"];

  // Reject and cancel are final.
  std::string o2 = create_order(t.sandbox, d.holder_id, "b");
  auto rej = dev(d.token, "POST", "/app/v1/orders/" + o2 + "/reject");
  ASSERT_EQ(rej.status, 200);
  EXPECT_EQ(parse(rej)["state"], "rejected");
  EXPECT_EQ(biz(t.sandbox, "POST", "/api/v1/orders/" + o2 + "/cancel").status, 409);
  std::string o3 = create_order(t.sandbox, d.holder_id, "c");
  auto can = biz(t.sandbox, "POST", "/api/v1/orders/" + o3 + "/cancel");
  ASSERT_EQ(can.status, 200);
  EXPECT_EQ(parse(can)["state"], "cancelled");

  // The sweeper expires the 60-second order once the clock passes it.
  clock.advance(120);
  std::string state;
  for (int i = 0; i < 100; ++i) {
    state = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + expiring))["state"];
    if (state == "expired") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(state, "expired");
  EXPECT_NE(metrics_text().find("duet_orders_expired_total 1"), std::string::npos);
}

TEST(Base64, Strict) {
  EXPECT_EQ(encode_base64(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(*decode_base64("Zm9vYg=="), Bytes({'f', 'o', 'o', 'b'}));
  EXPECT_EQ(*decode_base64(""), Bytes{});
  EXPECT_FALSE(decode_base64("Zm9vYg="));
  EXPECT_FALSE(decode_base64("Zm9vYh=="));  // non-canonical trailing bits
  EXPECT_FALSE(decode_base64("Zm9v\nYg=="));
  EXPECT_FALSE(decode_base64("Zm=vYg=="));
  EXPECT_FALSE(decode_base64("Zm9-Yg=="));
  EXPECT_FALSE(decode_base64("===="));
}

}  // namespace
}  // namespace duet::server

namespace duet::server {
namespace {

// Two sessions of one order are both started, then both finished at the same
// moment from two connections: exactly one finish wins, the other is 409, and
// the order carries exactly one (valid) signature.
TEST_F(ServerTest, ConcurrentFinishesOfOneOrderExactlyOneWins) {
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  for (int round = 0; round < 3; ++round) {
    std::string order_id = create_order(t.sandbox, d.holder_id, "race " + std::to_string(round));
    auto details = parse(dev(d.token, "GET", "/app/v1/orders/" + order_id));
    auto e_bytes = *from_hex_exact(details["items"][0]["e"].get<std::string>(), 32);
    crypto::Digest e{};
    std::copy(e_bytes.begin(), e_bytes.end(), e.begin());
    std::vector<std::string> finish_bodies, sessions;
    for (int s = 0; s < 2; ++s) {
      std::string sid = "ses_race_" + std::to_string(round) + "_" + std::to_string(s);
      auto [signer, request] =
          *cosign::DeviceSigner::start(*d.state, "123456", {order_id, sid, e}, crypto::SystemRandom::instance());
      auto start = dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions",
                       json{{"session_id", sid}, {"items", json::array({json::parse(cosign::to_json(request))})}}.dump());
      ASSERT_EQ(start.status, 201) << start.body;
      auto resp = *cosign::parse_sign_response(parse(start)["items"][0].dump());
      auto fin = signer.finish(resp);
      ASSERT_TRUE(fin.ok());
      finish_bodies.push_back(json{{"items", json::array({json::parse(cosign::to_json(fin->first))})}}.dump());
      sessions.push_back(sid);
    }
    std::vector<int> statuses(2, 0);
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    for (int s = 0; s < 2; ++s) {
      threads.emplace_back([&, s] {
        httpclient::HttpClient own;  // one connection per thread
        httpclient::HttpRequest req;
        req.method = "POST";
        req.url = base + "/app/v1/orders/" + order_id + "/sessions/" + sessions[s] + "/finish";
        req.body = finish_bodies[s];
        req.headers = {{"Authorization", "Bearer " + d.token}, {"Content-Type", "application/json"}};
        while (!go.load()) std::this_thread::yield();
        auto r = own.perform(req);
        statuses[s] = r.ok() ? r->status : -1;
      });
    }
    go = true;
    for (auto& th : threads) th.join();
    std::sort(statuses.begin(), statuses.end());
    EXPECT_EQ(statuses[0], 200) << "round " << round;
    EXPECT_EQ(statuses[1], 409) << "round " << round;
    json order = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + order_id));
    EXPECT_EQ(order["state"], "signed");
    auto sig = *from_hex(order["items"][0]["signature"].get<std::string>());
    EXPECT_TRUE(crypto::evp_sm2_verify(d.state->public_key, as_bytes("race " + std::to_string(round)), sig).ok());
  }
  EXPECT_NE(metrics_text().find("duet_cosignatures_total 3"), std::string::npos);
}

}  // namespace
}  // namespace duet::server
