// Drives the device role ONLY through the C ABI (libduet_client.so) against
// the service role run in-process (client_test_util.h): status codes, the
// signing session of protocol v2 (one PIN proof per order, the service's
// refusals as codes with attempts left), buffers and bad input. Refresh, PIN
// change and the state on disk: c_abi_refresh_test.cc.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "client/client_test_util.h"
#include "cosign/test_util.h"

extern "C" int duet_client_c99_smoke(void);

namespace duet::client {
namespace {

using ::duet::testing_support::ok_value;

using namespace testing;
using cosign::testing::contains_pin_in_clear;

TEST(CAbi, C99HeaderCompilesAndWorksFromC) { EXPECT_EQ(duet_client_c99_smoke(), 0); }

TEST(CAbi, StatusCodesMirrorErrorCodes) {
  for (int c = static_cast<int>(ErrorCode::kBadEncoding); c <= static_cast<int>(ErrorCode::kRefreshRequired); ++c) {
    EXPECT_EQ(std::string(duet_status_name(-c)), error_code_name(static_cast<ErrorCode>(c)));
  }
  EXPECT_STREQ(duet_status_name(DUET_ERR_PIN_INVALID), "pin_invalid");
  EXPECT_STREQ(duet_status_name(DUET_ERR_CLIENT_UPGRADE_REQUIRED), "client_upgrade_required");
  EXPECT_STREQ(duet_status_name(DUET_ERR_REFRESH_REQUIRED), "refresh_required");
  EXPECT_STREQ(duet_status_name(DUET_ERR_OUT_OF_MEMORY), "out_of_memory");
  EXPECT_STREQ(duet_status_name(DUET_ERR_REFRESH_REQUIRED - 1), "unknown");
  EXPECT_STREQ(duet_status_name(1), "unknown");
}

TEST(CAbi, EnrollSignVerify) {
  Client h = open_memory();
  FakeService service;
  int enrolled = -1;
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 0);

  enroll(h.get(), service, "hld_c1");
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 1);
  EXPECT_EQ(get_string(h.get(), duet_client_holder_id), "hld_c1");
  std::string pem = get_string(h.get(), duet_client_public_key_pem);
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  auto pub = crypto::public_key_from_spki(as_bytes(pem));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(*pub == service.share.public_key);

  Signed s = sign(h.get(), service, "pay 100 to Bob", kPin);
  EXPECT_EQ(s.rc, DUET_OK) << duet_client_last_error(h.get());
  ASSERT_EQ(s.der.size(), 1u);
  EXPECT_EQ(duet_client_attempts_left(h.get()), FakeService::kMaxFailures);
  // A batch: one session, one PIN proof, every item signed.
  Signed batch = sign(h.get(), service, {"item one", "item two", "item three"}, kPin, "ses_2");
  EXPECT_EQ(batch.rc, DUET_OK) << duet_client_last_error(h.get());
  EXPECT_EQ(batch.der.size(), 3u);
  // Enrolling twice is refused.
  size_t len = DUET_MESSAGE_MAX;
  std::vector<char> buf(len);
  EXPECT_EQ(duet_client_begin_enrollment(h.get(), "hld_c1", buf.data(), &len), DUET_ERR_BAD_STATE);
}

