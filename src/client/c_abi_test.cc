// Drives the device role ONLY through the C ABI (libduet_client.so) against
// the service role run in-process (cosign::Service* with the JSON of wire.h).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "client/duet_client.h"
#include "cosign/keygen.h"
#include "cosign/test_util.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"

extern "C" int duet_client_c99_smoke(void);

namespace duet::client {
namespace {

namespace fs = std::filesystem;
using cosign::ServiceKeyShare;

constexpr uint32_t kTestIterations = 1000;
constexpr const char* kPin = "123456";

crypto::SystemRandom& rng() { return crypto::SystemRandom::instance(); }

using cosign::testing::contains_pin_in_clear;

struct ClientDeleter {
  void operator()(duet_client* h) const { duet_client_free(h); }
};
using Client = std::unique_ptr<duet_client, ClientDeleter>;

Client open_memory() {
  Client h(duet_client_new_memory());
  EXPECT_NE(h, nullptr);
  EXPECT_EQ(duet_client_set_kdf_iterations(h.get(), kTestIterations), DUET_OK);
  return h;
}

Client open_file(const fs::path& path) {
  Client h(duet_client_new_file(path.c_str()));
  EXPECT_NE(h, nullptr);
  EXPECT_EQ(duet_client_set_kdf_iterations(h.get(), kTestIterations), DUET_OK);
  return h;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "duet_client_test.XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    EXPECT_NE(::mkdtemp(buf.data()), nullptr);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string get_string(duet_client* h, int (*fn)(duet_client*, char*, size_t*)) {
  size_t len = 0;
  EXPECT_EQ(fn(h, nullptr, &len), DUET_ERR_BUFFER_TOO_SMALL);
  std::string out(len, '\0');
  EXPECT_EQ(fn(h, out.data(), &len), DUET_OK) << duet_client_last_error(h);
  out.resize(len);
  return out;
}

std::string begin_enrollment(duet_client* h, const char* holder) {
  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  EXPECT_EQ(duet_client_begin_enrollment(h, holder, buf.data(), &len), DUET_OK) << duet_client_last_error(h);
  return std::string(buf.data(), len);
}

// The service's half of key generation.
std::pair<ServiceKeyShare, std::string> service_keygen(const std::string& holder, const std::string& request_json) {
  auto request = cosign::parse_keygen_request(request_json);
  EXPECT_TRUE(request.ok()) << request.error().to_string();
  auto [share, response] = *cosign::ServiceKeygen::respond(holder, *request, rng());
  return {share, cosign::to_json(response)};
}

ServiceKeyShare enroll(duet_client* h, const std::string& holder, const char* pin = kPin) {
  auto [share, response] = service_keygen(holder, begin_enrollment(h, holder.c_str()));
  EXPECT_EQ(duet_client_complete_enrollment(h, response.c_str(), pin), DUET_OK) << duet_client_last_error(h);
  return share;
}

struct Signed {
  int rc = DUET_OK;
  std::string finish_json;
  Bytes der;
};

// One signing round: device through the C ABI, service in-process. When the
// device releases a signature, the service's verdict and OpenSSL's must agree.
Signed sign(duet_client* h, const ServiceKeyShare& share, const std::string& message, const char* pin,
            const std::string& session = "ses_1") {
  crypto::Digest e{};
  EXPECT_EQ(duet_client_message_digest(h, reinterpret_cast<const uint8_t*>(message.data()), message.size(), e.data()),
            DUET_OK);
  EXPECT_EQ(e, *crypto::sm2_digest(share.public_key, as_bytes(message)));
  cosign::SignContext ctx{"ord_1", session, e};

  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  int rc = duet_client_begin_signing(h, "ord_1", session.c_str(), e.data(), e.size(), pin, buf.data(), &len);
  if (rc != DUET_OK) return Signed{rc, {}, {}};
  auto request = cosign::parse_sign_request(std::string(buf.data(), len));
  EXPECT_TRUE(request.ok());
  auto response = cosign::ServiceSigner::respond(share, ctx, *request, rng());
  EXPECT_TRUE(response.ok());
  std::string response_json = cosign::to_json(*response);

  std::vector<char> finish(DUET_MESSAGE_MAX, 'x');
  std::vector<uint8_t> der(DUET_SIGNATURE_DER_MAX, 0xee);
  size_t finish_len = finish.size(), der_len = der.size();
  rc = duet_client_complete_signing(h, response_json.c_str(), finish.data(), &finish_len, der.data(), &der_len);
  if (rc != DUET_OK) {
    // Nothing is released on failure.
    EXPECT_EQ(finish_len, finish.size());
    EXPECT_EQ(finish[0], 'x');
    EXPECT_EQ(der[0], 0xee);
    return Signed{rc, {}, {}};
  }
  Signed out{rc, std::string(finish.data(), finish_len), Bytes(der.begin(), der.begin() + der_len)};
  auto fin = cosign::parse_sign_finish(out.finish_json);
  EXPECT_TRUE(fin.ok());
  auto verdict = cosign::ServiceSigner::finish(share.public_key, ctx, response->r, *fin);
  EXPECT_TRUE(verdict.ok()) << verdict.error().to_string();
  EXPECT_EQ(verdict->to_der(), out.der);
  Status openssl = crypto::evp_sm2_verify(share.public_key, as_bytes(message), out.der);
  EXPECT_TRUE(openssl.ok()) << openssl.error().to_string();
  return out;
}

TEST(CAbi, C99HeaderCompilesAndWorksFromC) { EXPECT_EQ(duet_client_c99_smoke(), 0); }

TEST(CAbi, StatusCodesMirrorErrorCodes) {
  for (int c = static_cast<int>(ErrorCode::kBadEncoding); c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    EXPECT_EQ(std::string(duet_status_name(-c)), error_code_name(static_cast<ErrorCode>(c)));
  }
  EXPECT_STREQ(duet_status_name(DUET_ERR_OUT_OF_MEMORY), "out_of_memory");
  EXPECT_STREQ(duet_status_name(1), "unknown");
}

TEST(CAbi, EnrollSignVerify) {
  Client h = open_memory();
  int enrolled = -1;
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 0);

