// The holder's handwritten signature behind a PIN proof, against a real
// duetd in-process (docs/protocol.md §6.1, finding M2 of the security
// review): without a proof the routes answer 426 and count nothing; a wrong
// PIN is counted like a signing one (five lock the holder, and then signing
// is locked too); a proof answers once (a replay is 409); a proof made for
// another operation or image is a wrong PIN; the right one works.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/result_testing.h"
#include "core/clock.h"
#include "cosign/handwriting_pin.h"
#include "crypto/random.h"
#include "httpclient/http_client.h"
#include "pdf/png_codec.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"

namespace duet::server {

using duet::testing_support::ok_value;
namespace {

using json = nlohmann::json;
using Cred = testing::AppCred;
using Device = testing::TestDevice;
constexpr const char* kPath = "/app/v1/handwritten-signature";
constexpr const char* kPin = "246810";

class HandwritingPinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("hwpin");
    DaemonOptions o;
    o.clock = &clock;
    auto d = testing::start_daemon(testing::loopback_dev_config(dir, 4), std::move(o));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon = std::move(*d);
    base = daemon->url();
    admin_token = testing::trim(testing::read_text(daemon->admin_token_path()));
    tenant = testing::create_tenant_apps(
        [this](const std::string& m, const std::string& t, const std::string& b) {
          return call(m, t, b, {{"Authorization", "Bearer " + admin_token}});
        },
        json{{"name", "Bank HW"}});
    device = enroll();
  }
  void TearDown() override {
    if (daemon) daemon->stop();
    daemon.reset();
    std::filesystem::remove_all(dir);
  }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                                httpclient::HeaderList headers = {}) {
    return testing::send(client, method, base + target, body, std::move(headers));
  }
  httpclient::HttpResponse biz(const std::string& method, const std::string& target, const std::string& body = "") {
    std::string nonce = "nonce-" + std::to_string(++nonces) + "-" + std::to_string(::getpid());
    return call(method, target, body,
                testing::signed_request_headers(tenant.sandbox, method, target, body, std::to_string(clock.now()),
                                                nonce));
  }
  Device enroll() {
    auto h = biz("POST", "/api/v1/holders",
                 json{{"name", "张三"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump());
    EXPECT_EQ(h.status, 201) << h.body;
    std::string holder_id = json::parse(h.body)["holder_id"].get<std::string>();
    auto code = biz("POST", "/api/v1/holders/" + holder_id + "/activation-codes");
    EXPECT_EQ(code.status, 201) << code.body;
    return testing::activate_device(
        [this](const std::string& m, const std::string& t, const std::string& b) { return call(m, t, b); }, holder_id,
        json::parse(code.body)["code"].get<std::string>(), kPin, 1000);
  }
  httpclient::HeaderList auth(httpclient::HeaderList more = {}) {
    more.emplace_back("Authorization", "Bearer " + device.token);
    return more;
  }
  // Round 1: the challenge's answer.
  httpclient::HttpResponse challenge(const std::string& op) {
    return call("POST", std::string(kPath) + "/pin-challenges", json{{"operation", op}}.dump(), auth());
  }
  // Rounds 1 and the device's proof: the Duet-Pin-Proof value.
  std::string proof(const std::string& op, const std::string& pin, ByteView png = {}) {
    auto c = challenge(op);
    EXPECT_EQ(c.status, 201) << c.body;
    EXPECT_EQ(c.header("Cache-Control").value_or(""), "no-store");
    json cj = json::parse(c.body);
    EXPECT_EQ(cj["operation"], op);
    cosign::HandwritingPinContext ctx{device.holder_id, cj["challenge_id"].get<std::string>(), op,
                                      op == "put" ? cosign::handwriting_image_digest(png) : Bytes{}};
    return cosign::to_json(ok_value(
        cosign::prove_handwriting_pin(*device.state, pin, ctx, crypto::SystemRandom::instance())));
  }
  httpclient::HttpResponse put(const Bytes& png, const std::string& proof_value) {
    httpclient::HeaderList h = auth({{"Content-Type", "image/png"}});
    if (!proof_value.empty()) h.emplace_back("Duet-Pin-Proof", proof_value);
    httpclient::HttpRequest req;
    req.method = "PUT";
    req.url = base + kPath;
    req.body = std::string(png.begin(), png.end());
    req.headers = std::move(h);
    auto r = client.perform(req);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : httpclient::HttpResponse{};
  }
  httpclient::HttpResponse get_or_delete(const std::string& method, const std::string& proof_value) {
    httpclient::HeaderList h = auth();
    if (!proof_value.empty()) h.emplace_back("Duet-Pin-Proof", proof_value);
    return call(method, kPath, "", std::move(h));
  }
  static std::string code_of(const httpclient::HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"]["code"].get<std::string>() : "<none>";
  }
  json holder() { return json::parse(biz("GET", "/api/v1/holders/" + device.holder_id).body); }

  static Bytes ink_png() {
    pdf::RgbaImage ink;
    ink.width = 64;
    ink.height = 32;
    ink.pixels.assign(64 * 32 * 4, 0);
    for (size_t x = 0; x < 64; ++x) {
      uint8_t* px = &ink.pixels[(16 * 64 + x) * 4];
      px[2] = 200;
      px[3] = 255;
    }
    return ok_value(pdf::encode_png(ink));
  }

  std::filesystem::path dir;
  core::ManualClock clock{std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()};
  std::unique_ptr<Daemon> daemon;
  std::string base, admin_token;
  httpclient::HttpClient client;
  testing::TenantApps tenant;
  Device device;
  int nonces = 0;
};

TEST_F(HandwritingPinTest, WithoutAProofEveryRouteIs426AndNothingIsCounted) {
  const Bytes png = ink_png();
  auto p = put(png, "");
  EXPECT_EQ(p.status, 426) << p.body;
  EXPECT_EQ(code_of(p), "client_upgrade_required");
  auto g = get_or_delete("GET", "");
  EXPECT_EQ(g.status, 426) << g.body;
  EXPECT_EQ(code_of(g), "client_upgrade_required");
  EXPECT_EQ(g.body.find("\x89PNG"), std::string::npos);
  auto d = get_or_delete("DELETE", "");
  EXPECT_EQ(d.status, 426) << d.body;
  EXPECT_EQ(holder()["attempts_left"], 5);
  // A malformed proof is 400, counted nothing either.
  auto bad = get_or_delete("GET", "{\"challenge_id\":\"hwc_x\"}");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(code_of(bad), "bad_encoding");
  EXPECT_EQ(holder()["attempts_left"], 5);
  // Unknown operations are refused before an attempt is counted.
  auto op = challenge("post");
  EXPECT_EQ(op.status, 400) << op.body;
  EXPECT_EQ(holder()["attempts_left"], 5);
}

TEST_F(HandwritingPinTest, TheRightPinUploadsReadsAndDeletes) {
  const Bytes png = ink_png();
  auto up = put(png, proof("put", kPin, png));
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(json::parse(up.body)["width"], 64);
  auto back = get_or_delete("GET", proof("get", kPin));
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.header("Content-Type").value_or(""), "image/png");
  EXPECT_EQ(back.header("Cache-Control").value_or(""), "no-store");
  EXPECT_EQ(ok_value(pdf::decode_png(as_bytes(back.body))).pixels, ok_value(pdf::decode_png(png)).pixels);
  EXPECT_EQ(get_or_delete("DELETE", proof("delete", kPin)).status, 204);
  auto none = get_or_delete("GET", proof("get", kPin));
  EXPECT_EQ(none.status, 404) << none.body;
  // Every one of those PIN uses verified: nothing is left counted.
  EXPECT_EQ(holder()["attempts_left"], 5);
}

