// Retention and personal data against a real duetd in-process (issue 5 §5,
// §9): the [retention] rules run by the background worker at their exact
// boundaries (N days minus one second: nothing), what stays after a purge (the
// signature still verifies with openssl), one audit event per purge, the
// retention settings over the Admin API (security_officer only, persisted,
// overriding the config file), the store lease between two nodes, and the
// DataProtector refusing to seal while its KEK check fails.
#include <algorithm>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/result_testing.h"
#include "core/holder_erasure.h"
#include "core/holder_fields.h"
#include "core/quota_order.h"
#include "core/request_signing.h"
#include "core/retention.h"
#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/random.h"
#include "crypto/sm3.h"
#include "httpclient/http_client.h"
#include "keys/data_protector.h"
#include "keys/kek.h"
#include "pki/certificate.h"
#include "pki/test_support.h"
#include "base/base64.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"
#include "store/holder_data_keys.h"
#include "store/sqlite_store.h"

namespace duet::server {

using duet::testing_support::ok_value;
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr uint32_t kIters = 1000;
constexpr int64_t kDay = 86400;

using Cred = testing::AppCred;
using Device = testing::TestDevice;

class PrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("privacy");
    start_daemon();
    store::SqliteStoreOptions so;
    so.quota_order = core::quota_order_rule();
    so.path = (dir / "duet.db").string();
    auto s = store::open_sqlite_store(so);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    side = std::move(*s);
  }
  void TearDown() override {
    if (daemon) daemon->stop();
    daemon.reset();
    side.reset();
    std::filesystem::remove_all(dir);
  }

  DaemonConfig config() {
    // loopback_dev_config turns the sandbox rate limit off: the test clock
    // stands still while eventually() polls the Business API (a sandbox GET
    // every 100 ms), and with the default 10 requests per (frozen) second the
    // polls would end in 429. No test here checks limits.
    DaemonConfig c = testing::loopback_dev_config(dir, 4);
    c.retention.order_payload_days = 30;
    c.retention.identity_days = 10;
    c.retention.expired_key_days = 0;
    c.retention.interval_seconds = 1;  // the worker polls every second
    return c;
  }

  void start_daemon() {
    DaemonOptions o;
    o.clock = &clock;
    auto d = Daemon::create(config(), std::move(o));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon = std::move(*d);
    ASSERT_TRUE(daemon->start().ok());
    base = daemon->url();
    admin_token = testing::trim(testing::read_text(daemon->admin_token_path()));
  }

  // An operator token with `role`, written straight into the database with
  // the data directory's key (dev key file), as an operator tool would.
  std::string operator_token(const std::string& name, const std::string& role) {
    auto prot = ok_value(keys::open_local_key_file((dir / "kek.key").string(), false));
    Bytes rnd(16);
    crypto::SystemRandom::instance().fill(rnd);
    std::string token = "adm_" + to_hex(rnd);
    store::AdminToken rec{prot->keyed_hash("admin_token", as_bytes(token)), name, role, clock.now(), std::nullopt};
    Status st = side->create_admin_token({}, rec);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    return token;
  }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                                httpclient::HeaderList headers = {}) {
    return testing::send(client, method, base + target, body, std::move(headers));
  }
  httpclient::HttpResponse as(const std::string& token, const std::string& method, const std::string& target,
                              const std::string& body = "") {
    return call(method, target, body, {{"Authorization", "Bearer " + token}});
  }
  httpclient::HttpResponse biz(const Cred& cred, const std::string& method, const std::string& target,
                               const std::string& body = "") {
    std::string nonce = "nonce-" + std::to_string(++nonces) + "-" + std::to_string(::getpid());
    return call(method, target, body,
                testing::signed_request_headers(cred, method, target, body, std::to_string(clock.now()), nonce));
  }
  static json parse(const httpclient::HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  Cred new_app() {
    testing::TenantApps t = testing::create_tenant_apps(
        [this](const std::string& m, const std::string& target, const std::string& b) {
          return as(admin_token, m, target, b);
        },
        json{{"name", "Privacy bank"}});
    tenant_id = t.tenant_id;
    return t.sandbox;
  }

  Device enroll(const Cred& c, const std::string& pin) {
    auto h = biz(c, "POST", "/api/v1/holders",
                 json{{"name", "张三丰"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump());
    EXPECT_EQ(h.status, 201) << h.body;
    std::string holder_id = parse(h)["holder_id"];
    auto code = biz(c, "POST", "/api/v1/holders/" + holder_id + "/activation-codes");
    EXPECT_EQ(code.status, 201) << code.body;
    return testing::activate_device(
        [this](const std::string& m, const std::string& t, const std::string& b) { return call(m, t, b); }, holder_id,
        parse(code)["code"], pin, kIters);
  }

  httpclient::HttpResponse sign(const Device& d, const std::string& order_id, const std::string& pin,
                                const std::string& session_id) {
    return testing::device_sign_round(
        [this, &d](const std::string& m, const std::string& t, const std::string& b) { return as(d.token, m, t, b); },
        *d.state, order_id, pin, session_id);
  }

  // Waits (real time) until pred() holds or `limit` passes.
  template <typename P>
  bool eventually(P pred, std::chrono::milliseconds limit = 6000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return pred();
  }

  std::vector<store::AuditEvent> audit_events(const std::string& action) {
    auto all = ok_value(side->list_audit_events(0, 100000));
    std::vector<store::AuditEvent> out;
    for (auto& e : all)
      if (e.action == action) out.push_back(e);
    return out;
  }

  static std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
  }

  std::filesystem::path dir;
  core::ManualClock clock{std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()};
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<store::Store> side;  // the same database, for inspection
  std::string base, admin_token, tenant_id;
  httpclient::HttpClient client;
  int nonces = 0;
};

TEST_F(PrivacyTest, RetentionSettingsOverTheAdminApi) {
  auto got = as(admin_token, "GET", "/admin/v1/retention");
  ASSERT_EQ(got.status, 200) << got.body;
  json j = parse(got);
  EXPECT_EQ(j["source"], "config");
  EXPECT_EQ(j["order_payload_days"], 30);
  EXPECT_EQ(j["identity_days"], 10);
  EXPECT_EQ(j["expired_key_days"], 0);
  EXPECT_EQ(j["interval_seconds"], 1);
  EXPECT_TRUE(j["updated_by"].is_null());

  // The bootstrap operator (role operator) reads, does not change; the
  // auditor reads only the audit log.
  std::string auditor = operator_token("auditor-1", "auditor");
  EXPECT_EQ(as(auditor, "GET", "/admin/v1/retention").status, 403);
  for (const std::string& tok : {admin_token, auditor}) {
    auto put = as(tok, "PUT", "/admin/v1/retention", json{{"order_payload_days", 1}}.dump());
    EXPECT_EQ(put.status, 403) << put.body;
    EXPECT_EQ(parse(put)["error"]["code"], "forbidden");
    EXPECT_EQ(as(tok, "POST", "/admin/v1/retention/purge").status, 403);
  }
  EXPECT_EQ(as("adm_nope", "GET", "/admin/v1/retention").status, 401);
  EXPECT_EQ(parse(as(admin_token, "GET", "/admin/v1/retention"))["order_payload_days"], 30);

  std::string officer = operator_token("officer-1", "security_officer");
  auto bad = as(officer, "PUT", "/admin/v1/retention", json{{"identity_days", -1}}.dump());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(as(officer, "PUT", "/admin/v1/retention", json{{"interval_seconds", "x"}}.dump()).status, 400);
  auto put = as(officer, "PUT", "/admin/v1/retention", json{{"order_payload_days", 7}, {"expired_key_days", 2}}.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  j = parse(put);
  EXPECT_EQ(j["source"], "api");
  EXPECT_EQ(j["order_payload_days"], 7);
  EXPECT_EQ(j["identity_days"], 10) << "absent fields keep their value";
  EXPECT_EQ(j["expired_key_days"], 2);
  EXPECT_EQ(j["updated_by"], "officer-1");
  EXPECT_EQ(j["updated_at"], clock.now());
  auto purge = as(officer, "POST", "/admin/v1/retention/purge");
  ASSERT_EQ(purge.status, 200) << purge.body;
  EXPECT_EQ(parse(purge)["order_payloads"], 0);

  // Persisted: a restarted daemon (same config file values) keeps the API's settings.
  daemon->stop();
  daemon.reset();
  start_daemon();
  j = parse(as(admin_token, "GET", "/admin/v1/retention"));
  EXPECT_EQ(j["source"], "api");
  EXPECT_EQ(j["order_payload_days"], 7);
  EXPECT_EQ(j["expired_key_days"], 2);
}

// The worker purges at the exact boundaries; what verification needs stays;
// every purge is an audit event; the purged bytes are gone from the file.
TEST_F(PrivacyTest, WorkerPurgesAtTheBoundariesAndSignaturesStillVerify) {
  Cred app = new_app();
  Device d = enroll(app, "123456");
  // Enrollment ends with a certificate.
  auto req = as(d.token, "POST", "/app/v1/certificate-requests");
  ASSERT_EQ(req.status, 201) << req.body;
  auto fin = sign(d, parse(req)["order_id"], "123456", "ses_priv_csr1");
  ASSERT_EQ(fin.status, 200) << fin.body;
  std::string cert_pem = parse(fin)["certificate_pem"];
  auto leaf = pki::Certificate::parse(cert_pem);
  ASSERT_TRUE(leaf.ok());
  // Issue 12: the certificate names the holder in full (and no ID number:
  // the tenant's identity policy is none).
  EXPECT_NE(leaf->subject().find("CN=张三丰"), std::string::npos) << leaf->subject();
  EXPECT_EQ(leaf->subject().find("110101199003071234"), std::string::npos) << leaf->subject();

  const std::string msg = "PRIVACY-PAYLOAD loan agreement 2026-777 between 张三丰 and the bank";
  json body{{"holder_id", d.holder_id}, {"title", "Loan"}, {"display_text", "DISPLAY-TEXT-MARKER sign the loan"},
            {"output", "der"}, {"data_base64", encode_base64(as_bytes(msg))}};
  auto created = biz(app, "POST", "/api/v1/orders", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string order_id = parse(created)["order_id"];
  auto signed_ = sign(d, order_id, "123456", "ses_priv_0001");
  ASSERT_EQ(signed_.status, 200) << signed_.body;
  json before = parse(biz(app, "GET", "/api/v1/orders/" + order_id));
  ASSERT_EQ(before["state"], "signed");
  std::string signature_hex = before["items"][0]["signature"];

  auto certs = side->list_holder_certificates(tenant_id, d.holder_id);
  ASSERT_TRUE(certs.ok());
  ASSERT_EQ(certs->size(), 1u);
  const store::UnixSeconds issued = certs->front().created_at, not_after = certs->front().not_after;
  const store::UnixSeconds final_at = ok_value(side->get_order(tenant_id, order_id)).updated_at;
  auto holder = [&] { return parse(biz(app, "GET", "/api/v1/holders/" + d.holder_id)); };
  auto order = [&] { return parse(biz(app, "GET", "/api/v1/orders/" + order_id)); };

  // Identity: 10 days after issuance, not one second earlier.
  clock.set(issued + 10 * kDay - 1);
  std::this_thread::sleep_for(2500ms);  // two worker rounds
  EXPECT_EQ(holder()["id_number"], "1101**********1234");
  EXPECT_TRUE(audit_events("retention.identity_purged").empty());
  clock.set(issued + 10 * kDay);
  ASSERT_TRUE(eventually([&] { return holder()["identity_purged"] == true; })) << holder().dump();
  json h = holder();
  EXPECT_EQ(h["name"], "张*");
  EXPECT_EQ(h["id_number"], "");
  EXPECT_EQ(h["phone"], "");
  // The keyed lookup hash stays: the same identity is still recognised.
  auto dup = biz(app, "POST", "/api/v1/holders",
                 json{{"name", "张三丰"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump());
  EXPECT_EQ(dup.status, 409) << dup.body;
  auto id_events = audit_events("retention.identity_purged");
  ASSERT_EQ(id_events.size(), 1u);
  EXPECT_EQ(id_events[0].target, d.holder_id);
  EXPECT_EQ(id_events[0].tenant_id, tenant_id);
  EXPECT_EQ(id_events[0].actor_type, "system");
  EXPECT_EQ(id_events[0].actor_id.rfind("retention:", 0), 0u) << id_events[0].actor_id;
  EXPECT_EQ(id_events[0].at, issued + 10 * kDay);

  // Order payload: 30 days after the order ended.
  clock.set(final_at + 30 * kDay - 1);
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(order()["display_text"], "DISPLAY-TEXT-MARKER sign the loan");
  clock.set(final_at + 30 * kDay);
  ASSERT_TRUE(eventually([&] { return order()["display_text"] == ""; })) << order().dump();
  json after = order();
  EXPECT_EQ(after["state"], "signed");
  EXPECT_EQ(after["items"][0]["signature"], signature_hex) << "the signature stays";
  auto stored = ok_value(side->get_order(tenant_id, order_id));
  crypto::Digest md = crypto::sm3(as_bytes(msg));
  EXPECT_EQ(stored.items[0].input, Bytes(md.begin(), md.end())) << "SM3(data) stays";
  bool found = false;
  for (const auto& e : audit_events("retention.order_payload_purged")) found = found || e.target == order_id;
  EXPECT_TRUE(found);

  // openssl: the kept signature verifies with the document and the certificate's key.
  auto scratch = dir / "verify";
  std::filesystem::create_directories(scratch);
  std::ofstream(scratch / "msg", std::ios::binary) << msg;
  std::ofstream(scratch / "cert.pem") << cert_pem;
  auto sig = ok_value(from_hex(signature_hex));
  std::ofstream(scratch / "sig.der", std::ios::binary).write(reinterpret_cast<const char*>(sig.data()),
                                                               static_cast<std::streamsize>(sig.size()));
  std::string s = scratch.string();
  std::string out = run("openssl x509 -in " + s + "/cert.pem -noout -pubkey > " + s + "/pub.pem && openssl dgst -sm3 "
                        "-verify " + s + "/pub.pem -sigopt distid:1234567812345678 -signature " + s + "/sig.der " +
                        s + "/msg");
  EXPECT_NE(out.find("Verified OK"), std::string::npos) << out;
  std::ofstream(scratch / "other", std::ios::binary) << msg << "!";
  out = run("openssl dgst -sm3 -verify " + s + "/pub.pem -sigopt distid:1234567812345678 -signature " + s +
            "/sig.der " + s + "/other");
  EXPECT_EQ(out.find("Verified OK"), std::string::npos) << out;

  // (The purged bytes are gone from the database file: checked at the end,
  // with the daemon stopped.)

  // Key share: wiped when the key's last certificate expires, not a second earlier.
  clock.set(not_after - 1);
  std::this_thread::sleep_for(2500ms);
  EXPECT_FALSE(ok_value(side->get_active_holder_key(tenant_id, d.holder_id)).service_share_ciphertext.empty());
  clock.set(not_after);
  ASSERT_TRUE(eventually([&] { return !side->get_active_holder_key(tenant_id, d.holder_id).ok(); }));
  auto keys = audit_events("retention.key_share_wiped");
  ASSERT_EQ(keys.size(), 1u);
  auto key = side->get_holder_key(tenant_id, keys[0].target);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(key->service_share_ciphertext.empty());
  EXPECT_EQ(key->revoked_at, std::optional<store::UnixSeconds>(not_after));
  EXPECT_EQ(keys[0].details, "{\"reason\":\"expired\"}");
  // A key without a share cannot sign: new orders for the holder fail cleanly.
  auto none = biz(app, "GET", "/api/v1/holders/" + d.holder_id);
  EXPECT_TRUE(parse(none)["public_key"].is_null()) << none.body;

  // The purged bytes are gone from the database file (secure_delete) once
  // the WAL is checkpointed. With the daemon stopped nothing writes (its
  // workers write several times a second: a checkpoint beside them could
  // answer busy), so the checkpoint must complete ("0|…"); the busy timeout
  // only covers the side store's idle connection.
  daemon->stop();
  daemon.reset();
  std::string db = (dir / "duet.db").string();
  out = run("sqlite3 -cmd '.timeout 10000' " + db + " 'PRAGMA wal_checkpoint(TRUNCATE)'");
  EXPECT_EQ(out.rfind("0|", 0), 0u) << out;
  std::string raw = testing::read_text(dir / "duet.db") + testing::read_text(dir / "duet.db-wal");
  EXPECT_EQ(raw.find("PRIVACY-PAYLOAD"), std::string::npos);
  EXPECT_EQ(raw.find("DISPLAY-TEXT-MARKER"), std::string::npos);
  EXPECT_EQ(raw.find("13812345678"), std::string::npos);
  EXPECT_EQ(raw.find("110101199003071234"), std::string::npos);
  // The name is allowed in clear inside the stored certificate's DER (issue
  // 12: the certificate identifies the signer) and nowhere else: it is there,
  // and gone once each stored certificate's DER is blanked out of the file.
  EXPECT_NE(raw.find("张三丰"), std::string::npos) << "the certificate should name the holder";
  for (const auto& c : *certs) {
    std::string der(c.der.begin(), c.der.end());
    for (size_t at = raw.find(der); at != std::string::npos; at = raw.find(der, at + 1))
      std::fill(raw.begin() + static_cast<std::ptrdiff_t>(at),
                raw.begin() + static_cast<std::ptrdiff_t>(at + der.size()), '\0');
  }
  EXPECT_EQ(raw.find("张三丰"), std::string::npos) << "the name outside a certificate";
}

// Two nodes (two stores on one database, two services): one runs the purge
// per interval; the other takes over only once the lease expired.
TEST_F(PrivacyTest, OneNodeAtATimeRunsThePurge) {
  store::SqliteStoreOptions so;
  so.quota_order = core::quota_order_rule();
  so.path = (dir / "duet.db").string();
  auto other = store::open_sqlite_store(so);
  ASSERT_TRUE(other.ok());
  core::ManualClock c(clock.now() + 1000);
  store::RetentionSettings s;
  s.interval_seconds = 60;
  // The daemon's own worker holds the lease from its first round: wait it out.
  core::RetentionService a(*side, c, s), b(**other, c, s);
  c.set(c.now() + 7200);
  auto ra = a.run_if_due("node-a");
  ASSERT_TRUE(ra.ok()) << ra.error().to_string();
  EXPECT_TRUE(ra->has_value()) << "node-a takes the free (expired) lease";
  auto rb = b.run_if_due("node-b");
  ASSERT_TRUE(rb.ok());
  EXPECT_FALSE(rb->has_value()) << "node-b waits while node-a holds it";
  c.set(c.now() + 59);
  EXPECT_FALSE(ok_value(b.run_if_due("node-b")).has_value());
  EXPECT_FALSE(ok_value(a.run_if_due("node-a")).has_value()) << "not due for node-a either";
  c.set(c.now() + 1);
  EXPECT_TRUE(ok_value(b.run_if_due("node-b")).has_value()) << "expired: node-b takes over";
  EXPECT_FALSE(ok_value(a.run_if_due("node-a")).has_value());
}

// Fail closed: while the KEK's check fails, the protector seals nothing.
class FlakyKek final : public keys::Kek {
 public:
  explicit FlakyKek(std::shared_ptr<keys::Kek> inner) : inner_(std::move(inner)) {}
  Result<Bytes> wrap(std::string_view c, ByteView p) override { return inner_->wrap(c, p); }
  Result<SecretBytes> unwrap(std::string_view c, ByteView w) override { return inner_->unwrap(c, w); }
  Status check() override {
    return up ? Status::Ok() : Status(make_error(ErrorCode::kUnavailable, "token gone"));
  }
  std::string describe() const override { return "flaky"; }
  std::atomic<bool> up{true};

 private:
  std::shared_ptr<keys::Kek> inner_;
};

TEST_F(PrivacyTest, ProtectorRefusesToSealWhileTheKekIsUnavailable) {
  auto file = keys::open_file_kek((dir / "flaky-kek.key").string(), true);
  ASSERT_TRUE(file.ok());
  auto kek = std::make_shared<FlakyKek>(*file);
  auto prot = keys::open_envelope_protector(kek, (dir / "flaky.wrapped").string());
  ASSERT_TRUE(prot.ok()) << prot.error().to_string();
  auto sealed = (*prot)->seal("ctx", as_bytes(std::string("13812345678")));
  ASSERT_TRUE(sealed.ok());
  kek->up = false;
  auto refused = (*prot)->seal("ctx", as_bytes(std::string("13812345678")));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kUnavailable);
  EXPECT_FALSE((*prot)->check().ok());
  kek->up = true;
  EXPECT_TRUE((*prot)->seal("ctx", as_bytes(std::string("x"))).ok());
  auto opened = (*prot)->open("ctx", *sealed);
  ASSERT_TRUE(opened.ok());
}

}  // namespace
}  // namespace duet::server

namespace duet::server {
namespace {

// Issue 14 item 8 (docs/privacy.md): the business system erases a holder. Its
// data key is destroyed (gone from the database file too), its certificate
// revoked (on the CRL), what art. 24 requires kept; the purge record is
// answered again by a second erasure; other tenants get 404; a copy of the
// database taken before the erasure (a backup) no longer opens the holder's
// name with the key material left after it, while the other holder's opens.
TEST_F(PrivacyTest, ErasureDestroysTheDataKeyRevokesAndKeepsWhatTheLawRequires) {
  Cred app = new_app();
  const std::string tenant = tenant_id;
  Device d = enroll(app, "123456");
  auto req = as(d.token, "POST", "/app/v1/certificate-requests");
  ASSERT_EQ(req.status, 201) << req.body;
  auto fin = sign(d, parse(req)["order_id"], "123456", "ses_erase_csr1");
  ASSERT_EQ(fin.status, 200) << fin.body;
  auto other_holder = biz(app, "POST", "/api/v1/holders",
                          json{{"name", "李四光"}, {"id_number", "110101199003075678"}}.dump());
  ASSERT_EQ(other_holder.status, 201) << other_holder.body;
  const std::string bystander = parse(other_holder)["holder_id"];
  const std::string hpath = "/api/v1/holders/" + d.holder_id;
  auto cert = ok_value(side->list_holder_certificates(tenant, d.holder_id)).front();
  const Bytes wrapped = ok_value(store::holder_data_keys(*side)->get_holder_data_key(tenant, d.holder_id));
  const Bytes bystander_wrapped = ok_value(store::holder_data_keys(*side)->get_holder_data_key(tenant, bystander));
  // New fields are sealed under the holder's key ('H' format), not the service key.
  EXPECT_EQ(ok_value(side->get_holder(tenant, d.holder_id)).name_ciphertext.at(0), 'H');

  // The backup, taken before the erasure with sqlite3 (an independent tool).
  const std::string db = (dir / "duet.db").string(), backup = (dir / "backup.db").string();
  auto copied = run("sqlite3 -cmd '.timeout 10000' " + db + " \".backup '" + backup + "'\"");
  ASSERT_TRUE(std::filesystem::exists(backup)) << copied;

  // Another tenant's business system: 404, nothing erased.
  Cred stranger = new_app();
  auto foreign = biz(stranger, "DELETE", hpath);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_TRUE(store::holder_data_keys(*side)->get_holder_data_key(tenant, d.holder_id).ok());

  auto erased = biz(app, "DELETE", hpath);
  ASSERT_EQ(erased.status, 200) << erased.body;
  json rec = parse(erased);
  EXPECT_EQ(rec["holder_id"], d.holder_id);
  EXPECT_EQ(rec["erased_by"], app.app_id);
  EXPECT_EQ(rec["erased_at"], clock.now());
  EXPECT_EQ(rec["destroyed"], json::parse(R"(["data_key","name","id_number","phone","key_shares:1","device_tokens:1"])"))
      << rec.dump();
  EXPECT_EQ(rec["revoked_certificates"], json::array({cert.serial_hex}));
  EXPECT_EQ(rec["retained"]["until"], cert.not_after + core::kCertificateRecordRetentionSeconds);
  // Idempotent: the same answer, nothing revoked again.
  auto again = biz(app, "DELETE", hpath);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(parse(again), rec);
  EXPECT_FALSE(audit_events("DELETE /api/v1/holders/{holder_id}").empty());

  // Destroyed: the key; the fields; the device. Kept: the certificate, revoked (cessationOfOperation).
  EXPECT_FALSE(store::holder_data_keys(*side)->get_holder_data_key(tenant, d.holder_id).ok());
  EXPECT_EQ(ok_value(store::holder_data_keys(*side)->get_holder_data_key(tenant, bystander)), bystander_wrapped);
  json view = parse(biz(app, "GET", hpath));
  EXPECT_EQ(view["erased"], true);
  EXPECT_EQ(view["name"], "");
  EXPECT_EQ(view["status"], "locked");
  EXPECT_EQ(as(d.token, "GET", "/app/v1/orders").status, 401);
  EXPECT_EQ(biz(app, "POST", hpath + "/activation-codes").status, 409);
  EXPECT_EQ(biz(app, "POST", hpath + "/unlock").status, 409);
  auto kept = ok_value(side->list_holder_certificates(tenant, d.holder_id));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].der, cert.der);
  EXPECT_TRUE(kept[0].revoked);
  EXPECT_EQ(kept[0].revocation_reason, 5);
  auto crl = call("GET", "/pki/sandbox/crl/" + cert.issuer_id + ".crl");
  ASSERT_EQ(crl.status, 200) << crl.body;
  pki::testing::ScratchDir scratch;
  std::string text = run("openssl crl -inform DER -in " + scratch.write("now.crl", crl.body) + " -noout -text");
  std::string upper = cert.serial_hex;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_NE(text.find(upper), std::string::npos) << text;
  EXPECT_NE(text.find("Cessation Of Operation"), std::string::npos) << text;
  // The audit events name the holder by its id only.
  for (const auto& e : ok_value(side->list_audit_events(0, 100000))) {
    for (const std::string& f : {e.target, e.details, e.actor_id}) {
      EXPECT_EQ(f.find("张三丰"), std::string::npos) << e.action;
      EXPECT_EQ(f.find("110101199003071234"), std::string::npos) << e.action;
    }
  }

  // The backup with the key material left after the erasure: the erased
  // holder's name no longer opens ("data key destroyed"); the other's does.
  store::SqliteStoreOptions bo;
  bo.quota_order = core::quota_order_rule();
  bo.path = backup;
  auto old = ok_value(store::open_sqlite_store(bo));
  auto prot = ok_value(keys::open_local_key_file((dir / "kek.key").string(), false));
  core::HolderFields live{*side, *prot, crypto::SystemRandom::instance(), clock};
  store::Holder gone = ok_value(old->get_holder(tenant, d.holder_id));
  auto opened = live.open(tenant, d.holder_id, "name", gone.name_ciphertext);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("data key destroyed"), std::string::npos) << opened.error().to_string();
  store::Holder still = ok_value(old->get_holder(tenant, bystander));
  SecretBytes name = ok_value(live.open(tenant, bystander, "name", still.name_ciphertext));
  EXPECT_EQ(std::string(name.view().begin(), name.view().end()), "李四光");
  // (The backup itself still holds the wrapped key: docs/privacy.md says how
  // restores take the key material from the live system, not the backup.)
  EXPECT_EQ(ok_value(store::holder_data_keys(*old)->get_holder_data_key(tenant, d.holder_id)), wrapped);
  old.reset();

  // The wrapped key's bytes are gone from the live database file and its WAL.
  daemon->stop();
  daemon.reset();
  auto out = run("sqlite3 -cmd '.timeout 10000' " + db + " 'PRAGMA wal_checkpoint(TRUNCATE)'");
  EXPECT_EQ(out.rfind("0|", 0), 0u) << out;
  std::string raw = testing::read_text(dir / "duet.db") + testing::read_text(dir / "duet.db-wal");
  auto bytes_of = [](const Bytes& b) { return std::string(b.begin(), b.end()); };
  EXPECT_EQ(raw.find(bytes_of(wrapped)), std::string::npos) << "the destroyed key is still in the file";
  EXPECT_NE(raw.find(bytes_of(bystander_wrapped)), std::string::npos) << "the search can find a key";
}

}  // namespace
}  // namespace duet::server