  ServiceKeyShare share = enroll(h.get(), "hld_c1");
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 1);
  EXPECT_EQ(get_string(h.get(), duet_client_holder_id), "hld_c1");
  std::string pem = get_string(h.get(), duet_client_public_key_pem);
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  auto pub = crypto::public_key_from_spki(as_bytes(pem));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(*pub == share.public_key);

  Signed s = sign(h.get(), share, "pay 100 to Bob", kPin);
  EXPECT_EQ(s.rc, DUET_OK) << duet_client_last_error(h.get());
  EXPECT_FALSE(s.der.empty());
  // Another order, another session: still fine.
  EXPECT_EQ(sign(h.get(), share, "second", kPin, "ses_2").rc, DUET_OK);
  // Enrolling twice is refused.
  size_t len = DUET_MESSAGE_MAX;
  std::vector<char> buf(len);
  EXPECT_EQ(duet_client_begin_enrollment(h.get(), "hld_c1", buf.data(), &len), DUET_ERR_BAD_STATE);
}

TEST(CAbi, WrongPinIsSignatureInvalidAndUsesUpTheRound) {
  Client h = open_memory();
  ServiceKeyShare share = enroll(h.get(), "hld_c2");
  EXPECT_EQ(sign(h.get(), share, "m", "000000").rc, DUET_ERR_SIGNATURE_INVALID);
  EXPECT_NE(std::string(duet_client_last_error(h.get())).find("signature_invalid"), std::string::npos);
  // The round is gone: a second complete is out of order.
  char finish[DUET_MESSAGE_MAX];
  uint8_t der[DUET_SIGNATURE_DER_MAX];
  size_t finish_len = sizeof finish, der_len = sizeof der;
  EXPECT_EQ(duet_client_complete_signing(h.get(), "{}", finish, &finish_len, der, &der_len), DUET_ERR_BAD_STATE);
  // The right PIN still works.
  EXPECT_EQ(sign(h.get(), share, "m", kPin, "ses_2").rc, DUET_OK);
  // A PIN of the wrong shape is an argument error, before any round.
  EXPECT_EQ(sign(h.get(), share, "m", "12", "ses_3").rc, DUET_ERR_INVALID_ARGUMENT);
}

