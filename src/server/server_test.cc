// The real http::Server + workers in-process (server::Daemon on 127.0.0.1,
// port 0, plain HTTP, a temp data dir), driven over HTTP with httpclient,
// signed business requests and the device role from cosign.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/result_testing.h"
#include "core/quota_order.h"
#include "core/request_signing.h"
#include "cosign/keygen.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/random.h"
#include "crypto/sm2_evp.h"
#include "http/server.h"
#include "httpclient/http_client.h"
#include "base/base64.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"
#include "store/sqlite_store.h"
#include "pki/certificate.h"
#include "pki/cms.h"
#include "crypto/sm3.h"
#include "pki/test_support.h"
#include "pdf/minimal_test_pdf.h"
#include "pdf/pdf_verifier.h"

namespace duet::server {

using duet::testing_support::ok_value;

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

using Cred = testing::AppCred;
using Device = testing::TestDevice;

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
    c.limits.sandbox_requests_per_second = 0;  // (sla) these tests send many sandbox requests per second
    c.service.core.public_url = "https://duet.example";
    c.pki.ocsp_crl_sm2_id = "";  // `openssl ocsp` / `openssl crl -verify` (OpenSSL 3.0) check an empty ID
    configure(c);
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

  // Subclasses adjust the daemon's configuration before it is created.
  virtual void configure(DaemonConfig&) {}

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
    std::string timestamp = std::to_string(ts.value_or(clock.now()));
    if (nonce.empty()) nonce = next_nonce();
    httpclient::HeaderList h = testing::signed_request_headers(cred, method, target, body, timestamp, nonce);
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

  using Tenant = testing::TenantApps;
  Tenant new_tenant(const std::string& name) { return testing::create_tenant_apps(admin_call(), json{{"name", name}}); }
  testing::HttpCall plain_call() {
    return [this](const std::string& m, const std::string& t, const std::string& b) { return call(m, t, b); };
  }
  testing::HttpCall admin_call() {
    return [this](const std::string& m, const std::string& t, const std::string& b) { return admin(m, t, b); };
  }
  testing::HttpCall device_call(const std::string& token) {
    return [this, token](const std::string& m, const std::string& t, const std::string& b) { return dev(token, m, t, b); };
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

  // Production credentials usable: the tenant activated, an unlimited package.
  void open_production(const Tenant& t) {
    auto act = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/activation",
                     json{{"production_active_from", clock.now() - 10}}.dump());
    ASSERT_EQ(act.status, 200) << act.body;
    auto pkg = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/packages", json{{"kind", "unlimited"}}.dump());
    ASSERT_EQ(pkg.status, 201) << pkg.body;
  }

  Device enroll(const Cred& c, const std::string& pin, const std::string& id_number = "110101199003071234") {
    std::string holder_id = new_holder(c, id_number);
    auto code = biz(c, "POST", "/api/v1/holders/" + holder_id + "/activation-codes");
    EXPECT_EQ(code.status, 201) << code.body;
    json cj = parse(code);
    EXPECT_EQ(cj["uri"].get<std::string>().rfind("duet://activate?code=", 0), 0u);
    auto png = decode_base64(cj["qr_png_base64"].get<std::string>());
    EXPECT_TRUE(png && png->size() > 8 && (*png)[1] == 'P');
    return testing::activate_device(plain_call(), holder_id, cj["code"], pin, kIters);
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
    return testing::device_sign_round(device_call(d.token), *d.state, order_id, pin, session_id);
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

  // The dispatcher counts a delivery once the receiver's answer is back,
  // which can be after the receiver recorded the call: poll for it.
  std::string m = metrics_text();
  for (auto until = std::chrono::steady_clock::now() + 10s;
       m.find("duet_callbacks_delivered_total 1\n") == std::string::npos && std::chrono::steady_clock::now() < until;
       m = metrics_text())
    std::this_thread::sleep_for(50ms);
  EXPECT_NE(m.find("duet_cosignatures_total 1"), std::string::npos) << m;
  EXPECT_NE(m.find("duet_enrollments_total 1"), std::string::npos);
  EXPECT_NE(m.find("duet_callbacks_delivered_total 1\n"), std::string::npos) << m;
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
  EXPECT_EQ(ok_value(leaf->public_key()).to_hex(), holder["public_key"]);
  std::string leaf_path = scratch.write("holder.pem", leaf_pem);
  std::string chain_path = scratch.write("chain.pem", chain_pem);
  // At the test clock's instant (the certificates' dates come from it), not openssl's wall clock.
  const std::string attime = " -attime " + std::to_string(clock.now());
  auto v = run("openssl verify -partial_chain -CAfile " + chain_path + attime + " -vfyopt distid:1234567812345678 " +
               leaf_path);
  EXPECT_EQ(v.status, 0) << v.output;
  // A sandbox holder: the sandbox CA's files (docs/pki.md "The sandbox CA");
  // production's paths do not serve them.
  EXPECT_EQ(issuer_id, daemon->certificates().issuing_ca_id(store::AppEnvironment::kSandbox));
  EXPECT_EQ(call("GET", "/pki/ca/" + issuer_id + ".pem").status, 404);
  EXPECT_EQ(call("GET", "/pki/crl/" + issuer_id + ".crl").status, 404);
  EXPECT_EQ(call("GET", "/pki/sandbox/ca/" + daemon->certificates().issuing_ca_id() + ".pem").status, 404);
  auto issuing_pem = call("GET", "/pki/sandbox/ca/" + issuer_id + ".pem");
  ASSERT_EQ(issuing_pem.status, 200);
  std::string issuing_path = scratch.write("issuing.pem", issuing_pem.body);
  EXPECT_EQ(chain_pem.rfind(issuing_pem.body, 0), 0u);
  auto responder =
      call("GET", "/pki/sandbox/ca/" + daemon->certificates().ocsp_ca_id(store::AppEnvironment::kSandbox) + ".pem");
  ASSERT_EQ(responder.status, 200);
  scratch.write("ocsp.pem", responder.body);
  auto certs = biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id + "/certificates");
  ASSERT_EQ(certs.status, 200) << certs.body;
  ASSERT_EQ(parse(certs)["certificates"].size(), 1u);
  EXPECT_EQ(parse(certs)["certificates"][0]["chain_pem"], chain_pem);