// The attack of issue 10: with the device state and a wrong PIN, the session
// start gets pin_invalid and nothing else; five lock the key.
TEST(CAbi, WrongPinIsRefusedByTheServiceWithAttemptsLeft) {
  Client h = open_memory();
  FakeService service;
  enroll(h.get(), service, "hld_c2");
  Signed wrong = sign(h.get(), service, "m", "000000");
  EXPECT_EQ(wrong.rc, DUET_ERR_PIN_INVALID);
  EXPECT_TRUE(wrong.der.empty());
  EXPECT_EQ(duet_client_attempts_left(h.get()), 4);
  const std::string& why = wrong.error;
  EXPECT_NE(why.find("pin_invalid"), std::string::npos) << why;
  EXPECT_NE(why.find("attempts left: 4"), std::string::npos) << why;
  EXPECT_FALSE(contains_pin_in_clear(why, "000000")) << why;
  // The session is over: another answer for it is out of order.
  EXPECT_EQ(duet_client_complete_signing(h.get(), "{\"items\":[]}"), DUET_ERR_BAD_STATE);
  // The right PIN resets the count.
  EXPECT_EQ(sign(h.get(), service, "m", kPin, "ses_2").rc, DUET_OK);
  EXPECT_EQ(duet_client_attempts_left(h.get()), 5);
  // Five wrong PINs lock the key; then even the right one is refused.
  for (int i = 0; i < FakeService::kMaxFailures; ++i) {
    EXPECT_EQ(sign(h.get(), service, "m", "000000", "ses_w" + std::to_string(i)).rc, DUET_ERR_PIN_INVALID);
    EXPECT_EQ(duet_client_attempts_left(h.get()), FakeService::kMaxFailures - 1 - i);
  }
  Signed locked = sign(h.get(), service, "m", kPin, "ses_3");
  EXPECT_EQ(locked.rc, DUET_ERR_LOCKED);
  EXPECT_NE(locked.error.find("locked"), std::string::npos) << locked.error;
  // A PIN of the wrong shape is an argument error, before any session.
  EXPECT_EQ(sign(h.get(), service, "m", "12", "ses_4").rc, DUET_ERR_INVALID_ARGUMENT);
}

TEST(CAbi, ServiceRefusalsHaveTheirOwnCodes) {
  Client h = open_memory();
  FakeService service;
  enroll(h.get(), service, "hld_c9");
  crypto::Digest e = ok_value(crypto::sm2_digest(service.share.public_key, as_bytes("m")));
  const struct {
    ErrorCode code;
    int status;
  } cases[] = {{ErrorCode::kClientUpgradeRequired, DUET_ERR_CLIENT_UPGRADE_REQUIRED},
               {ErrorCode::kRefreshRequired, DUET_ERR_REFRESH_REQUIRED},
               {ErrorCode::kLocked, DUET_ERR_LOCKED},
               {ErrorCode::kConflict, DUET_ERR_CONFLICT},
               {ErrorCode::kExpired, DUET_ERR_EXPIRED}};
  for (const auto& c : cases) {
    std::vector<char> buf(DUET_SIGN_REQUEST_MAX(1));
    size_t len = buf.size();
    ASSERT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_x", e.data(), 1, kPin, buf.data(), &len), DUET_OK);
    EXPECT_EQ(duet_client_complete_signing(h.get(), error_body(c.code).c_str()), c.status) << error_code_name(c.code);
    EXPECT_EQ(duet_client_complete_signing(h.get(), error_body(c.code).c_str()), DUET_ERR_BAD_STATE);
  }
  // Unknown codes stay errors; duet_client_service_error for any other call.
  EXPECT_EQ(duet_client_service_error(h.get(), R"({"error":{"code":"something_new","message":"x"}})"),
            DUET_ERR_INTERNAL);
  EXPECT_NE(std::string(duet_client_last_error(h.get())).find("something_new"), std::string::npos);
  EXPECT_EQ(duet_client_service_error(h.get(), error_body(ErrorCode::kPinInvalid, 2).c_str()), DUET_ERR_PIN_INVALID);
  EXPECT_EQ(duet_client_attempts_left(h.get()), 2);
  EXPECT_EQ(duet_client_service_error(h.get(), "not json"), DUET_ERR_BAD_ENCODING);
  EXPECT_EQ(duet_client_service_error(h.get(), nullptr), DUET_ERR_INVALID_ARGUMENT);
}