TEST(CAbi, BufferTooSmall) {
  Client h = open_memory();
  ServiceKeyShare share = enroll(h.get(), "hld_c3");
  char tiny[4];
  size_t len = sizeof tiny;
  EXPECT_EQ(duet_client_holder_id(h.get(), tiny, &len), DUET_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(len, std::string("hld_c3").size() + 1);
  EXPECT_NE(std::string(duet_client_last_error(h.get())), "");
  std::vector<char> exact(len);
  EXPECT_EQ(duet_client_holder_id(h.get(), exact.data(), &len), DUET_OK);
  EXPECT_EQ(len, 6u);
  EXPECT_STREQ(exact.data(), "hld_c3");
  EXPECT_STREQ(duet_client_last_error(h.get()), "");
  // NULL length pointer.
  EXPECT_EQ(duet_client_holder_id(h.get(), tiny, nullptr), DUET_ERR_INVALID_ARGUMENT);

  // complete_signing checks its buffers before using up the round.
  crypto::Digest e = *crypto::sm2_digest(share.public_key, as_bytes("msg"));
  std::vector<char> buf(DUET_MESSAGE_MAX);
  len = buf.size();
  ASSERT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_1", e.data(), e.size(), kPin, buf.data(), &len), DUET_OK);
  cosign::SignContext ctx{"ord_1", "ses_1", e};
  auto response = *cosign::ServiceSigner::respond(share, ctx, *cosign::parse_sign_request({buf.data(), len}), rng());
  std::string response_json = cosign::to_json(response);
  char finish[DUET_MESSAGE_MAX];
  uint8_t der[DUET_SIGNATURE_DER_MAX];
  size_t finish_len = 10, der_len = sizeof der;
  EXPECT_EQ(duet_client_complete_signing(h.get(), response_json.c_str(), finish, &finish_len, der, &der_len),
            DUET_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(finish_len, static_cast<size_t>(DUET_MESSAGE_MAX));
  finish_len = sizeof finish;
  der_len = 8;
  EXPECT_EQ(duet_client_complete_signing(h.get(), response_json.c_str(), finish, &finish_len, der, &der_len),
            DUET_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(der_len, static_cast<size_t>(DUET_SIGNATURE_DER_MAX));
  der_len = sizeof der;
  ASSERT_EQ(duet_client_complete_signing(h.get(), response_json.c_str(), finish, &finish_len, der, &der_len), DUET_OK)
      << duet_client_last_error(h.get());
  EXPECT_EQ(finish_len, std::strlen(finish));
  EXPECT_TRUE(crypto::evp_sm2_verify(share.public_key, as_bytes("msg"), ByteView(der, der_len)).ok());

  // complete_refresh too.
  len = buf.size();
  ASSERT_EQ(duet_client_begin_refresh(h.get(), "rfr_1", kPin, buf.data(), &len), DUET_OK);
  auto [pending, rresp] = *cosign::ServiceRefresh::respond(
      share, "hld_c3", "rfr_1", *cosign::parse_refresh_request({buf.data(), len}), rng());
  std::string rresp_json = cosign::to_json(rresp);
  size_t confirm_len = 0;
  EXPECT_EQ(duet_client_complete_refresh(h.get(), rresp_json.c_str(), kPin, nullptr, &confirm_len),
            DUET_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(confirm_len, static_cast<size_t>(DUET_MESSAGE_MAX));
  std::vector<char> confirm(confirm_len);
  EXPECT_EQ(duet_client_complete_refresh(h.get(), rresp_json.c_str(), kPin, confirm.data(), &confirm_len), DUET_OK);
}

TEST(CAbi, BadInputGetsTheDocumentedCodes) {
  Client h = open_memory();
  const std::string holder = "hld_c4";
  auto [share, response] = service_keygen(holder, begin_enrollment(h.get(), holder.c_str()));

  EXPECT_EQ(duet_client_complete_enrollment(h.get(), "not json", kPin), DUET_ERR_BAD_ENCODING);
  EXPECT_NE(std::string(duet_client_last_error(h.get())), "");
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), "[1,2,3]", kPin), DUET_ERR_BAD_ENCODING);
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), R"({"public_key":"zz"})", kPin), DUET_ERR_BAD_ENCODING);
  std::string bad_point = response;
  auto at = bad_point.find("\"public_key\":\"04") + 16;
  bad_point[at] = bad_point[at] == '0' ? '1' : '0';  // x changed: (almost surely) off the curve
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), bad_point.c_str(), kPin), DUET_ERR_BAD_POINT);
  // A response for another device's request fails the proof.
  Client other = open_memory();
  auto [share2, response2] = service_keygen(holder, begin_enrollment(other.get(), holder.c_str()));
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), response2.c_str(), kPin), DUET_ERR_BAD_PROOF);
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), response.c_str(), "12"), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), response.c_str(), nullptr), DUET_ERR_INVALID_ARGUMENT);
  // The round survived all of that.
  ASSERT_EQ(duet_client_complete_enrollment(h.get(), response.c_str(), kPin), DUET_OK) << duet_client_last_error(h.get());

  // Signing: out of order, bad digest length, bad JSON.
  char finish[DUET_MESSAGE_MAX];
  uint8_t der[DUET_SIGNATURE_DER_MAX];
  size_t finish_len = sizeof finish, der_len = sizeof der;
  EXPECT_EQ(duet_client_complete_signing(h.get(), "{}", finish, &finish_len, der, &der_len), DUET_ERR_BAD_STATE);
  crypto::Digest e = *crypto::sm2_digest(share.public_key, as_bytes("m"));
  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  EXPECT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_1", e.data(), 31, kPin, buf.data(), &len),
            DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_begin_signing(h.get(), "", "ses_1", e.data(), 32, kPin, buf.data(), &len),
            DUET_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_1", e.data(), 32, kPin, buf.data(), &len), DUET_OK);
  EXPECT_EQ(duet_client_complete_signing(h.get(), "{", finish, &finish_len, der, &der_len), DUET_ERR_BAD_ENCODING);
  EXPECT_EQ(duet_client_complete_signing(h.get(), R"({"r":"00","s2":"00","s3":"00"})", finish, &finish_len, der,
                                         &der_len),
            DUET_ERR_BAD_ENCODING);
  std::string n_hex(64, 'f');  // >= n
  std::string out_of_range = R"({"r":")" + n_hex + R"(","s2":")" + n_hex + R"(","s3":")" + n_hex + R"("})";
  EXPECT_EQ(duet_client_complete_signing(h.get(), out_of_range.c_str(), finish, &finish_len, der, &der_len),
            DUET_ERR_BAD_SCALAR);
  // Unparseable responses leave the round usable.
  cosign::SignContext ctx{"ord_1", "ses_1", e};
  auto sresp = *cosign::ServiceSigner::respond(share, ctx, *cosign::parse_sign_request({buf.data(), len}), rng());
  EXPECT_EQ(duet_client_complete_signing(h.get(), cosign::to_json(sresp).c_str(), finish, &finish_len, der, &der_len),
            DUET_OK);

  // NULL handle and arguments.
  int enrolled = 0;
  EXPECT_EQ(duet_client_is_enrolled(nullptr, &enrolled), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_is_enrolled(h.get(), nullptr), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), nullptr, kPin), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_set_kdf_iterations(h.get(), 10), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_STRNE(duet_client_last_error(nullptr), "");
  EXPECT_EQ(duet_client_new_file(nullptr), nullptr);
  EXPECT_EQ(duet_client_new_file(""), nullptr);
  duet_client_free(nullptr);
}