  auto fetch_crl = [&](const std::string& name) {
    auto crl = call("GET", "/pki/sandbox/crl/" + issuer_id + ".crl");
    EXPECT_EQ(crl.status, 200) << crl.body;
    EXPECT_EQ(crl.header("Content-Type").value_or(""), "application/pkix-crl");
    std::string path = scratch.write(name, crl.body);
    auto ok = run("openssl crl -inform DER -in " + path + " -CAfile " + issuing_path + " -noout -verify");
    EXPECT_NE(ok.output.find("verify OK"), std::string::npos) << ok.output;
    return run("openssl crl -inform DER -in " + path + " -noout -text").output;
  };
  auto ocsp_status = [&](const std::string& tag, const std::string& path = "/pki/sandbox/ocsp") {
    std::string req_path = scratch.file(tag + ".req");
    auto r = run("openssl ocsp -issuer " + issuing_path + " -cert " + leaf_path + " -reqout " + req_path);
    EXPECT_EQ(r.status, 0) << r.output;
    httpclient::HttpRequest hr;
    hr.method = "POST";
    hr.url = base + path;
    hr.body = scratch.read(tag + ".req");
    hr.headers = {{"Content-Type", "application/ocsp-request"}};
    auto answered = ok_value(client.perform(hr));
    EXPECT_EQ(answered.status, 200);
    EXPECT_EQ(answered.header("Content-Type").value_or(""), "application/ocsp-response");
    scratch.write(tag + ".resp", answered.body);
    return run("cd " + scratch.path() + " && openssl ocsp -respin " + tag + ".resp -issuer issuing.pem -cert holder.pem " +
               "-no_nonce -VAfile ocsp.pem" + attime).output;
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
  // Production's responder does not answer for the sandbox's certificates.
  std::string elsewhere = ocsp_status("production", "/pki/ocsp");
  EXPECT_NE(elsewhere.find("holder.pem: unknown"), std::string::npos) << elsewhere;

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

// Order creation records its nonce inside the order's own write transaction
// (store/write_context.h): a replay is refused and creates nothing, and a create
// that fails still burns its nonce.
TEST_F(ServerTest, ReplayedOrderCreationIsRefusedAndCreatesNothing) {
  Tenant t = new_tenant("Replay");
  Device d = enroll(t.sandbox, "123456");
  json body{{"holder_id", d.holder_id}, {"title", "T"}, {"display_text", "x"}, {"output", "der"},
            {"data_base64", encode_base64(as_bytes(std::string("replayed")))}};
  auto first = biz(t.sandbox, "POST", "/api/v1/orders", body.dump(), {}, std::nullopt, "create-nonce-1");
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = biz(t.sandbox, "POST", "/api/v1/orders", body.dump(), {}, std::nullopt, "create-nonce-1");
  EXPECT_EQ(again.status, 401) << again.body;
  EXPECT_EQ(error_code(again), "unauthenticated");
  auto listed = parse(biz(t.sandbox, "GET", "/api/v1/orders?holder_id=" + d.holder_id));
  EXPECT_EQ(listed["orders"].size(), 1u) << listed.dump();

  // A create refused by the handler (unknown holder: 404) burns its nonce too.
  json unknown = body;
  unknown["holder_id"] = "hld_doesnotexist";
  auto refused = biz(t.sandbox, "POST", "/api/v1/orders", unknown.dump(), {}, std::nullopt, "create-nonce-2");
  EXPECT_EQ(refused.status, 404) << refused.body;
  auto replayed = biz(t.sandbox, "POST", "/api/v1/orders", unknown.dump(), {}, std::nullopt, "create-nonce-2");
  EXPECT_EQ(replayed.status, 401) << replayed.body;
  // And one refused before the handler (production credentials before activation: 402).
  auto inactive = biz(t.production, "POST", "/api/v1/orders", body.dump(), {}, std::nullopt, "create-nonce-3");
  EXPECT_EQ(inactive.status, 402) << inactive.body;
  ASSERT_EQ(admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/activation",
                  json{{"production_active_from", clock.now() - 10}}.dump()).status, 200);
  auto after = biz(t.production, "POST", "/api/v1/orders", body.dump(), {}, std::nullopt, "create-nonce-3");
  EXPECT_EQ(after.status, 401) << after.body;

  // Concurrent copies of one request: exactly one order.
  json concurrent = body;
  concurrent["title"] = "concurrent";
  const std::string cbody = concurrent.dump(), ts = std::to_string(clock.now()), cnonce = "create-nonce-4";
  const std::string sig = core::sign_request(t.sandbox.secret, "POST", "/api/v1/orders", "", ts, cnonce, cbody);
  httpclient::HttpRequest copy;
  copy.method = "POST";
  copy.url = base + "/api/v1/orders";
  copy.body = cbody;
  copy.headers = {{"X-Duet-App-Id", t.sandbox.app_id}, {"X-Duet-Timestamp", ts}, {"X-Duet-Nonce", cnonce},
                  {"X-Duet-Signature", sig}, {"Content-Type", "application/json"}};
  std::vector<int> statuses = testing::send_at_once(std::vector<httpclient::HttpRequest>(6, copy));
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 401), 5);
  listed = parse(biz(t.sandbox, "GET", "/api/v1/orders?holder_id=" + d.holder_id));
  EXPECT_EQ(listed["orders"].size(), 2u) << listed.dump();

  // The audit log names what each create made (the create request's path has no id).
  std::string auditor;
  std::ifstream((dir / "auditor.token").string()) >> auditor;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // read-only events are written in batches
  auto audit = call("GET", "/admin/v1/audit/events?limit=1000", "", {{"Authorization", "Bearer " + auditor}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  const std::string first_id = parse(first)["order_id"];
  int named_order = 0, named_holder = 0;
  const json events = parse(audit)["events"];
  for (const auto& e : events) {
    if (e["action"] == "POST /api/v1/orders" && e["outcome"] == "ok" && e["target"] == "order_id:" + first_id)
      ++named_order;
    if (e["action"] == "POST /api/v1/holders" && e["outcome"] == "ok" && e["target"] == "holder_id:" + d.holder_id)
      ++named_holder;
  }
  EXPECT_EQ(named_order, 1);
  EXPECT_EQ(named_holder, 1);
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
      // (a phone is optional unless the app's activation sends an SMS code: docs/consent.md)
      {"missing name", "/api/v1/holders", R"({"id_number":"1","phone":"1"})", "invalid_argument"},
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
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA=="}, {"output", "pdf-a"}}.dump(),
       "invalid_argument"},
      {"pdf order with data", "/api/v1/orders",
       json{{"holder_id", d.holder_id}, {"title", "x"}, {"data_base64", "eA=="}, {"output", "pdf"}}.dump(),
       "invalid_argument"},
      {"deep nesting", "/api/v1/holders", std::string(100000, '[') + std::string(100000, ']'), "bad_encoding"},
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
                R"({"session_id":"ses_abcdefgh","items":[{"q1":"00","proof":{"t":"00","z":"00"}}],)"
                R"("pin_proof":{"t":"00","z":"00"}})")
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
    EXPECT_EQ(error_code(r), "pin_invalid");
    json err = parse(r)["error"];
    EXPECT_EQ(err["attempts_left"], 4 - i);
    EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-store");
    // Nothing but the error: no r, s2, s3 to test PINs with offline.
    EXPECT_EQ(parse(r).size(), 1u) << r.body;
    EXPECT_EQ(r.body.find("\"s2\""), std::string::npos);
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
  // The business system unlocks: the next PIN use must be a share refresh
  // (any copy of the old device state must die), so signing answers 409.
  ASSERT_EQ(biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/unlock").status, 200);
  auto after_unlock = sign(d, order2, "123456", "ses_right001");
  EXPECT_EQ(after_unlock.status, 409) << after_unlock.body;
  EXPECT_EQ(error_code(after_unlock), "refresh_required");
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
  // A retry that changes what the order is, is a conflict, not the first order.
  json longer = body;
  longer["expires_in"] = 3600;
  auto changed_ttl = biz(t.sandbox, "POST", "/api/v1/orders", longer.dump(), {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(changed_ttl.status, 409) << changed_ttl.body;
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
    auto e_bytes = ok_value(from_hex_exact(details["items"][0]["e"].get<std::string>(), 32));
    crypto::Digest e{};
    std::copy(e_bytes.begin(), e_bytes.end(), e.begin());
    std::vector<std::string> finish_bodies, sessions;
    for (int s = 0; s < 2; ++s) {
      std::string sid = "ses_race_" + std::to_string(round) + "_" + std::to_string(s);
      auto [signer, request] = *cosign::DeviceSignSession::start(*d.state, "123456", {order_id, sid, {e}},
                                                                 crypto::SystemRandom::instance());
      json body = json::parse(cosign::to_json(request));
      body["session_id"] = sid;
      auto start = dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions", body.dump());
      ASSERT_EQ(start.status, 201) << start.body;
      auto resp = ok_value(cosign::parse_sign_response(parse(start)["items"][0].dump()));
      auto fin = signer.finish({resp});
      ASSERT_TRUE(fin.ok());
      finish_bodies.push_back(json{{"items", json::array({json::parse(cosign::to_json(fin->first[0]))})}}.dump());
      sessions.push_back(sid);
    }
    std::vector<httpclient::HttpRequest> finishes(2);
    for (int s = 0; s < 2; ++s) {
      finishes[s].method = "POST";
      finishes[s].url = base + "/app/v1/orders/" + order_id + "/sessions/" + sessions[s] + "/finish";
      finishes[s].body = finish_bodies[s];
      finishes[s].headers = {{"Authorization", "Bearer " + d.token}, {"Content-Type", "application/json"}};
    }
    std::vector<int> statuses = testing::send_at_once(finishes);
    std::sort(statuses.begin(), statuses.end());
    EXPECT_EQ(statuses[0], 200) << "round " << round;
    EXPECT_EQ(statuses[1], 409) << "round " << round;
    json order = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + order_id));
    EXPECT_EQ(order["state"], "signed");
    auto sig = ok_value(from_hex(order["items"][0]["signature"].get<std::string>()));
    EXPECT_TRUE(crypto::evp_sm2_verify(d.state->public_key, as_bytes("race " + std::to_string(round)), sig).ok());
  }
  EXPECT_NE(metrics_text().find("duet_cosignatures_total 3"), std::string::npos);
}

}  // namespace
}  // namespace duet::server

namespace duet::server {
namespace {

// A local trusted identity data source (the HttpIdentitySource's peer): it
// confirms an identity whose id_number ends in "1234", checks the bearer key,
// and answers 503 while `down`.
class IdentitySourceStub {
 public:
  IdentitySourceStub() {
    http::Router r;
    r.post("/verify", [this](const http::Request& req) {
      calls++;
      if (down) return http::Response::json(503, R"({"error":"maintenance"})");
      auto auth = req.header("Authorization");
      if (!auth || *auth != "Bearer source-key-1") return http::Response::json(401, "{}");
      json j = json::parse(req.body, nullptr, false);
      std::string idn = j.value("id_number", "");
      bool match = idn.size() >= 4 && idn.substr(idn.size() - 4) == "1234" && j.value("name", "") == "张三";
      json out{{"match", match}, {"reference", "ids-ref-" + std::to_string(calls.load())}};
      if (!match) out["reason"] = "no such record";
      return http::Response::json(200, out.dump());
    });
    http::ServerConfig c;
    c.listen_host = "127.0.0.1";
    c.listen_port = 0;
    c.threads = 1;
    c.access_log = false;
    server = std::make_unique<http::Server>(c, std::move(r));
    EXPECT_TRUE(server->start().ok());
  }
  ~IdentitySourceStub() { server->stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/verify"; }

  std::atomic<int> calls{0};
  std::atomic<bool> down{false};
  std::unique_ptr<http::Server> server;
};

class IdentityTest : public ServerTest {
 protected:
  void configure(DaemonConfig& c) override {
    key_file = testing::temp_dir("idkey");
    {
      std::ofstream out(key_file);
      out << "source-key-1\n";
    }
    c.identity.source_url = source.url();
    c.identity.source_api_key_file = key_file.string();
    c.identity.source_timeout_ms = 2000;
  }
  void TearDown() override {
    ServerTest::TearDown();
    std::filesystem::remove(key_file);
  }
  void settings(const Tenant& t, const Cred& c, json body, int want = 200) {
    auto r = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/apps/" + c.app_id + "/settings", body.dump());
    EXPECT_EQ(r.status, want) << r.body;
  }
  httpclient::HttpResponse create_holder(const Cred& c, const std::string& name, const std::string& id_number) {
    // The business system attests the holder's acceptance of the texts
    // (docs/consent.md): an identity_source app needs it before the check.
    return biz(c, "POST", "/api/v1/holders",
               json{{"name", name}, {"id_number", id_number}, {"phone", "13812345678"},
                    {"consents", duet::server::testing::current_consents_json(1700000000)}}.dump());
  }
  std::vector<json> sms_lines() {
    std::vector<json> out;
    std::ifstream in(daemon->sms_sink_path());
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
  }