TEST(CAbi, BufferTooSmall) {
  Client h = open_memory();
  FakeService service;
  enroll(h.get(), service, "hld_c3");
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
  EXPECT_EQ(duet_client_holder_id(h.get(), tiny, nullptr), DUET_ERR_INVALID_ARGUMENT);

  // begin_signing checks its buffer before the PIN is used, and the bound
  // DUET_SIGN_REQUEST_MAX(k) holds for 1 and for many digests.
  for (size_t k : {size_t{1}, size_t{7}, size_t{40}}) {
    std::vector<uint8_t> digests;
    cosign::SignSessionContext ctx{"ord_1", "ses_" + std::to_string(k), {}};
    for (size_t i = 0; i < k; ++i) {
      crypto::Digest e = ok_value(crypto::sm2_digest(service.share.public_key, as_bytes("msg " + std::to_string(i))));
      ctx.digests.push_back(e);
      digests.insert(digests.end(), e.begin(), e.end());
    }
    len = 0;
    EXPECT_EQ(duet_client_begin_signing(h.get(), "ord_1", ctx.session_id.c_str(), digests.data(), k, kPin, nullptr,
                                        &len),
              DUET_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(len, DUET_SIGN_REQUEST_MAX(k));
    std::vector<char> buf(len);
    ASSERT_EQ(duet_client_begin_signing(h.get(), "ord_1", ctx.session_id.c_str(), digests.data(), k, kPin,
                                        buf.data(), &len),
              DUET_OK);
    EXPECT_EQ(len, std::strlen(buf.data()));
    ASSERT_EQ(duet_client_complete_signing(h.get(), service.start(ctx, buf.data()).c_str()), DUET_OK)
        << duet_client_last_error(h.get());
    // Size query of the finish body and of a signature.
    std::string finish = get_string(h.get(), duet_client_sign_finish);
    EXPECT_TRUE(service.finish(finish).ok());
    size_t der_len = 0;
    EXPECT_EQ(duet_client_signature_der(h.get(), k - 1, nullptr, &der_len), DUET_ERR_BUFFER_TOO_SMALL);
    EXPECT_LE(der_len, static_cast<size_t>(DUET_SIGNATURE_DER_MAX));
    EXPECT_EQ(duet_client_signature_der(h.get(), k, nullptr, &der_len), DUET_ERR_INVALID_ARGUMENT);
  }

  // complete_refresh checks its buffer before using up the round.
  std::vector<char> buf(DUET_MESSAGE_MAX);
  len = buf.size();
  ASSERT_EQ(duet_client_begin_refresh(h.get(), "rfr_1", kPin, buf.data(), &len), DUET_OK);
  std::string answer = service.begin_refresh("rfr_1", buf.data());
  size_t confirm_len = 0;
  EXPECT_EQ(duet_client_complete_refresh(h.get(), answer.c_str(), kPin, nullptr, &confirm_len),
            DUET_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(confirm_len, static_cast<size_t>(DUET_MESSAGE_MAX));
  std::vector<char> confirm(confirm_len);
  EXPECT_EQ(duet_client_complete_refresh(h.get(), answer.c_str(), kPin, confirm.data(), &confirm_len), DUET_OK);
}

TEST(CAbi, BadInputGetsTheDocumentedCodes) {
  Client h = open_memory();
  FakeService service;
  const std::string holder = "hld_c4";
  std::vector<char> kbuf(DUET_MESSAGE_MAX);
  size_t klen = kbuf.size();
  ASSERT_EQ(duet_client_begin_enrollment(h.get(), holder.c_str(), kbuf.data(), &klen), DUET_OK);
  std::string response = service.keygen(holder, std::string(kbuf.data(), klen));

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
  FakeService other_service;
  klen = kbuf.size();
  ASSERT_EQ(duet_client_begin_enrollment(other.get(), holder.c_str(), kbuf.data(), &klen), DUET_OK);
  std::string response2 = other_service.keygen(holder, std::string(kbuf.data(), klen));
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), response2.c_str(), kPin), DUET_ERR_BAD_PROOF);
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), response.c_str(), "12"), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), response.c_str(), nullptr), DUET_ERR_INVALID_ARGUMENT);
  // The round survived all of that.
  ASSERT_EQ(duet_client_complete_enrollment(h.get(), response.c_str(), kPin), DUET_OK) << duet_client_last_error(h.get());

  // Signing: out of order, no digests, empty ids, bad answers.
  EXPECT_EQ(duet_client_complete_signing(h.get(), "{}"), DUET_ERR_BAD_STATE);
  crypto::Digest e = ok_value(crypto::sm2_digest(service.share.public_key, as_bytes("m")));
  std::vector<char> buf(DUET_SIGN_REQUEST_MAX(1));
  size_t len = buf.size();
  EXPECT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_1", e.data(), 0, kPin, buf.data(), &len),
            DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_1", e.data(), DUET_SIGN_MAX_ITEMS + 1, kPin, buf.data(),
                                      &len),
            DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_begin_signing(h.get(), "", "ses_1", e.data(), 1, kPin, buf.data(), &len),
            DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_1", nullptr, 1, kPin, buf.data(), &len),
            DUET_ERR_INVALID_ARGUMENT);
  len = buf.size();
  ASSERT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_1", e.data(), 1, kPin, buf.data(), &len), DUET_OK);
  EXPECT_EQ(duet_client_complete_signing(h.get(), "{"), DUET_ERR_BAD_ENCODING);
  EXPECT_EQ(duet_client_complete_signing(h.get(), R"({"items":[{"r":"00","s2":"00","s3":"00"}]})"),
            DUET_ERR_BAD_ENCODING);
  EXPECT_EQ(duet_client_complete_signing(h.get(), R"({"items":[]})"), DUET_ERR_BAD_ENCODING);  // count
  std::string n_hex(64, 'f');  // >= n
  std::string out_of_range = R"({"items":[{"r":")" + n_hex + R"(","s2":")" + n_hex + R"(","s3":")" + n_hex + R"("}]})";
  EXPECT_EQ(duet_client_complete_signing(h.get(), out_of_range.c_str()), DUET_ERR_BAD_SCALAR);
  // Unparseable answers leave the session usable.
  cosign::SignSessionContext ctx{"ord_1", "ses_1", {e}};
  ASSERT_EQ(duet_client_complete_signing(h.get(), service.start(ctx, std::string(buf.data(), len)).c_str()), DUET_OK)
      << duet_client_last_error(h.get());

  // A tampered answer: the device's own check refuses it, nothing released.
  len = buf.size();
  ASSERT_EQ(duet_client_begin_signing(h.get(), "ord_1", "ses_2", e.data(), 1, kPin, buf.data(), &len), DUET_OK);
  cosign::SignSessionContext ctx2{"ord_1", "ses_2", {e}};
  json answer = json::parse(service.start(ctx2, std::string(buf.data(), len)));
  std::string s3 = answer["items"][0]["s3"];
  answer["items"][0]["s3"] = (ok_value(crypto::Scalar::from_hex(s3)) + crypto::Scalar::one()).to_hex();
  EXPECT_EQ(duet_client_complete_signing(h.get(), answer.dump().c_str()), DUET_ERR_SIGNATURE_INVALID);
  size_t finish_len = 0;
  EXPECT_EQ(duet_client_sign_finish(h.get(), nullptr, &finish_len), DUET_ERR_BAD_STATE);

  // NULL handle and arguments.
  int enrolled = 0;
  EXPECT_EQ(duet_client_is_enrolled(nullptr, &enrolled), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_is_enrolled(h.get(), nullptr), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_complete_enrollment(h.get(), nullptr, kPin), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_complete_signing(h.get(), nullptr), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_set_kdf_iterations(h.get(), 10), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_STRNE(duet_client_last_error(nullptr), "");
  EXPECT_EQ(duet_client_new_file(nullptr), nullptr);
  EXPECT_EQ(duet_client_new_file(""), nullptr);
  duet_client_free(nullptr);
}

TEST(CAbi, FileStateSurvivesReopen) {
  TempDir dir;
  fs::path path = dir.path() / "holder.json";
  FakeService service;
  {
    Client h = open_file(path);
    enroll(h.get(), service, "hld_c5");
  }
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // The PIN is not in the file.
  std::string text = read_file(path);
  EXPECT_FALSE(contains_pin_in_clear(text, kPin)) << text;

  Client h = open_file(path);
  int enrolled = 0;
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 1);
  EXPECT_EQ(get_string(h.get(), duet_client_holder_id), "hld_c5");
  EXPECT_EQ(sign(h.get(), service, "after reopen", kPin).rc, DUET_OK);

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
  // A pending refresh record that is cut short.
  std::ofstream(path, std::ios::trunc) << R"({"v":2,"pending_refresh":"rfr_1","state":{"v":1)";
  EXPECT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_ERR_BAD_STATE);
  std::ofstream(path, std::ios::trunc) << R"({"v":2,"pending_refresh":"r f","state":{}})";
  EXPECT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_ERR_BAD_STATE);
  EXPECT_EQ(duet_client_forget(h.get()), DUET_OK);
  EXPECT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 0);
}

}  // namespace
}  // namespace duet::client