TEST(CAbi, FileStateSurvivesReopen) {
  TempDir dir;
  fs::path path = dir.path() / "holder.json";
  std::optional<ServiceKeyShare> enrolled_share;
  {
    Client h = open_file(path);
    enrolled_share = enroll(h.get(), "hld_c5");
  }
  const ServiceKeyShare& share = *enrolled_share;
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // The PIN is not in the file.
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_FALSE(contains_pin_in_clear(text, kPin)) << text;

  Client h = open_file(path);
  int enrolled = 0;
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 1);
  EXPECT_EQ(get_string(h.get(), duet_client_holder_id), "hld_c5");
  EXPECT_EQ(sign(h.get(), share, "after reopen", kPin).rc, DUET_OK);

  // forget() erases the file.
  EXPECT_EQ(duet_client_forget(h.get()), DUET_OK);
  EXPECT_FALSE(fs::exists(path));
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 0);
}

TEST(CAbi, CorruptStateFileIsBadStateUntilForgotten) {
  TempDir dir;
  fs::path path = dir.path() / "holder.json";
  std::ofstream(path) << R"({"v":1,"holder_id":"x"})";
  Client h = open_file(path);
  int enrolled = 0;
  EXPECT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_ERR_BAD_STATE);
  std::ofstream(path, std::ios::trunc) << R"({"v":99})";
  EXPECT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_ERR_UNSUPPORTED_VERSION);
  EXPECT_EQ(duet_client_forget(h.get()), DUET_OK);
  EXPECT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 0);
}