  IdentitySourceStub source;
  std::filesystem::path key_file;
};

TEST_F(IdentityTest, AppSettingsAndAttestedRecordsWhoAndWhen) {
  Tenant t = new_tenant("Bank ID");
  // Defaults, shown in the app list.
  auto apps = parse(admin("GET", "/admin/v1/tenants/" + t.tenant_id + "/apps"));
  ASSERT_EQ(apps["apps"].size(), 2u);
  EXPECT_EQ(apps["apps"][0]["identity_mode"], "attested");
  EXPECT_EQ(apps["apps"][0]["sms_otp_required"], false);
  EXPECT_EQ(apps["apps"][0]["cms_oid_style"], "pkcs7");
  // Bad values and unknown apps.
  settings(t, t.sandbox, json{{"identity_mode", "psychic"}}, 400);
  settings(t, t.sandbox, json{{"cms_oid_style", "x"}}, 400);
  settings(t, t.sandbox, json{{"sms_otp_required", "yes"}}, 400);
  EXPECT_EQ(admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/apps/app_nope/settings", "{}").status, 404);

  auto h = create_holder(t.sandbox, "张三", "110101199003071234");
  ASSERT_EQ(h.status, 201) << h.body;
  json hj = parse(h);
  EXPECT_EQ(hj["identity_verification"], "attested");
  EXPECT_EQ(hj["identity_verified_by"], t.sandbox.app_id);
  EXPECT_EQ(hj["identity_verified_at"], clock.now());
  EXPECT_EQ(source.calls.load(), 0);
  // Settings apply to the app row named: production stays attested.
  settings(t, t.sandbox, json{{"identity_mode", "identity_source"}, {"sms_otp_required", true}, {"cms_oid_style", "gmt"}});
  apps = parse(admin("GET", "/admin/v1/tenants/" + t.tenant_id + "/apps"));
  for (const auto& a : apps["apps"]) {
    bool sbx = a["app_id"] == t.sandbox.app_id;
    EXPECT_EQ(a["identity_mode"], sbx ? "identity_source" : "attested");
    EXPECT_EQ(a["sms_otp_required"], sbx);
    EXPECT_EQ(a["cms_oid_style"], sbx ? "gmt" : "pkcs7");
  }
  // A request may name the mode, but it must be the app's.
  auto wrong = biz(t.sandbox, "POST", "/api/v1/holders",
                   json{{"name", "李四"}, {"id_number", "X1234"}, {"phone", "13812345678"},
                        {"identity_verification", "attested"}}.dump());
  EXPECT_EQ(wrong.status, 400) << wrong.body;
}

TEST_F(IdentityTest, IdentitySourceMatchMismatchAndDown) {
  Tenant t = new_tenant("Bank IDS");
  settings(t, t.sandbox, json{{"identity_mode", "identity_source"}});
  auto ok = create_holder(t.sandbox, "张三", "110101199003071234");
  ASSERT_EQ(ok.status, 201) << ok.body;
  json hj = parse(ok);
  EXPECT_EQ(hj["identity_verification"], "identity_source");
  EXPECT_EQ(hj["identity_verified_by"], t.sandbox.app_id);
  EXPECT_EQ(hj["identity_reference"], "ids-ref-1");
  EXPECT_EQ(parse(biz(t.sandbox, "GET", "/api/v1/holders/" + hj["holder_id"].get<std::string>()))["identity_reference"],
            "ids-ref-1");

  auto no = create_holder(t.sandbox, "张三", "110101199003075678");
  EXPECT_EQ(no.status, 422) << no.body;
  EXPECT_EQ(error_code(no), "identity_rejected");
  EXPECT_EQ(source.calls.load(), 2);

  source.down = true;
  auto down = create_holder(t.sandbox, "王五", "110101199003079999");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(error_code(down), "unavailable");
  source.down = false;
  // Neither the rejected nor the unverified holder exists.
  EXPECT_EQ(parse(biz(t.sandbox, "GET", "/api/v1/holders"))["holders"].size(), 1u);
}

TEST_F(ServerTest, IdentitySourceModeWithoutASourceIs503) {
  Tenant t = new_tenant("Bank no source");
  auto s = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/apps/" + t.sandbox.app_id + "/settings",
                 json{{"identity_mode", "identity_source"}}.dump());
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(parse(s)["identity_mode"], "identity_source");
  auto h = biz(t.sandbox, "POST", "/api/v1/holders",
               json{{"name", "张三"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump());
  EXPECT_EQ(h.status, 503) << h.body;
  EXPECT_EQ(parse(biz(t.sandbox, "GET", "/api/v1/holders"))["holders"].size(), 0u);
}

TEST_F(IdentityTest, SmsOneTimeCodeAtActivation) {
  Tenant t = new_tenant("Bank OTP");
  settings(t, t.sandbox, json{{"sms_otp_required", true}});
  std::string holder_id = new_holder(t.sandbox);
  auto code = biz(t.sandbox, "POST", "/api/v1/holders/" + holder_id + "/activation-codes");
  ASSERT_EQ(code.status, 201) << code.body;
  json cj = parse(code);
  EXPECT_EQ(cj["otp_required"], true);

  // The sink: mode 0600, phone masked, the code in the text.
  auto perms = std::filesystem::status(daemon->sms_sink_path()).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto lines = sms_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["phone"], "138****5678");
  std::string text = lines[0]["text"];
  std::string prefix = "Duet activation code for " + holder_id + ": ";
  ASSERT_EQ(text.rfind(prefix, 0), 0u) << text;
  std::string otp = text.substr(prefix.size());
  ASSERT_EQ(otp.size(), 6u);
  std::string wrong_otp = otp == "000000" ? "000001" : "000000";

  auto redeem = [&](const json& extra) {
    auto [dk, req] = ok_value(cosign::DeviceKeygen::start(holder_id, crypto::SystemRandom::instance()));
    json body{{"code", cj["code"]}, {"keygen", json::parse(cosign::to_json(req))}, {"consents", duet::server::testing::current_consents_json()}};
    for (auto& [k, v] : extra.items()) body[k] = v;
    return call("POST", "/app/v1/activations", body.dump());
  };
  auto missing = redeem(json::object());
  EXPECT_EQ(missing.status, 401) << missing.body;
  auto bad = redeem(json{{"otp", wrong_otp}});
  EXPECT_EQ(bad.status, 401) << bad.body;
  EXPECT_NE(parse(bad)["error"]["message"].get<std::string>().find("wrong one-time code"), std::string::npos);
  EXPECT_TRUE(parse(biz(t.sandbox, "GET", "/api/v1/holders/" + holder_id))["public_key"].is_null());
  auto good = redeem(json{{"otp", otp}});
  ASSERT_EQ(good.status, 201) << good.body;
  EXPECT_TRUE(parse(biz(t.sandbox, "GET", "/api/v1/holders/" + holder_id))["public_key"].is_string());

  // Five wrong codes use up the attempts: then 409 even with the right one.
  auto code2 = parse(biz(t.sandbox, "POST", "/api/v1/holders/" + holder_id + "/activation-codes"));
  cj = code2;
  std::string otp2 = sms_lines().back()["text"].get<std::string>().substr(prefix.size());
  std::string wrong2 = otp2 == "000000" ? "000001" : "000000";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(redeem(json{{"otp", wrong2}}).status, 401);
  auto spent = redeem(json{{"otp", otp2}});
  EXPECT_EQ(spent.status, 409) << spent.body;
  EXPECT_EQ(sms_lines().size(), 2u);
  // Without the setting no one-time code is drawn or sent.
  settings(t, t.sandbox, json{{"sms_otp_required", false}});
  auto code3 = parse(biz(t.sandbox, "POST", "/api/v1/holders/" + holder_id + "/activation-codes"));
  EXPECT_EQ(code3["otp_required"], false);
  EXPECT_EQ(sms_lines().size(), 2u);
}

}  // namespace
}  // namespace duet::server

namespace duet::server {
namespace {

std::vector<pki::Certificate> parse_pem_chain(const std::string& pem) {
  std::vector<pki::Certificate> out;
  const std::string end = "-----END CERTIFICATE-----";
  size_t pos = 0;
  while (true) {
    size_t b = pem.find("-----BEGIN CERTIFICATE-----", pos);
    if (b == std::string::npos) break;
    size_t e = pem.find(end, b);
    if (e == std::string::npos) break;
    auto c = pki::Certificate::parse(std::string_view(pem).substr(b, e + end.size() - b));
    EXPECT_TRUE(c.ok());
    if (c.ok()) out.push_back(*c);
    pos = e + end.size();
  }
  return out;
}

class CmsTest : public ServerTest {
 protected:
  // Enrollment with a certificate; returns the chain PEM (issuing CA, root).
  std::string certify(const Device& d) {
    auto req = dev(d.token, "POST", "/app/v1/certificate-requests");
    EXPECT_EQ(req.status, 201) << req.body;
    auto fin = sign(d, parse(req)["order_id"], "123456", "ses_cert_" + d.holder_id.substr(4, 12));
    EXPECT_EQ(fin.status, 200) << fin.body;
    return parse(fin)["chain_pem"];
  }
  httpclient::HttpResponse order(const Cred& c, json body) {
    body["title"] = "CMS";
    return biz(c, "POST", "/api/v1/orders", body.dump());
  }
  pki::CmsTrust trust(const std::string& chain_pem) {
    auto chain = parse_pem_chain(chain_pem);
    EXPECT_EQ(chain.size(), 2u);
    pki::CmsTrust t;
    if (chain.size() == 2) {
      t.intermediates.push_back(chain[0]);
      t.roots.push_back(chain[1]);
    }
    return t;
  }
};

TEST_F(CmsTest, DetachedAndAttachedCmsOrders) {
  using pki::testing::run;
  Tenant t = new_tenant("Bank CMS");
  Device d = enroll(t.sandbox, "123456");
  const std::string msg = "contract 2026-042";
  // Without a certificate: 409 at creation.
  auto early = order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", "cms-detached"},
                                     {"data_base64", encode_base64(as_bytes(msg))}});
  EXPECT_EQ(early.status, 409) << early.body;
  std::string chain_pem = certify(d);
  pki::CmsTrust tr = trust(chain_pem);
  auto pub = crypto::Point::from_hex(parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id))["public_key"].get<std::string>());
  ASSERT_TRUE(pub.ok());

