// The local apps' request signature: v2 and v1 as the Business API's
// (core/request_signing.h), the Idempotency-Key covered by v2, the window,
// nonces spent once (and kept across a reopen of the store).
#include "gateway/local_auth.h"

#include <gtest/gtest.h>

#include "base/temp_dir_testing.h"
#include "core/request_signing.h"

namespace duet::gateway {
namespace {

constexpr int64_t kNow = 1'800'000'000;

http::Request signed_request(const std::string& secret, const std::string& nonce, int64_t ts, bool v2,
                             const std::string& key = "") {
  http::Request r;
  r.method = "POST";
  r.path = "/api/v1/orders";
  r.body = R"({"holder_id":"hld_1"})";
  const std::string t = std::to_string(ts);
  std::string sig = v2 ? core::sign_request_v2(secret, {.method = r.method,
                                                         .path = r.path,
                                                         .query = "",
                                                         .timestamp = t,
                                                         .nonce = nonce,
                                                         .idempotency_key = key,
                                                         .body = r.body})
                       : core::sign_request(secret, r.method, r.path, "", t, nonce, r.body);
  r.headers.set("X-Duet-App-Id", "erp");
  r.headers.set("X-Duet-Timestamp", t);
  r.headers.set("X-Duet-Nonce", nonce);
  r.headers.set("X-Duet-Signature", sig);
  if (v2) r.headers.set("X-Duet-Signature-Version", "2");
  if (!key.empty()) r.headers.set("Idempotency-Key", key);
  return r;
}

class LocalAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto st = GatewayStore::open(dir_.path().string() + "/gateway.db");
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    auth_ = std::make_unique<LocalAuth>(std::map<std::string, std::string, std::less<>>{{"erp", "s3cret"}}, *store_,
                                        300);
  }
  testing_support::TempDir dir_;
  std::unique_ptr<GatewayStore> store_;
  std::unique_ptr<LocalAuth> auth_;
};

TEST_F(LocalAuthTest, AcceptsV2AndV1SignaturesOfAKnownApp) {
  auto a = auth_->authenticate(signed_request("s3cret", "nonce-0001", kNow, true, "key-1"), kNow);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(*a, "erp");
  EXPECT_TRUE(auth_->authenticate(signed_request("s3cret", "nonce-0002", kNow, false), kNow).ok());
}

TEST_F(LocalAuthTest, RefusesWrongSecretsSwappedKeysStaleTimesAndReplays) {
  auto refused = [&](http::Request r, const std::string& words) {
    auto a = auth_->authenticate(r, kNow);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.code(), ErrorCode::kUnauthenticated);
    EXPECT_NE(a.error().message.find(words), std::string::npos) << a.error().message;
  };
  refused(signed_request("wrong", "nonce-0003", kNow, true), "signature does not match");
  http::Request swapped = signed_request("s3cret", "nonce-0004", kNow, true, "key-1");
  swapped.headers.set("Idempotency-Key", "key-2");
  refused(swapped, "signature does not match");
  refused(signed_request("s3cret", "nonce-0005", kNow - 301, true), "window");
  http::Request unknown = signed_request("s3cret", "nonce-0006", kNow, true);
  unknown.headers.set("X-Duet-App-Id", "crm");
  refused(unknown, "signature does not match");  // as a wrong signature: app ids are not listed
  http::Request bare;
  bare.method = "GET";
  bare.path = "/api/v1/orders/x";
  refused(bare, "missing");
  ASSERT_TRUE(auth_->authenticate(signed_request("s3cret", "nonce-0007", kNow, true), kNow).ok());
  refused(signed_request("s3cret", "nonce-0007", kNow, true), "nonce already used");
  // A forged request does not burn the nonce it names.
  ASSERT_TRUE(auth_->authenticate(signed_request("s3cret", "nonce-0003", kNow, true), kNow).ok());
}

}  // namespace
}  // namespace duet::gateway
