// Test-only helpers of the client tests: the device runs ONLY through the C
// ABI (libduet_client.so); the service role runs in-process (cosign::Service*
// with the JSON of wire.h) behind a FakeService that counts PIN attempts and
// answers with the Holder API's bodies, errors included.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/temp_dir_testing.h"
#include "client/duet_client.h"
#include "cosign/keygen.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"

namespace duet::client::testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline constexpr uint32_t kTestIterations = 1000;
inline constexpr const char* kPin = "123456";

inline crypto::SystemRandom& rng() { return crypto::SystemRandom::instance(); }

struct ClientDeleter {
  void operator()(duet_client* h) const { duet_client_free(h); }
};
using Client = std::unique_ptr<duet_client, ClientDeleter>;

inline Client open_memory() {
  Client h(duet_client_new_memory());
  EXPECT_NE(h, nullptr);
  EXPECT_EQ(duet_client_set_kdf_iterations(h.get(), kTestIterations), DUET_OK);
  return h;
}

inline Client open_file(const fs::path& path) {
  Client h(duet_client_new_file(path.c_str()));
  EXPECT_NE(h, nullptr);
  EXPECT_EQ(duet_client_set_kdf_iterations(h.get(), kTestIterations), DUET_OK);
  return h;
}

// A fresh directory per test, removed with what it holds.
using TempDir = ::duet::testing_support::TempDir;
using ::duet::testing_support::read_file;

// A string output of the ABI: size query, then the call.
inline std::string get_string(duet_client* h, int (*fn)(duet_client*, char*, size_t*)) {
  size_t len = 0;
  EXPECT_EQ(fn(h, nullptr, &len), DUET_ERR_BUFFER_TOO_SMALL);
  std::string out(len, '\0');
  EXPECT_EQ(fn(h, out.data(), &len), DUET_OK) << duet_client_last_error(h);
  out.resize(len);
  return out;
}

// The Holder API's error body.
inline std::string error_body(ErrorCode code, int attempts_left = -1) {
  json e = {{"code", error_code_name(code)}, {"message", "refused by the test service"}, {"request_id", "req_test"}};
  if (attempts_left >= 0) e["attempts_left"] = attempts_left;
  return json{{"error", e}}.dump();
}

// The service role for one holder, with the attempt rule of docs/protocol.md:
// locked holders are refused first, then an attempt is counted, then the
// proofs are checked; a valid PIN proof resets the count.
class FakeService {
 public:
  static constexpr int kMaxFailures = 5;

  std::string holder;
  cosign::ServiceKeyShare share{crypto::Scalar::one(), crypto::Point::generator(), std::nullopt};  // set by keygen()
  int failures = 0;
  std::optional<cosign::ServiceKeyShare> pending;
  std::string pending_id;

  int attempts_left() const { return kMaxFailures - failures; }

  // The keygen answer for the device's request.
  std::string keygen(const std::string& holder_id, const std::string& request_json) {
    holder = holder_id;
    auto request = cosign::parse_keygen_request(request_json);
    EXPECT_TRUE(request.ok()) << request.error().to_string();
    auto responded = cosign::ServiceKeygen::respond(holder, *request, rng());
    EXPECT_TRUE(responded.ok());
    share = responded->first;
    return cosign::to_json(responded->second);
  }

  // Step 2: the answer body to a session start ({"items","pin_proof"}).
  std::string start(const cosign::SignSessionContext& ctx, const std::string& request_json) {
    last_ctx = ctx;
    last_r.clear();
    if (failures >= kMaxFailures) return error_body(ErrorCode::kLocked);
    auto request = cosign::parse_sign_session_request(request_json, 1000);
    if (!request.ok()) return error_body(request.code());
    ++failures;  // counted before any PIN-dependent work
    auto p1 = share.p1_or_derive();
    EXPECT_TRUE(p1.ok());
    auto verified = cosign::ServiceSigner::verify_session(*p1, ctx, *request);
    if (!verified.ok()) {
      if (verified.code() == ErrorCode::kPinInvalid) return error_body(ErrorCode::kPinInvalid, attempts_left());
      return error_body(verified.code());
    }
    failures = 0;
    auto responses = cosign::ServiceSigner::respond(share, *verified, rng());
    EXPECT_TRUE(responses.ok());
    json items = json::array();
    for (const auto& r : *responses) {
      items.push_back(json::parse(cosign::to_json(r)));
      last_r.push_back(r.r);
    }
    return json{{"session_id", ctx.session_id}, {"attempts_left", attempts_left()}, {"items", items}}.dump();
  }

  // Step 4 for the last session: every (r, s) must verify.
  Status finish(const std::string& finish_json) {
    json j = json::parse(finish_json, nullptr, false);
    if (!j.is_object() || !j.contains("items") || !j["items"].is_array() || j["items"].size() != last_r.size()) {
      return make_error(ErrorCode::kBadEncoding, "finish body");
    }
    for (size_t i = 0; i < last_r.size(); ++i) {
      DUET_ASSIGN_OR_RETURN(cosign::SignFinish f, cosign::parse_sign_finish(j["items"][i].dump()));
      auto sig = cosign::ServiceSigner::finish(share.public_key, last_ctx.item(i), last_r[i], f);
      if (!sig.ok()) return Unexpected{sig.error()};
    }
    return Status::Ok();
  }