  // Attached needs data.
  auto bad = order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", "cms-attached"},
                                   {"digest_hex", to_hex(crypto::sm3(as_bytes(msg)))}});
  EXPECT_EQ(bad.status, 400) << bad.body;

  // Detached, PKCS#7 OIDs (the default style).
  auto o1 = order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", "cms-detached"},
                                  {"data_base64", encode_base64(as_bytes(msg))}});
  ASSERT_EQ(o1.status, 201) << o1.body;
  std::string id1 = parse(o1)["order_id"];
  EXPECT_EQ(parse(o1)["output"], "cms-detached");
  auto view = parse(dev(d.token, "GET", "/app/v1/orders/" + id1));
  EXPECT_EQ(view["output"], "cms-detached");
  auto attrs = decode_base64(view["items"][0]["signed_attributes_base64"].get<std::string>());
  ASSERT_TRUE(attrs && !attrs->empty());
  // e covers the signed attributes, whose messageDigest is SM3(data).
  EXPECT_EQ(view["items"][0]["e"], to_hex(ok_value(crypto::sm2_digest(*pub, *attrs))));
  auto md = crypto::sm3(as_bytes(msg));
  std::string attrs_s(attrs->begin(), attrs->end()), md_s(md.begin(), md.end());
  EXPECT_NE(attrs_s.find(md_s), std::string::npos);
  // The same e at every read (deterministic signed attributes).
  EXPECT_EQ(parse(dev(d.token, "GET", "/app/v1/orders/" + id1))["items"][0]["e"], view["items"][0]["e"]);
  auto f1 = sign(d, id1, "123456", "ses_cms_det01");
  ASSERT_EQ(f1.status, 200) << f1.body;
  json g1 = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + id1));
  ASSERT_EQ(g1["state"], "signed");
  auto der1 = from_hex(g1["items"][0]["signature"].get<std::string>());
  ASSERT_TRUE(der1.ok());
  EXPECT_EQ(g1["items"][0]["signature_base64"], encode_base64(*der1));
  auto v1 = pki::verify_cms(*der1, ByteView(as_bytes(msg)), tr);
  ASSERT_TRUE(v1.ok()) << v1.error().to_string();
  EXPECT_TRUE(v1->ok()) << (v1->reasons.empty() ? "" : v1->reasons[0]);
  EXPECT_TRUE(v1->detached);
  EXPECT_EQ(v1->oids, pki::CmsOids::kPkcs7);
  ASSERT_TRUE(v1->signing_time.has_value());
  EXPECT_EQ(v1->signing_time->time_since_epoch().count(), g1["created_at"].get<int64_t>());
  auto other = pki::verify_cms(*der1, ByteView(as_bytes(std::string("tampered"))), tr);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->ok());
  pki::testing::ScratchDir scratch;
  std::string p7 = scratch.write("d.p7s", std::string(der1->begin(), der1->end()));
  auto printed = run("openssl cms -cmsout -print -inform DER -in " + p7);
  EXPECT_EQ(printed.status, 0) << printed.output;
  EXPECT_NE(printed.output.find("signingTime"), std::string::npos) << printed.output;

  // Detached from a digest (SM3 of the content).
  auto o2 = order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", "cms-detached"}, {"digest_hex", to_hex(md)}});
  ASSERT_EQ(o2.status, 201) << o2.body;
  std::string id2 = parse(o2)["order_id"];
  ASSERT_EQ(sign(d, id2, "123456", "ses_cms_dig01").status, 200);
  auto der2 = from_hex(parse(biz(t.sandbox, "GET", "/api/v1/orders/" + id2))["items"][0]["signature"].get<std::string>());
  ASSERT_TRUE(der2.ok());
  auto v2 = pki::verify_cms(*der2, ByteView(as_bytes(msg)), tr);
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(v2->ok());

  // Attached with GM/T 0010 OIDs (the app's setting), as a batch.
  auto s = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/apps/" + t.sandbox.app_id + "/settings",
                 json{{"cms_oid_style", "gmt"}}.dump());
  ASSERT_EQ(s.status, 200) << s.body;
  auto o3 = order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", "cms-attached"},
                                  {"items", json::array({json{{"data_base64", encode_base64(as_bytes(msg))}},
                                                         json{{"data_base64", encode_base64(as_bytes("two"))}}})}});
  ASSERT_EQ(o3.status, 201) << o3.body;
  std::string id3 = parse(o3)["order_id"];
  // The style is fixed at creation: changing the setting now changes nothing.
  ASSERT_EQ(admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/apps/" + t.sandbox.app_id + "/settings",
                  json{{"cms_oid_style", "pkcs7"}}.dump()).status, 200);
  ASSERT_EQ(sign(d, id3, "123456", "ses_cms_att01").status, 200);
  json g3 = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + id3));
  ASSERT_EQ(g3["items"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto der = from_hex(g3["items"][i]["signature"].get<std::string>());
    ASSERT_TRUE(der.ok());
    auto v = pki::verify_cms(*der, std::nullopt, tr);
    ASSERT_TRUE(v.ok()) << v.error().to_string();
    EXPECT_TRUE(v->ok()) << (v->reasons.empty() ? "" : v->reasons[0]);
    EXPECT_FALSE(v->detached);
    EXPECT_EQ(v->oids, pki::CmsOids::kGmT0010);
  }
  // The verify route takes an attached CMS alone.
  auto vr = biz(t.sandbox, "POST", "/api/v1/verify",
                json{{"signature_hex", g3["items"][1]["signature"]}, {"format", "cms"}}.dump());
  ASSERT_EQ(vr.status, 200) << vr.body;
  EXPECT_EQ(parse(vr)["valid"], true) << vr.body;
}


TEST_F(CmsTest, VerifyRoute) {
  Tenant t = new_tenant("Bank Verify");
  Device d = enroll(t.sandbox, "123456");
  std::string chain_pem = certify(d);
  json cert = parse(dev(d.token, "GET", "/app/v1/certificate"));
  std::string pub = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id))["public_key"];
  const std::string msg = "verify me";
  auto signed_order = [&](const std::string& output, const std::string& ses) {
    auto o = order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", output},
                                   {"data_base64", encode_base64(as_bytes(msg))}});
    EXPECT_EQ(o.status, 201) << o.body;
    std::string id = parse(o)["order_id"];
    EXPECT_EQ(sign(d, id, "123456", ses).status, 200);
    return parse(biz(t.sandbox, "GET", "/api/v1/orders/" + id))["items"][0];
  };
  json cms = signed_order("cms-detached", "ses_ver_cms01");
  json der = signed_order("der", "ses_ver_der01");
  json raw = signed_order("raw", "ses_ver_raw01");
  auto verify = [&](json body) {
    auto r = biz(t.sandbox, "POST", "/api/v1/verify", body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return parse(r);
  };
  json data{{"data_base64", encode_base64(as_bytes(msg))}};
  json v = verify(json{{"data_base64", data["data_base64"]}, {"signature_base64", cms["signature_base64"]}, {"format", "cms"}});
  EXPECT_EQ(v["valid"], true) << v.dump();
  EXPECT_EQ(v["chain_ok"], true);
  EXPECT_EQ(v["signer"]["serial"], cert["serial"]);
  EXPECT_NE(v["signer"]["subject"].get<std::string>().find("CN="), std::string::npos);
  EXPECT_EQ(v["revoked_at_signing_time"], false);
  json tampered = verify(json{{"data_base64", encode_base64(as_bytes(std::string("other")))},
                              {"signature_hex", cms["signature"]}, {"format", "cms"}});
  EXPECT_EQ(tampered["valid"], false);
  EXPECT_FALSE(tampered["reasons"].empty());
  // The digest form of a detached CMS: SM3 of the content.
  json by_digest = verify(json{{"digest_hex", to_hex(crypto::sm3(as_bytes(msg)))}, {"signature_hex", cms["signature"]},
                               {"format", "cms"}});
  EXPECT_EQ(by_digest["valid"], true) << by_digest.dump();

  json vd = verify(json{{"data_base64", data["data_base64"]}, {"signature_hex", der["signature"]}, {"format", "der"},
                        {"public_key_hex", pub}});
  EXPECT_EQ(vd["valid"], true) << vd.dump();
  EXPECT_TRUE(vd["chain_ok"].is_null());
  json vr = verify(json{{"data_base64", data["data_base64"]}, {"signature_hex", raw["signature"]}, {"format", "raw"},
                        {"certificate_pem", cert["certificate_pem"]}});
  EXPECT_EQ(vr["valid"], true) << vr.dump();
  EXPECT_EQ(vr["chain_ok"], true);
  EXPECT_EQ(vr["revoked_at_signing_time"], false);
  json wrong = verify(json{{"data_base64", encode_base64(as_bytes(std::string("x")))}, {"signature_hex", raw["signature"]},
                           {"format", "raw"}, {"public_key_hex", pub}});
  EXPECT_EQ(wrong["valid"], false);
  EXPECT_EQ(biz(t.sandbox, "POST", "/api/v1/verify",
                json{{"data_base64", data["data_base64"]}, {"signature_hex", der["signature"]}, {"format", "der"}}.dump())
                .status,
            400);  // no key

  // Production credentials trust production's CA only: the sandbox holder's
  // CMS and certificate are untrusted, and the answer says why (issue 14 item 1).
  open_production(t);
  for (const json& body : {json{{"data_base64", data["data_base64"]}, {"signature_base64", cms["signature_base64"]},
                                {"format", "cms"}},
                           json{{"data_base64", data["data_base64"]}, {"signature_hex", raw["signature"]},
                                {"format", "raw"}, {"certificate_pem", cert["certificate_pem"]}}}) {
    auto pr = biz(t.production, "POST", "/api/v1/verify", body.dump());
    ASSERT_EQ(pr.status, 200) << pr.body;
    json pv = parse(pr);
    EXPECT_EQ(pv["valid"], false) << pv.dump();
    EXPECT_EQ(pv["chain_ok"], false) << pv.dump();
    EXPECT_NE(pv["reasons"].dump().find("issued by the sandbox CA, which production verification does not trust"),
              std::string::npos)
        << pv.dump();
    EXPECT_EQ(pv["revoked_at_signing_time"], "unknown") << "production has no record of a sandbox certificate";
  }

  // After revocation: the CMS was signed before it (false); a bare DER
  // signature has no signing time (unknown).
  clock.advance(60);
  auto rev = biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/certificates/" +
                                        cert["cert_id"].get<std::string>() + "/revoke",
                 json{{"reason", "keyCompromise"}}.dump());
  ASSERT_EQ(rev.status, 200) << rev.body;
  v = verify(json{{"data_base64", data["data_base64"]}, {"signature_base64", cms["signature_base64"]}, {"format", "cms"}});
  EXPECT_EQ(v["revoked_at_signing_time"], false) << v.dump();
  EXPECT_EQ(v["valid"], true);
  vr = verify(json{{"data_base64", data["data_base64"]}, {"signature_hex", raw["signature"]}, {"format", "raw"},
                   {"certificate_pem", cert["certificate_pem"]}});
  EXPECT_EQ(vr["revoked_at_signing_time"], "unknown") << vr.dump();
  EXPECT_EQ(vr["valid"], false);
}


TEST(DaemonConfigIdentity, IdentityTableParsesAndValidates) {
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto c = parse_daemon_config(R"([identity]
source_url = "https://ids.example/verify"
source_api_key_file = "/etc/duet/ids.key"
source_ca_file = "/etc/duet/ids-ca.pem"
source_timeout_ms = 3000
sms_sink = "/var/lib/duet/sms.jsonl"
)", env);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->identity.source_url, "https://ids.example/verify");
  EXPECT_EQ(c->identity.source_api_key_file, "/etc/duet/ids.key");
  EXPECT_EQ(c->identity.source_ca_file, "/etc/duet/ids-ca.pem");
  EXPECT_EQ(c->identity.source_timeout_ms, 3000);
  EXPECT_EQ(c->identity.sms_sink, "/var/lib/duet/sms.jsonl");
  EXPECT_FALSE(parse_daemon_config("[identity]\nsource_urll = \"x\"\n", env).ok());
  auto bad_url = parse_daemon_config("[identity]\nsource_url = \"ftp://x\"\n", env);
  ASSERT_TRUE(bad_url.ok());
  bad_url->dev = true;
  bad_url->keys.kek = "file";
  EXPECT_FALSE(bad_url->validate().ok());
}

TEST(DaemonConfigCallbacks, PrivateAddressesRefusedUnlessAllowedOrDev) {
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto unset = parse_daemon_config("", env);
  ASSERT_TRUE(unset.ok());
  EXPECT_TRUE(unset->callback_public_addresses_only());
  unset->dev = true;
  EXPECT_FALSE(unset->callback_public_addresses_only());
  auto refuse = parse_daemon_config("[service]\ncallback_private_addresses = \"refuse\"\n", env);
  ASSERT_TRUE(refuse.ok());
  refuse->dev = true;  // an explicit refusal holds in development too
  EXPECT_TRUE(refuse->callback_public_addresses_only());
  auto allow = parse_daemon_config("[service]\ncallback_private_addresses = \"allow\"\n", env);
  ASSERT_TRUE(allow.ok());
  EXPECT_FALSE(allow->callback_public_addresses_only());
  auto bad = parse_daemon_config("[service]\ncallback_private_addresses = \"sometimes\"\n", env);
  EXPECT_FALSE(bad.ok() && bad->validate().ok());
}