TEST_F(HandwritingPinTest, AProofAnswersOnceAndOnlyForItsOperationAndImage) {
  const Bytes png = ink_png();
  std::string p = proof("put", kPin, png);
  ASSERT_EQ(put(png, p).status, 200);
  auto replay = put(png, p);
  EXPECT_EQ(replay.status, 409) << replay.body;
  EXPECT_EQ(code_of(replay), "conflict");
  std::string g = proof("get", kPin);
  ASSERT_EQ(get_or_delete("GET", g).status, 200);
  EXPECT_EQ(get_or_delete("GET", g).status, 409);
  EXPECT_EQ(holder()["attempts_left"], 5) << "a replay is refused before any proof is checked";
  // A get proof on delete, a proof for one image with another: wrong PINs.
  auto del = get_or_delete("DELETE", proof("get", kPin));
  EXPECT_EQ(del.status, 422) << del.body;
  EXPECT_EQ(code_of(del), "pin_invalid");
  Bytes other = png;
  other.push_back(0);  // trailing byte: another upload
  auto swapped = put(png, proof("put", kPin, other));
  EXPECT_EQ(swapped.status, 422) << swapped.body;
  EXPECT_EQ(holder()["attempts_left"], 3);
  // The image is still there (neither went through).
  EXPECT_EQ(get_or_delete("GET", proof("get", kPin)).status, 200);
}

TEST_F(HandwritingPinTest, WrongPinsCountAndFiveLockTheHolderForSigningToo) {
  for (int i = 0; i < 5; ++i) {
    auto r = get_or_delete("GET", proof("get", "000000"));
    EXPECT_EQ(r.status, 422) << i << ": " << r.body;
    EXPECT_EQ(code_of(r), "pin_invalid");
    EXPECT_EQ(json::parse(r.body)["error"]["attempts_left"], 4 - i);
    EXPECT_EQ(r.body.find("\x89PNG"), std::string::npos);
  }
  json h = holder();
  EXPECT_EQ(h["status"], "locked");
  EXPECT_EQ(h["attempts_left"], 0);
  // Locked: no challenge is issued (423, as a signing step 1 is answered).
  auto c = challenge("get");
  EXPECT_EQ(c.status, 423) << c.body;
  EXPECT_EQ(code_of(c), "locked");
  auto order = biz("POST", "/api/v1/orders",
                   json{{"holder_id", device.holder_id}, {"title", "t"}, {"output", "der"},
                        {"data_base64", "aGVsbG8="}}.dump());
  ASSERT_EQ(order.status, 201) << order.body;
  auto signed_ = testing::device_sign_round(
      [this](const std::string& m, const std::string& t, const std::string& b) {
        return call(m, t, b, {{"Authorization", "Bearer " + device.token}});
      },
      *device.state, json::parse(order.body)["order_id"].get<std::string>(), kPin, "ses_after_hw_lock");
  EXPECT_EQ(signed_.status, 423) << signed_.body;
}

TEST_F(HandwritingPinTest, AnExpiredChallengeIsRefusedAndStaysCounted) {
  std::string p = proof("get", kPin);
  clock.advance(301);
  auto r = get_or_delete("GET", p);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(code_of(r), "expired");
  EXPECT_EQ(holder()["attempts_left"], 4);
}

}  // namespace
}  // namespace duet::server