  // Refresh request → the 201 body (or an error body).
  std::string begin_refresh(const std::string& refresh_id, const std::string& request_json) {
    if (failures >= kMaxFailures) return error_body(ErrorCode::kLocked);
    auto request = cosign::parse_refresh_request(request_json);
    if (!request.ok()) return error_body(request.code());
    ++failures;
    auto responded = cosign::ServiceRefresh::respond(share, holder, refresh_id, *request, rng());
    if (!responded.ok()) return error_body(responded.code(), attempts_left());
    failures = 0;
    pending = responded->first;
    pending_id = refresh_id;
    last_rho_hex = request->rho.to_hex();
    return json{{"refresh_id", refresh_id}, {"response", json::parse(cosign::to_json(responded->second))}}.dump();
  }

  // Confirm → "" when accepted (the share switched), else an error body.
  std::string confirm(const std::string& refresh_id, const std::string& confirm_json) {
    if (!pending || refresh_id != pending_id) return error_body(ErrorCode::kNotFound);
    if (failures >= kMaxFailures) return error_body(ErrorCode::kLocked);
    auto confirm = cosign::parse_refresh_confirm(confirm_json);
    if (!confirm.ok()) return error_body(confirm.code());
    ++failures;
    Status ok = cosign::ServiceRefresh::confirm(*pending, holder, refresh_id, *confirm);
    if (!ok.ok()) return error_body(ok.code(), attempts_left());
    failures = 0;
    share = *pending;
    pending.reset();
    return "";
  }

  std::string last_rho_hex;

 private:
  cosign::SignSessionContext last_ctx;
  std::vector<crypto::Scalar> last_r;
};

inline void enroll(duet_client* h, FakeService& service, const std::string& holder, const char* pin = kPin) {
  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  ASSERT_EQ(duet_client_begin_enrollment(h, holder.c_str(), buf.data(), &len), DUET_OK) << duet_client_last_error(h);
  std::string response = service.keygen(holder, std::string(buf.data(), len));
  ASSERT_EQ(duet_client_complete_enrollment(h, response.c_str(), pin), DUET_OK) << duet_client_last_error(h);
}

struct Signed {
  int rc = DUET_OK;
  std::vector<Bytes> der;
  std::string error;  // duet_client_last_error of the failed call
};

// One session over `messages`: the device through the C ABI, the service
// in-process. When the device releases signatures, the service's verdict and
// OpenSSL's must agree with them.
inline Signed sign(duet_client* h, FakeService& service, const std::vector<std::string>& messages, const char* pin,
                   const std::string& session = "ses_1") {
  cosign::SignSessionContext ctx{"ord_1", session, {}};
  std::vector<uint8_t> digests;
  for (const std::string& m : messages) {
    crypto::Digest e{};
    EXPECT_EQ(duet_client_message_digest(h, reinterpret_cast<const uint8_t*>(m.data()), m.size(), e.data()), DUET_OK);
    EXPECT_EQ(e, *crypto::sm2_digest(service.share.public_key, as_bytes(m)));
    ctx.digests.push_back(e);
    digests.insert(digests.end(), e.begin(), e.end());
  }
  std::vector<char> buf(DUET_SIGN_REQUEST_MAX(messages.size()));
  size_t len = buf.size();
  int rc = duet_client_begin_signing(h, "ord_1", session.c_str(), digests.data(), messages.size(), pin, buf.data(),
                                     &len);
  if (rc != DUET_OK) return Signed{rc, {}, duet_client_last_error(h)};
  std::string answer = service.start(ctx, std::string(buf.data(), len));
  rc = duet_client_complete_signing(h, answer.c_str());
  if (rc != DUET_OK) {
    Signed failed{rc, {}, duet_client_last_error(h)};
    // Nothing is released on failure.
    size_t finish_len = 0;
    EXPECT_EQ(duet_client_sign_finish(h, nullptr, &finish_len), DUET_ERR_BAD_STATE);
    return failed;
  }
  std::string finish = get_string(h, duet_client_sign_finish);
  Status verdict = service.finish(finish);
  EXPECT_TRUE(verdict.ok()) << verdict.error().to_string();
  size_t count = 0;
  EXPECT_EQ(duet_client_signature_count(h, &count), DUET_OK);
  EXPECT_EQ(count, messages.size());
  Signed out;
  for (size_t i = 0; i < count; ++i) {
    uint8_t der[DUET_SIGNATURE_DER_MAX];
    size_t der_len = sizeof der;
    EXPECT_EQ(duet_client_signature_der(h, i, der, &der_len), DUET_OK);
    out.der.emplace_back(der, der + der_len);
    Status openssl = crypto::evp_sm2_verify(service.share.public_key, as_bytes(messages[i]), out.der.back());
    EXPECT_TRUE(openssl.ok()) << openssl.error().to_string();
  }
  return out;
}

inline Signed sign(duet_client* h, FakeService& service, const std::string& message, const char* pin,
                   const std::string& session = "ses_1") {
  return sign(h, service, std::vector<std::string>{message}, pin, session);
}

}  // namespace duet::client::testing