TEST(DaemonConfigPki, ImportKeysParseAndGoTogether) {
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto c = parse_daemon_config(R"([pki]
import_root_cert = "/etc/duet/root.pem"
import_issuing_cert = "/etc/duet/issuing.pem"
import_issuing_key = "/etc/duet/issuing.key"
)", env);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->pki.import_root_cert, "/etc/duet/root.pem");
  EXPECT_EQ(c->pki.import_issuing_cert, "/etc/duet/issuing.pem");
  EXPECT_EQ(c->pki.import_issuing_key, "/etc/duet/issuing.key");
  c->dev = true;
  c->keys.kek = "file";
  EXPECT_TRUE(c->validate().ok());
  auto partial = parse_daemon_config("[pki]\nimport_root_cert = \"/etc/duet/root.pem\"\n", env);
  ASSERT_TRUE(partial.ok());
  partial->dev = true;
  partial->keys.kek = "file";
  EXPECT_FALSE(partial->validate().ok());
}

TEST_F(ServerTest, CaChainPemIsPublished) {
  auto r = call("GET", "/pki/ca/chain.pem");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, daemon->certificates().chain_pem());
  EXPECT_EQ(parse_pem_chain(r.body).size(), 2u);
  // The sandbox CA's chain and roots under /pki/sandbox/ (docs/pki.md "The sandbox CA").
  auto sandbox = call("GET", "/pki/sandbox/ca/chain.pem");
  ASSERT_EQ(sandbox.status, 200) << sandbox.body;
  EXPECT_EQ(sandbox.body, daemon->certificates().chain_pem(store::AppEnvironment::kSandbox));
  auto sandbox_chain = parse_pem_chain(sandbox.body);
  ASSERT_EQ(sandbox_chain.size(), 2u);
  EXPECT_NE(sandbox_chain[1].subject().find("Sandbox Root CA"), std::string::npos) << sandbox_chain[1].subject();
  EXPECT_NE(sandbox_chain[1].subject().find("OU=Sandbox"), std::string::npos) << sandbox_chain[1].subject();
  EXPECT_NE(sandbox.body, r.body);
  auto root = call("GET", "/pki/sandbox/ca/root.pem");
  ASSERT_EQ(root.status, 200);
  EXPECT_EQ(root.body, sandbox_chain[1].pem());
  auto production_root = call("GET", "/pki/ca/root.cer");
  ASSERT_EQ(production_root.status, 200);
  EXPECT_EQ(production_root.header("Content-Type").value_or(""), "application/pkix-cert");
  const Bytes root_der = parse_pem_chain(r.body)[1].der();
  EXPECT_EQ(production_root.body, std::string(root_der.begin(), root_der.end()));
}

// --- certificate lifecycle: renewal, re-key, CA import -----------------------

class LifecycleTest : public ServerTest {
 protected:
  // The certificate request of d signed; returns the finish answer.
  json certify(const Device& d, const std::string& pin, const std::string& session_id) {
    auto req = dev(d.token, "POST", "/app/v1/certificate-requests");
    EXPECT_EQ(req.status, 201) << req.body;
    auto fin = sign(d, parse(req)["order_id"], pin, session_id);
    EXPECT_EQ(fin.status, 200) << fin.body;
    return parse(fin);
  }
  // A new activation code for an existing holder, redeemed by a new device.
  Device reactivate(const Cred& c, const std::string& holder_id, const std::string& pin) {
    auto code = biz(c, "POST", "/api/v1/holders/" + holder_id + "/activation-codes");
    EXPECT_EQ(code.status, 201) << code.body;
    return testing::activate_device(plain_call(), holder_id, parse(code)["code"], pin, kIters);
  }
};

TEST_F(LifecycleTest, RenewalIssuesASecondCertificateOfTheSameKey) {
  using pki::testing::run;
  Tenant t = new_tenant("Bank R");
  Device d = enroll(t.sandbox, "123456");
  json first = certify(d, "123456", "ses_first_cert");
  std::string chain_pem = first["chain_pem"];
  // A later second: "the newest" below then names one certificate (two issued in the
  // same second tie on created_at, and either is the key's current certificate).
  clock.advance(1);

  auto renew = biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/certificates/renew");
  ASSERT_EQ(renew.status, 201) << renew.body;
  json rj = parse(renew);
  EXPECT_EQ(rj["kind"], "certificate_request");
  EXPECT_EQ(rj["holder_id"], d.holder_id);
  EXPECT_EQ(rj["state"], "pending");
  std::string order_id = rj["order_id"];
  auto again = biz(t.sandbox, "POST", "/api/v1/holders/" + d.holder_id + "/certificates/renew");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(parse(again)["order_id"], order_id);
  // The holder's own request answers the open renewal request.
  auto own = dev(d.token, "POST", "/app/v1/certificate-requests");
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(parse(own)["order_id"], order_id);
  EXPECT_EQ(biz(t.sandbox, "POST", "/api/v1/holders/hld_nope/certificates/renew").status, 404);

  auto fin = sign(d, order_id, "123456", "ses_renewal");
  ASSERT_EQ(fin.status, 200) << fin.body;
  json fj = parse(fin);
  ASSERT_TRUE(fj["certificate_pem"].is_string()) << fin.body;

  auto list = biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id + "/certificates");
  ASSERT_EQ(list.status, 200) << list.body;
  json certs = parse(list)["certificates"];
  ASSERT_EQ(certs.size(), 2u) << list.body;
  EXPECT_NE(certs[0]["serial"], certs[1]["serial"]);
  pki::testing::ScratchDir scratch;
  std::string chain_path = scratch.write("chain.pem", chain_pem);
  std::string holder_key = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id))["public_key"];
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(certs[i]["status"], "good");
    auto c = pki::Certificate::parse(certs[i]["certificate_pem"].get<std::string>());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(ok_value(c->public_key()).to_hex(), holder_key);
    std::string leaf = scratch.write("leaf" + std::to_string(i) + ".pem", certs[i]["certificate_pem"].get<std::string>());
    auto v = run("openssl verify -partial_chain -CAfile " + chain_path + " -attime " + std::to_string(clock.now()) +
                 " -vfyopt distid:1234567812345678 " + leaf);
    EXPECT_EQ(v.status, 0) << v.output;
  }
  // The finish answer carries the renewed certificate, and it is now the current one.
  EXPECT_NE(fj["certificate_pem"], first["certificate_pem"]);
  EXPECT_EQ(certs[0]["certificate_pem"], fj["certificate_pem"]);  // newest first
  auto mine = dev(d.token, "GET", "/app/v1/certificate");
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(parse(mine)["certificate_pem"], fj["certificate_pem"]);
}

TEST_F(LifecycleTest, RekeyRevokesTheOldKeysCertificatesAsSuperseded) {
  using pki::testing::run;
  Tenant t = new_tenant("Bank K");
  Device old_dev = enroll(t.sandbox, "123456");
  json first = certify(old_dev, "123456", "ses_old_cert");
  auto old_cert = pki::Certificate::parse(first["certificate_pem"].get<std::string>());
  ASSERT_TRUE(old_cert.ok());
  std::string old_serial = old_cert->serial_hex();

  // Forgotten PIN / lost phone: a new activation code, a new device.
  Device new_dev = reactivate(t.sandbox, old_dev.holder_id, "654321");
  EXPECT_EQ(dev(old_dev.token, "GET", "/app/v1/certificate").status, 401);

  auto list = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + old_dev.holder_id + "/certificates"));
  ASSERT_EQ(list["certificates"].size(), 1u);
  EXPECT_EQ(list["certificates"][0]["status"], "revoked");
  EXPECT_EQ(list["certificates"][0]["revocation_reason"], "superseded");
  // OCSP (through the service's responder) and the CRL.
  const auto kSbx = store::AppEnvironment::kSandbox;  // a sandbox holder: the sandbox CA
  std::string issuer_id = daemon->certificates().issuing_ca_id(kSbx);
  {
    pki::testing::ScratchDir o;
    o.write("issuing.pem", ok_value(daemon->certificates().ca_certificate(issuer_id)).pem());
    o.write("holder.pem", first["certificate_pem"].get<std::string>());
    o.write("ocsp.pem", ok_value(daemon->certificates().ca_certificate(daemon->certificates().ocsp_ca_id(kSbx))).pem());
    auto r = run("cd " + o.path() + " && openssl ocsp -issuer issuing.pem -cert holder.pem -reqout q.req");
    ASSERT_EQ(r.status, 0) << r.output;
    std::string q = o.read("q.req");
    auto resp = daemon->certificates().ocsp_response(as_bytes(q), clock.now(), kSbx);
    ASSERT_TRUE(resp.ok());
    o.write("q.resp", std::string(resp->begin(), resp->end()));
    std::string out = run("cd " + o.path() + " && openssl ocsp -respin q.resp -issuer issuing.pem -cert holder.pem "
                          "-no_nonce -VAfile ocsp.pem -attime " + std::to_string(clock.now())).output;
    EXPECT_NE(out.find("holder.pem: revoked"), std::string::npos) << out;
    EXPECT_NE(out.find("Reason: superseded"), std::string::npos) << out;
  }
  auto crl = call("GET", "/pki/sandbox/crl/" + issuer_id + ".crl");
  ASSERT_EQ(crl.status, 200);
  pki::testing::ScratchDir scratch;
  std::string text = run("openssl crl -inform DER -in " + scratch.write("rekey.crl", crl.body) + " -noout -text").output;
  std::string upper = old_serial;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_NE(text.find("Serial Number: " + upper), std::string::npos) << text;
  EXPECT_NE(text.find("Superseded"), std::string::npos) << text;

  // The new enrollment gets its own certificate; the sweep is idempotent.
  json second = certify(new_dev, "654321", "ses_new_cert");
  auto new_cert = pki::Certificate::parse(second["certificate_pem"].get<std::string>());
  ASSERT_TRUE(new_cert.ok());
  EXPECT_NE(new_cert->serial_hex(), old_serial);
  EXPECT_NE(ok_value(new_cert->public_key()).to_hex(), ok_value(old_cert->public_key()).to_hex());
  auto after = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + old_dev.holder_id + "/certificates"));
  ASSERT_EQ(after["certificates"].size(), 2u);
  EXPECT_EQ(dev(new_dev.token, "GET", "/app/v1/certificate").status, 200);
  std::string new_key_id;
  for (const auto& c : after["certificates"]) {
    if (c["status"] == "good") new_key_id = c["key_id"];
  }
  ASSERT_FALSE(new_key_id.empty()) << after.dump();
  auto swept =
      daemon->certificates().supersede_stale_certificates({}, t.tenant_id, old_dev.holder_id, new_key_id, clock.now());
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0u);
}