TEST(CAbi, PinChange) {
  TempDir dir;
  fs::path path = dir.path() / "holder.json";
  Client h = open_file(path);
  ServiceKeyShare share = enroll(h.get(), "hld_c6");
  ASSERT_EQ(duet_client_change_pin(h.get(), kPin, "987654"), DUET_OK) << duet_client_last_error(h.get());
  EXPECT_EQ(sign(h.get(), share, "m", kPin).rc, DUET_ERR_SIGNATURE_INVALID);
  EXPECT_EQ(sign(h.get(), share, "m", "987654", "ses_2").rc, DUET_OK);
  EXPECT_EQ(duet_client_change_pin(h.get(), "987654", "1"), DUET_ERR_INVALID_ARGUMENT);
  h.reset();
  h = open_file(path);
  EXPECT_EQ(sign(h.get(), share, "m", "987654", "ses_3").rc, DUET_OK);
}

// Refresh with a restart between the service's response and the confirm's
// acknowledgement.
TEST(CAbi, RefreshAcrossRestart) {
  TempDir dir;
  fs::path path = dir.path() / "holder.json";
  const std::string holder = "hld_c7";
  Client h = open_file(path);
  ServiceKeyShare old_share = enroll(h.get(), holder);

  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  ASSERT_EQ(duet_client_begin_refresh(h.get(), "rfr_1", kPin, buf.data(), &len), DUET_OK);
  auto request = *cosign::parse_refresh_request({buf.data(), len});
  auto [new_share, response] = *cosign::ServiceRefresh::respond(old_share, holder, "rfr_1", request, rng());
  std::string response_json = cosign::to_json(response);

  // A forged response is refused and nothing becomes pending.
  cosign::RefreshResponse forged = response;
  forged.proof.z = forged.proof.z + crypto::Scalar::one();
  std::vector<char> confirm(DUET_MESSAGE_MAX);
  size_t confirm_len = confirm.size();
  EXPECT_EQ(duet_client_complete_refresh(h.get(), cosign::to_json(forged).c_str(), "246810", confirm.data(),
                                         &confirm_len),
            DUET_ERR_BAD_PROOF);
  int pending = -1;
  ASSERT_EQ(duet_client_refresh_pending(h.get(), &pending), DUET_OK);
  EXPECT_EQ(pending, 0);

  confirm_len = confirm.size();
  ASSERT_EQ(duet_client_complete_refresh(h.get(), response_json.c_str(), "246810", confirm.data(), &confirm_len),
            DUET_OK)
      << duet_client_last_error(h.get());
  std::string confirm_json(confirm.data(), confirm_len);
  ASSERT_EQ(duet_client_refresh_pending(h.get(), &pending), DUET_OK);
  EXPECT_EQ(pending, 1);
  EXPECT_TRUE(fs::exists(path.string() + ".pending"));
  EXPECT_EQ(fs::status(path.string() + ".pending").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // Until acknowledged: no signing, no PIN change, no second refresh.
  EXPECT_EQ(sign(h.get(), old_share, "m", kPin).rc, DUET_ERR_BAD_STATE);
  EXPECT_EQ(duet_client_change_pin(h.get(), kPin, "111111"), DUET_ERR_BAD_STATE);
  len = buf.size();
  EXPECT_EQ(duet_client_begin_refresh(h.get(), "rfr_2", kPin, buf.data(), &len), DUET_ERR_BAD_STATE);

  // The app restarts before the service acknowledged the confirm.
  h.reset();
  h = open_file(path);
  ASSERT_EQ(duet_client_refresh_pending(h.get(), &pending), DUET_OK);
  EXPECT_EQ(pending, 1);
  EXPECT_EQ(get_string(h.get(), duet_client_pending_refresh_id), "rfr_1");
  std::string resent = get_string(h.get(), duet_client_pending_refresh_confirm);
  EXPECT_EQ(resent, confirm_json);
  Status confirmed = cosign::ServiceRefresh::confirm(new_share, holder, "rfr_1", request.rho,
                                                     *cosign::parse_refresh_confirm(resent));
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().to_string();

  ASSERT_EQ(duet_client_acknowledge_refresh(h.get()), DUET_OK) << duet_client_last_error(h.get());
  ASSERT_EQ(duet_client_refresh_pending(h.get(), &pending), DUET_OK);
  EXPECT_EQ(pending, 0);
  EXPECT_FALSE(fs::exists(path.string() + ".pending"));
  EXPECT_FALSE(fs::exists(path.string() + ".pending-info"));
  EXPECT_EQ(duet_client_acknowledge_refresh(h.get()), DUET_ERR_BAD_STATE);

  // Same public key; the new share pair signs under the new PIN, the old
  // service share no longer matches.
  EXPECT_TRUE(new_share.public_key == old_share.public_key);
  EXPECT_EQ(sign(h.get(), new_share, "after refresh", "246810").rc, DUET_OK);
  EXPECT_EQ(sign(h.get(), new_share, "after refresh", kPin, "ses_2").rc, DUET_ERR_SIGNATURE_INVALID);
  EXPECT_EQ(sign(h.get(), old_share, "after refresh", "246810", "ses_3").rc, DUET_ERR_SIGNATURE_INVALID);
  h.reset();
  h = open_file(path);
  EXPECT_EQ(sign(h.get(), new_share, "after second restart", "246810", "ses_4").rc, DUET_OK);
}

TEST(CAbi, AbandonedRefreshKeepsTheOldShare) {
  Client h = open_memory();
  const std::string holder = "hld_c8";
  ServiceKeyShare share = enroll(h.get(), holder);
  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  ASSERT_EQ(duet_client_begin_refresh(h.get(), "rfr_1", kPin, buf.data(), &len), DUET_OK);
  auto [pending_share, response] = *cosign::ServiceRefresh::respond(
      share, holder, "rfr_1", *cosign::parse_refresh_request({buf.data(), len}), rng());
  std::vector<char> confirm(DUET_MESSAGE_MAX);
  size_t confirm_len = confirm.size();
  ASSERT_EQ(duet_client_complete_refresh(h.get(), cosign::to_json(response).c_str(), "246810", confirm.data(),
                                         &confirm_len),
            DUET_OK);
  // The service refused the confirm (say the refresh expired): abandon.
  ASSERT_EQ(duet_client_abandon_refresh(h.get()), DUET_OK);
  int pending = -1;
  ASSERT_EQ(duet_client_refresh_pending(h.get(), &pending), DUET_OK);
  EXPECT_EQ(pending, 0);
  EXPECT_EQ(sign(h.get(), share, "still the old pair", kPin).rc, DUET_OK);

  // A wrong PIN at refresh: the service refuses the request (its bad_proof),
  // the device never gets a response to complete.
  len = buf.size();
  ASSERT_EQ(duet_client_begin_refresh(h.get(), "rfr_2", "000000", buf.data(), &len), DUET_OK);
  EXPECT_EQ(cosign::ServiceRefresh::respond(share, holder, "rfr_2", *cosign::parse_refresh_request({buf.data(), len}),
                                            rng())
                .code(),
            ErrorCode::kBadProof);
  EXPECT_EQ(duet_client_cancel(h.get()), DUET_OK);
  confirm_len = confirm.size();
  EXPECT_EQ(duet_client_complete_refresh(h.get(), cosign::to_json(response).c_str(), kPin, confirm.data(),
                                         &confirm_len),
            DUET_ERR_BAD_STATE);
}

}  // namespace
}  // namespace duet::client