class CaImportTest : public ServerTest {
 protected:
  void configure(DaemonConfig& c) override {
    pki::CaProfile profile;
    profile.root_subject = {"CN", "Imported Org", "", "Imported Root CA", ""};
    profile.issuing_subject = {"CN", "Imported Org", "", "Imported Issuing CA", ""};
    // The imported CA is made at the test clock's instant: made at the wall clock, it
    // could start a second after the holder certificate the service issues at the
    // (earlier) test clock's now, and the issuer's lint rightly refuses that.
    auto h = pki::create_ca_hierarchy(profile, crypto::SystemRandom::instance(),
                                      pki::Time(std::chrono::seconds(clock.now())));
    ASSERT_TRUE(h.ok());
    hierarchy.emplace(std::move(*h));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
      std::string path = (std::filesystem::path(dir) / name).string();
      std::ofstream(path, std::ios::binary) << text;
      return path;
    };
    c.pki.import_root_cert = write("import_root.pem", hierarchy->root_certificate.pem());
    c.pki.import_issuing_cert = write("import_issuing.pem", hierarchy->issuing_certificate.pem());
    c.pki.import_issuing_key = write("import_issuing.key", ok_value(pki::private_key_pem(hierarchy->issuing_private_key)));
  }
  std::optional<pki::CaHierarchy> hierarchy;
};

TEST_F(CaImportTest, ImportedCaIssuesHolderCertificates) {
  ASSERT_TRUE(hierarchy);
  Tenant t = new_tenant("Bank I");
  open_production(t);
  Device d = enroll(t.production, "123456");  // the imported CA is production's
  auto req = dev(d.token, "POST", "/app/v1/certificate-requests");
  ASSERT_EQ(req.status, 201) << req.body;
  auto fin = sign(d, parse(req)["order_id"], "123456", "ses_import");
  ASSERT_EQ(fin.status, 200) << fin.body;
  json fj = parse(fin);
  auto leaf = pki::Certificate::parse(fj["certificate_pem"].get<std::string>());
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(leaf->issuer(), hierarchy->issuing_certificate.subject());
  EXPECT_EQ(fj["chain_pem"], hierarchy->issuing_certificate.pem() + hierarchy->root_certificate.pem());
  auto& cs = daemon->certificates();
  EXPECT_EQ(ok_value(cs.ca_certificate(cs.issuing_ca_id())).der(), hierarchy->issuing_certificate.der());
  EXPECT_EQ(ok_value(cs.ca_certificate(cs.root_ca_id())).der(), hierarchy->root_certificate.der());
  pki::testing::ScratchDir scratch;
  std::string chain = scratch.write("chain.pem", fj["chain_pem"].get<std::string>());
  auto v = pki::testing::run("openssl verify -partial_chain -CAfile " + chain +
                             " -vfyopt distid:1234567812345678 " + scratch.write("leaf.pem", fj["certificate_pem"].get<std::string>()));
  EXPECT_EQ(v.status, 0) << v.output;
  // The sandbox CA is created beside the imported one (the import settings are production's).
  EXPECT_NE(cs.issuing_ca_id(store::AppEnvironment::kSandbox), cs.issuing_ca_id());
  EXPECT_NE(ok_value(cs.ca_certificate(cs.root_ca_id(store::AppEnvironment::kSandbox))).der(),
            hierarchy->root_certificate.der());
}


// Issue 4 item 4: device change by share refresh while the old phone (and the
// PIN) is present. Same key, same certificate; the old token and the old
// state stop working.
TEST_F(LifecycleTest, ShareRefreshMovesTheHolderToANewStateUnderTheSameKey) {
  auto& rng = crypto::SystemRandom::instance();
  Tenant t = new_tenant("Bank F");
  Device old_dev = enroll(t.sandbox, "123456");
  json first = certify(old_dev, "123456", "ses_cert_refresh");
  std::string cert_pem = first["certificate_pem"];
  auto holder = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + old_dev.holder_id));
  auto pub = crypto::Point::from_hex(holder["public_key"].get<std::string>());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(holder["attempts_left"], 5);
  auto attempts_left = [&] {
    return parse(biz(t.sandbox, "GET", "/api/v1/holders/" + old_dev.holder_id))["attempts_left"].get<int>();
  };
  auto begin = [&](const Device& d, const std::string& pin, const std::string& refresh_id) {
    auto started = ok_value(cosign::DeviceRefresh::start(*d.state, pin, refresh_id, rng));
    auto r = dev(d.token, "POST", "/app/v1/key/refreshes",
                 json{{"refresh_id", refresh_id}, {"request", json::parse(cosign::to_json(started.second))}}.dump());
    return std::make_pair(std::move(started.first), r);
  };

  // A wrong PIN: 422 pin_invalid with the attempts left, and the attempt counts.
  {
    auto [dr, r] = begin(old_dev, "000000", "ref_wrong_pin_1");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_code(r), "pin_invalid");
    EXPECT_EQ(parse(r)["error"]["attempts_left"], 4);
    EXPECT_EQ(attempts_left(), 4);
  }
  // A forged confirm (another refresh's proof): 422, nothing changes; the old share still signs.
  {
    auto [dr_a, ra] = begin(old_dev, "123456", "ref_forged_a1");
    ASSERT_EQ(ra.status, 201) << ra.body;
    EXPECT_EQ(parse(ra)["refresh_id"], "ref_forged_a1");
    EXPECT_EQ(attempts_left(), 5) << "a valid PIN proof resets the consecutive count";
    auto resp = cosign::parse_refresh_response(parse(ra)["response"].dump());
    ASSERT_TRUE(resp.ok());
    auto fin = dr_a.finish(*resp, "123456", kIters, rng);
    ASSERT_TRUE(fin.ok());
    auto [dr_b, rb] = begin(old_dev, "123456", "ref_forged_b1");
    ASSERT_EQ(rb.status, 201) << rb.body;
    auto forged = dev(old_dev.token, "POST", "/app/v1/key/refreshes/ref_forged_b1/confirm",
                      json{{"confirm", json::parse(cosign::to_json(fin->second))}}.dump());
    EXPECT_EQ(forged.status, 422) << forged.body;
    EXPECT_EQ(error_code(forged), "pin_invalid");
    EXPECT_EQ(attempts_left(), 4) << "a refresh confirm is a PIN use: a failed one is counted";
    EXPECT_EQ(dev(old_dev.token, "POST", "/app/v1/key/refreshes/ref_unknown_1/confirm",
                  json{{"confirm", json::parse(cosign::to_json(fin->second))}}.dump()).status, 404);
    EXPECT_EQ(sign(old_dev, create_order(t.sandbox, old_dev.holder_id, "still old"), "123456", "ses_still_old1").status,
              200);
    EXPECT_EQ(attempts_left(), 5);
  }
  auto taken = begin(old_dev, "123456", "ref_forged_a1");
  EXPECT_EQ(taken.second.status, 409) << "a refresh_id is never reused: " << taken.second.body;
  EXPECT_EQ(begin(old_dev, "123456", "short").second.status, 400);

  // The real refresh, to a new PIN.
  auto [dr, r] = begin(old_dev, "123456", "ref_new_phone1");
  ASSERT_EQ(r.status, 201) << r.body;
  auto resp = cosign::parse_refresh_response(parse(r)["response"].dump());
  ASSERT_TRUE(resp.ok());
  auto fin = dr.finish(*resp, "654321", kIters, rng);
  ASSERT_TRUE(fin.ok());
  std::string confirm_body = json{{"confirm", json::parse(cosign::to_json(fin->second))}}.dump();
  auto ok = dev(old_dev.token, "POST", "/app/v1/key/refreshes/ref_new_phone1/confirm", confirm_body);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("Cache-Control").value_or(""), "no-store");
  Device new_dev;
  new_dev.holder_id = old_dev.holder_id;
  new_dev.token = parse(ok)["device_token"];
  new_dev.state.emplace(std::move(fin->first));
  EXPECT_EQ(attempts_left(), 5);
  auto again = dev(new_dev.token, "POST", "/app/v1/key/refreshes/ref_new_phone1/confirm", confirm_body);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("already confirmed"), std::string::npos) << again.body;

  // The old device token is revoked.
  EXPECT_EQ(dev(old_dev.token, "GET", "/app/v1/orders").status, 401);

  // The new state and token sign under the same public key; the certificate still fits.
  const std::string msg = "signed from the new phone";
  std::string order_id = create_order(t.sandbox, new_dev.holder_id, msg);
  auto signed_fin = sign(new_dev, order_id, "654321", "ses_new_phone1");
  ASSERT_EQ(signed_fin.status, 200) << signed_fin.body;
  json oj = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + order_id));
  auto sig = from_hex(oj["items"][0]["signature"].get<std::string>());
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(crypto::evp_sm2_verify(*pub, as_bytes(msg), *sig).ok());
  EXPECT_EQ(parse(biz(t.sandbox, "GET", "/api/v1/holders/" + new_dev.holder_id))["public_key"], holder["public_key"]);
  auto mine = dev(new_dev.token, "GET", "/app/v1/certificate");
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(parse(mine)["certificate_pem"], cert_pem);
  auto cert = pki::Certificate::parse(cert_pem);
  ASSERT_TRUE(cert.ok());
  auto cert_pub = cert->public_key();
  ASSERT_TRUE(cert_pub.ok());
  EXPECT_EQ(cert_pub->to_hex(), pub->to_hex());
  EXPECT_TRUE(crypto::evp_sm2_verify(*cert_pub, as_bytes(msg), *sig).ok());
  auto chain = parse_pem_chain(first["chain_pem"].get<std::string>());
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_TRUE(pki::verify_chain(*cert, {chain[0]}, {chain[1]}).ok());
  auto certs = parse(biz(t.sandbox, "GET", "/api/v1/holders/" + new_dev.holder_id + "/certificates"));
  ASSERT_EQ(certs["certificates"].size(), 1u);
  EXPECT_EQ(certs["certificates"][0]["status"], "good");

  // The old state, even with its right PIN, is refused at step 1: its PIN
  // proof no longer fits the service's P1 (counted like a wrong PIN).
  old_dev.token = new_dev.token;
  auto stale = sign(old_dev, create_order(t.sandbox, old_dev.holder_id, "old state"), "123456", "ses_old_state1");
  EXPECT_EQ(stale.status, 422) << stale.body;
  EXPECT_EQ(error_code(stale), "pin_invalid");
  EXPECT_EQ(attempts_left(), 4);

  // Wrong PINs lock the holder; a locked holder's refresh is refused (423) and counts nothing.
  for (int i = 0; i < 4; ++i) {
    auto [bad, br] = begin(new_dev, "111111", "ref_lockout_" + std::to_string(i));
    EXPECT_EQ(br.status, 422) << i << ": " << br.body;
  }
  EXPECT_EQ(attempts_left(), 0);
  auto locked = begin(new_dev, "654321", "ref_when_locked");
  EXPECT_EQ(locked.second.status, 423) << locked.second.body;
  EXPECT_EQ(error_code(locked.second), "locked");
}

// Metering over HTTP (issue 5 items 1 and 9; store rules in store.h
// "packages and metering"): a production tenant without a usable package is
// refused with 402 quota_exhausted at holder and order creation and at
// finish; purchases below the minimum are 400; notices show in GET
// /api/v1/notices and arrive as signed webhooks at the tenant's notify URL.
TEST_F(ServerTest, MeteringQuotaNoticesAndWebhook) {
  CallbackReceiver receiver;
  Tenant t = new_tenant("metered");
  auto act = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/activation",
                   json{{"production_active_from", clock.now() - 10}}.dump());
  ASSERT_EQ(act.status, 200) << act.body;
  const std::string base_path = "/admin/v1/tenants/" + t.tenant_id;

  // No package: a production holder is refused.
  auto refused = biz(t.production, "POST", "/api/v1/holders",
                     json{{"name", "张三"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump());
  EXPECT_EQ(refused.status, 402) << refused.body;
  EXPECT_EQ(error_code(refused), "quota_exhausted");

  // Purchases: below the minimum 400; 10,000 starting next year is scheduled.
  auto small = admin("POST", base_path + "/packages", json{{"kind", "per_signature"}, {"quantity", 9999}}.dump());
  EXPECT_EQ(small.status, 400) << small.body;
  EXPECT_EQ(error_code(small), "invalid_argument");
  auto few_users = admin("POST", base_path + "/packages", json{{"kind", "per_user"}, {"quantity", 999}}.dump());
  EXPECT_EQ(few_users.status, 400) << few_users.body;
  auto later = admin("POST", base_path + "/packages",
                     json{{"kind", "per_signature"}, {"quantity", 10000}, {"starts_at", clock.now() + 400 * 86400}}.dump());
  ASSERT_EQ(later.status, 201) << later.body;
  EXPECT_EQ(parse(later)["status"], "scheduled");
  EXPECT_EQ(parse(later)["remaining"], 0);
  EXPECT_EQ(parse(later)["expires_at"].get<int64_t>() - parse(later)["starts_at"].get<int64_t>() >= 365 * 86400, true);
  EXPECT_EQ(admin("POST", "/admin/v1/tenants/ten_nope/packages",
                  json{{"kind", "unlimited"}}.dump()).status, 404);

  // A one-signature credit (as SLA compensation grants; added through the
  // store on the daemon's own SQLite file) that ends in 20 days.
  {
    store::SqliteStoreOptions so;
    so.quota_order = core::quota_order_rule();
    so.path = (dir / "duet.db").string();
    auto st = store::open_sqlite_store(so);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    store::Package credit;
    credit.tenant_id = t.tenant_id;
    credit.package_id = "pkg_credit_one";
    credit.kind = store::PackageKind::kPerSignature;
    credit.quantity = 1;
    credit.starts_at = clock.now() - 10;
    credit.expires_at = clock.now() + 20 * 86400;
    credit.source = "sla_credit";
    credit.created_at = clock.now();
    ASSERT_TRUE((*st)->add_package({}, credit).ok());
  }
  auto notify = admin("PUT", base_path + "/notify-url",
                      json{{"notify_url", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/notices"}}.dump());
  ASSERT_EQ(notify.status, 200) << notify.body;
  const std::string notify_secret = parse(notify)["notify_secret"];
  ASSERT_EQ(notify_secret.size(), 64u);
  EXPECT_EQ(parse(admin("GET", base_path + "/notify-url"))["notify_url"],
            "http://127.0.0.1:" + std::to_string(receiver.port()) + "/notices");

  // The per-signature credit covers holder creation (not counted) and one signature.
  Device d = enroll(t.production, "123456");
  ASSERT_TRUE(d.state.has_value());
  std::string a = create_order(t.production, d.holder_id, "first");
  std::string b = create_order(t.production, d.holder_id, "second");  // created while 1 is left
  auto fa = sign(d, a, "123456", "ses_meter_a1");
  ASSERT_EQ(fa.status, 200) << fa.body;
  auto fb = sign(d, b, "123456", "ses_meter_b1");
  EXPECT_EQ(fb.status, 402) << fb.body;
  EXPECT_EQ(error_code(fb), "quota_exhausted");
  EXPECT_EQ(parse(biz(t.production, "GET", "/api/v1/orders/" + b))["state"], "signing");
  auto c = biz(t.production, "POST", "/api/v1/orders",
               json{{"holder_id", d.holder_id}, {"title", "third"}, {"digest_hex", std::string(64, 'a')}}.dump());
  EXPECT_EQ(c.status, 402) << c.body;
  EXPECT_EQ(error_code(c), "quota_exhausted");
  // The sandbox orders only for its own holders (a production holder is
  // unknown to it), and is never metered.
  EXPECT_EQ(biz(t.sandbox, "POST", "/api/v1/orders",
                json{{"holder_id", d.holder_id}, {"title", "x"}, {"digest_hex", std::string(64, 'b')}}.dump())
                .status,
            404);
  Device sandbox_device = enroll(t.sandbox, "123456");
  create_order(t.sandbox, sandbox_device.holder_id, "sandbox");

  auto packages = parse(biz(t.production, "GET", "/api/v1/packages"));
  ASSERT_EQ(packages["packages"].size(), 2u);
  EXPECT_EQ(packages["packages"][0]["package_id"], "pkg_credit_one");  // earliest expiry first
  EXPECT_EQ(packages["packages"][0]["used"], 1);
  EXPECT_EQ(packages["packages"][0]["remaining"], 0);
  EXPECT_EQ(packages["packages"][0]["status"], "exhausted");
  auto listed = parse(admin("GET", base_path + "/packages"));
  EXPECT_EQ(listed["packages"].size(), 2u);

  // Notices: 80/90/100 % from the metering transaction, 30 days from the sweep.
  std::set<std::string> kinds;
  for (int i = 0; i < 100 && kinds.size() < 4; ++i) {
    kinds.clear();
    auto listed_notices = biz(t.production, "GET", "/api/v1/notices");
    ASSERT_EQ(listed_notices.status, 200) << listed_notices.body;
    json notices = parse(listed_notices);
    for (const auto& n : notices["notices"]) kinds.insert(n["kind"].get<std::string>());
    if (kinds.size() < 4) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"used_80", "used_90", "used_100", "expiring_30d"}));
  std::vector<CallbackReceiver::Received> got;
  for (int i = 0; i < 100; ++i) {
    got = receiver.received();
    if (got.size() >= 4) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(got.size(), 4u);
  std::set<std::string> events;
  for (const auto& r : got) {
    EXPECT_EQ(r.header("X-Duet-Signature"), core::sign_callback(notify_secret, r.header("X-Duet-Timestamp"), r.body));
    json body = json::parse(r.body);
    events.insert(body["event"].get<std::string>());
    EXPECT_EQ(body["package_id"], "pkg_credit_one");
    EXPECT_EQ(r.header("X-Duet-Event"), body["event"]);
  }
  EXPECT_EQ(events, (std::set<std::string>{"notice.used_80", "notice.used_90", "notice.used_100",
                                           "notice.expiring_30d"}));
  // Each notice once: another sweep period adds nothing.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(receiver.received().size(), 4u);
  EXPECT_EQ(parse(biz(t.production, "GET", "/api/v1/notices"))["notices"].size(), 4u);
}

}  // namespace
}  // namespace duet::server

namespace duet::server {
namespace {

// Issue 10: the offline PIN test is closed. Step 1 of a session carries a PIN
// proof; the service counts the attempt, then checks it, and a wrong PIN gets
// an error and nothing else.
class PinSecurityTest : public ServerTest {
 protected:
  std::vector<crypto::Digest> digests(const Device& d, const std::string& order_id) {
    return testing::order_digests(parse(dev(d.token, "GET", "/app/v1/orders/" + order_id)));
  }
  json session_body(const Device& d, const std::string& order_id, const std::string& pin, const std::string& sid) {
    auto started = ok_value(cosign::DeviceSignSession::start(*d.state, pin, {order_id, sid, digests(d, order_id)},
                                                    crypto::SystemRandom::instance()));
    json body = json::parse(cosign::to_json(started.second));
    body["session_id"] = sid;
    return body;
  }
  int attempts_left(const Tenant& t, const Device& d) {
    return parse(biz(t.sandbox, "GET", "/api/v1/holders/" + d.holder_id))["attempts_left"].get<int>();
  }
};

TEST_F(PinSecurityTest, AVersionOneStepOneIsRefusedWith426AndNothingElse) {
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  std::string order_id = create_order(t.sandbox, d.holder_id, "x");
  json body = session_body(d, order_id, "123456", "ses_v1_shape1");
  body.erase("pin_proof");  // what a protocol-v1 app sends
  auto r = dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions", body.dump());
  EXPECT_EQ(r.status, 426) << r.body;
  EXPECT_EQ(error_code(r), "client_upgrade_required");
  EXPECT_EQ(parse(r).size(), 1u) << "only the error: " << r.body;
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-store");
  EXPECT_EQ(attempts_left(t, d), 5) << "a refused v1 message counts nothing";
}

TEST_F(PinSecurityTest, ABatchWithOneBadItemFailsWholeWithoutNamingIt) {
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  json order{{"holder_id", d.holder_id}, {"title", "batch"}, {"items", json::array()}};
  for (int i = 0; i < 3; ++i) order["items"].push_back(json{{"data_base64", encode_base64(as_bytes("item " + std::to_string(i)))}});
  auto created = biz(t.sandbox, "POST", "/api/v1/orders", order.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string order_id = parse(created)["order_id"];
  json body = session_body(d, order_id, "123456", "ses_batch_bad1");
  // Item 2's proof of k1 is replaced by item 1's: valid on its own, wrong here.
  body["items"][1]["proof"] = body["items"][0]["proof"];
  auto r = dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions", body.dump());
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(error_code(r), "bad_proof");
  std::string message = parse(r)["error"]["message"];
  for (const char* c : {"0", "1", "2", "3", "[", "item 2", "second"}) {
    EXPECT_EQ(message.find(c), std::string::npos) << "the message names an item: " << message;
  }
  EXPECT_EQ(r.body.find("\"s2\""), std::string::npos);
  EXPECT_EQ(attempts_left(t, d), 4) << "the attempt was committed before the proofs were checked";
  // The same session id again is refused before anything is counted.
  auto again = dev(d.token, "POST", "/app/v1/orders/" + order_id + "/sessions",
                   session_body(d, order_id, "123456", "ses_batch_bad1").dump());
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.body.find("INSERT"), std::string::npos) << again.body;
  EXPECT_EQ(again.body.find("sign_sessions"), std::string::npos) << again.body;
  EXPECT_EQ(attempts_left(t, d), 4);
  // The whole batch with the right PIN signs, and resets the count.
  EXPECT_EQ(sign(d, order_id, "123456", "ses_batch_good").status, 200);
  EXPECT_EQ(attempts_left(t, d), 5);
}

TEST_F(PinSecurityTest, TwentyConcurrentWrongPinStepOnesGetExactlyFiveAnswers) {
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  std::string order_id = create_order(t.sandbox, d.holder_id, "race");
  std::vector<std::string> bodies;
  for (int i = 0; i < 20; ++i) {
    bodies.push_back(session_body(d, order_id, "000000", "ses_conc_" + std::to_string(100 + i)).dump());
  }
  std::vector<httpclient::HttpRequest> starts(20);
  for (int i = 0; i < 20; ++i) {
    starts[i].method = "POST";
    starts[i].url = base + "/app/v1/orders/" + order_id + "/sessions";
    starts[i].body = bodies[i];
    starts[i].headers = {{"Authorization", "Bearer " + d.token}, {"Content-Type", "application/json"}};
  }
  std::vector<int> statuses = testing::send_at_once(starts);
  int wrong = 0, locked = 0, other = 0;
  for (int s : statuses) (s == 422 ? wrong : s == 423 ? locked : other)++;
  EXPECT_EQ(wrong, 5);
  EXPECT_EQ(locked, 15);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(attempts_left(t, d), 0);
}

TEST_F(PinSecurityTest, RefreshIdsAreCheckedBeforeThePinAndAnExpiredRefreshCannotConfirm) {
  auto& rng = crypto::SystemRandom::instance();
  Tenant t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  auto begin = [&](const std::string& pin, const std::string& refresh_id) {
    auto started = ok_value(cosign::DeviceRefresh::start(*d.state, pin, refresh_id, rng));
    auto r = dev(d.token, "POST", "/app/v1/key/refreshes",
                 json{{"refresh_id", refresh_id}, {"request", json::parse(cosign::to_json(started.second))}}.dump());
    return std::make_pair(std::move(started.first), r);
  };
  auto [dr, r] = begin("123456", "ref_expiring_1");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-store");
  // A used id, with the right or a wrong PIN: 409 before any PIN work, nothing counted.
  EXPECT_EQ(begin("000000", "ref_expiring_1").second.status, 409);
  EXPECT_EQ(begin("123456", "ref_expiring_1").second.status, 409);
  EXPECT_EQ(attempts_left(t, d), 5);
  auto resp = cosign::parse_refresh_response(parse(r)["response"].dump());
  ASSERT_TRUE(resp.ok());
  auto fin = dr.finish(*resp, "123456", kIters, rng);
  ASSERT_TRUE(fin.ok());
  clock.advance(601);  // open refreshes expire after 10 minutes by default
  auto late = dev(d.token, "POST", "/app/v1/key/refreshes/ref_expiring_1/confirm",
                  json{{"confirm", json::parse(cosign::to_json(fin->second))}}.dump());
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(error_code(late), "expired");
  EXPECT_EQ(attempts_left(t, d), 5) << "an expired refresh is refused before any PIN work";
  // Still refused later (it is abandoned now), and the old state still signs.
  EXPECT_EQ(dev(d.token, "POST", "/app/v1/key/refreshes/ref_expiring_1/confirm",
                json{{"confirm", json::parse(cosign::to_json(fin->second))}}.dump()).status, 409);
  EXPECT_EQ(sign(d, create_order(t.sandbox, d.holder_id, "old"), "123456", "ses_after_exp1").status, 200);
}

// Issue 12 item 3: a sign order with output "pdf" through the routes: the
// document errors at creation (nothing written), the holder's page previews,
// the co-signature completing a PAdES signature the verifier accepts, and the
// signed PDF served to the order's tenant only, after completion.
TEST_F(CmsTest, PdfOrderFromCreationToSignedDocument) {
  Tenant t = new_tenant("Bank PDF");
  Tenant other = new_tenant("Other PDF");
  Device d = enroll(t.sandbox, "123456");
  const Bytes contract = pdf::testing::minimal_test_pdf(2, {"Loan contract 2026-7", "Borrower signature:"});
  auto pdf_order = [&](const Bytes& pdf, json placement) {
    return order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", "pdf"}, {"pdf_base64", encode_base64(pdf)},
                                 {"placements", json::array({placement})}});
  };
  const json keyword{{"keyword", "Borrower signature:"}, {"offset_x", 160}, {"width", 120}, {"height", 80}};
  // No certificate yet: 409.
  EXPECT_EQ(pdf_order(contract, keyword).status, 409);
  std::string chain_pem = certify(d);
  pki::CmsTrust tr = trust(chain_pem);

  // Each document error has its code; nothing is written.
  const size_t before = parse(biz(t.sandbox, "GET", "/api/v1/orders"))["orders"].size();
  struct Bad {
    Bytes pdf;
    json placement;
    int status;
    std::string code;
  };
  Bytes truncated(contract.begin(), contract.begin() + 60);
  for (const Bad& b : {Bad{Bytes{'n', 'o', 'p', 'e'}, keyword, 400, "not_pdf"},
                       Bad{truncated, keyword, 400, "pdf_malformed"},
                       Bad{contract, json{{"keyword", "Guarantor"}, {"width", 100}, {"height", 50}}, 404, "not_found"},
                       Bad{contract, json{{"page", 3}, {"x", 10}, {"y", 10}, {"width", 100}, {"height", 50}}, 400,
                           "invalid_argument"},
                       Bad{contract, json{{"page", 1}, {"width", 100}, {"height", 50}}, 400, "invalid_argument"}}) {
    auto r = pdf_order(b.pdf, b.placement);
    EXPECT_EQ(r.status, b.status) << r.body;
    EXPECT_EQ(error_code(r), b.code) << r.body;
  }
  EXPECT_EQ(parse(biz(t.sandbox, "GET", "/api/v1/orders"))["orders"].size(), before);

  auto made = pdf_order(contract, keyword);
  ASSERT_EQ(made.status, 201) << made.body;
  json o = parse(made);
  std::string id = o["order_id"];
  EXPECT_EQ(o["output"], "pdf");
  EXPECT_EQ(o["items"][0]["pdf_url"], "/api/v1/orders/" + id + "/pdf");
  // Before completion: 409 naming the state; another tenant: 404.
  auto early = biz(t.sandbox, "GET", "/api/v1/orders/" + id + "/pdf");
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_EQ(biz(other.sandbox, "GET", "/api/v1/orders/" + id + "/pdf").status, 404);
  EXPECT_EQ(biz(other.sandbox, "GET", "/api/v1/orders/" + id).status, 404);

  // The holder's view: the signed attributes, the pages, the previews.
  json view = parse(dev(d.token, "GET", "/app/v1/orders/" + id));
  json item = view["items"][0];
  EXPECT_EQ(item["pdf"]["page_count"], 2);
  EXPECT_EQ(item["pdf"]["stamped_pages"], json::array({2}));
  auto pub = crypto::Point::from_hex(view["public_key"].get<std::string>());
  ASSERT_TRUE(pub.ok());
  auto attrs = decode_base64(item["signed_attributes_base64"].get<std::string>());
  ASSERT_TRUE(attrs.has_value());
  EXPECT_EQ(item["e"], to_hex(ok_value(crypto::sm2_digest(*pub, *attrs))));
  auto page = dev(d.token, "GET", "/app/v1/orders/" + id + "/documents/0/pages/2");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("Content-Type").value_or(""), "image/png");
  EXPECT_EQ(page.body.substr(1, 3), "PNG");
  EXPECT_EQ(dev(d.token, "GET", "/app/v1/orders/" + id + "/documents/0/pages/3").status, 400);
  EXPECT_EQ(dev(d.token, "GET", "/app/v1/orders/" + id + "/documents/1/pages/1").status, 404);
  Device stranger = enroll(t.sandbox, "654321", "110101199103071234");
  EXPECT_EQ(dev(stranger.token, "GET", "/app/v1/orders/" + id + "/documents/0/pages/1").status, 404);

  auto fin = sign(d, id, "123456", "ses_pdf_order01");
  ASSERT_EQ(fin.status, 200) << fin.body;
  auto got = biz(t.sandbox, "GET", "/api/v1/orders/" + id + "/pdf");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.header("Content-Type").value_or(""), "application/pdf");
  Bytes signed_pdf(got.body.begin(), got.body.end());
  ASSERT_GT(signed_pdf.size(), contract.size());
  EXPECT_TRUE(std::equal(contract.begin(), contract.end(), signed_pdf.begin()));
  auto report = pdf::verify_pdf(signed_pdf, tr);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->ok()) << pdf::verification_text(*report);
  EXPECT_EQ(biz(other.sandbox, "GET", "/api/v1/orders/" + id + "/pdf").status, 404);
  EXPECT_EQ(dev(d.token, "GET", "/app/v1/orders/" + id + "/documents/0/pages/1").status, 409) << "closed";
  // The order's item signature is the CMS in the PDF, with its timestamp (B-T).
  json g = parse(biz(t.sandbox, "GET", "/api/v1/orders/" + id));
  auto cms = from_hex(g["items"][0]["signature"].get<std::string>());
  ASSERT_TRUE(cms.ok());
  std::string cms_s(cms->begin(), cms->end());
  const std::string tst_oid("\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x02\x0e", 13);  // id-aa-timeStampToken
  EXPECT_NE(cms_s.find(tst_oid), std::string::npos);

  // A batch: two documents, one session, one signed PDF each.
  const Bytes annex = pdf::testing::minimal_test_pdf(1, {"Annex A"});
  const json rect{{"page", 1}, {"x", 300}, {"y", 100}, {"width", 120}, {"height", 80}};
  auto batch = order(t.sandbox, json{{"holder_id", d.holder_id}, {"output", "pdf"},
                                     {"documents", json::array({json{{"pdf_base64", encode_base64(contract)},
                                                                     {"placements", json::array({keyword})}},
                                                                json{{"pdf_base64", encode_base64(annex)},
                                                                     {"placements", json::array({rect})},
                                                                     {"sub_filter", "adbe.pkcs7.detached"}}})}});
  ASSERT_EQ(batch.status, 201) << batch.body;
  std::string batch_id = parse(batch)["order_id"];
  ASSERT_EQ(parse(batch)["items"].size(), 2u);
  ASSERT_EQ(sign(d, batch_id, "123456", "ses_pdf_batch01").status, 200);
  for (const char* q : {"", "?document=1"}) {
    auto one = biz(t.sandbox, "GET", "/api/v1/orders/" + batch_id + "/pdf" + q);
    ASSERT_EQ(one.status, 200) << one.body;
    auto r = pdf::verify_pdf(Bytes(one.body.begin(), one.body.end()), tr);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->ok()) << pdf::verification_text(*r);
  }
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/orders/" + batch_id + "/pdf?document=2").status, 404);
}

}  // namespace
}  // namespace duet::server
