// Share refresh and PIN change through the C ABI, and what they leave on
// disk (issue 10 item 6e): while a refresh is open and after it, and after a
// PIN change, the device's files hold exactly one wrap of the share and no
// proof, no ρ, no old wrap.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/result_testing.h"
#include "client/client_test_util.h"
#include "cosign/test_util.h"

namespace duet::client {
namespace {

using ::duet::testing_support::ok_value;

using namespace testing;
using cosign::testing::contains_pin_in_clear;

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The wrapped share of a plain state file ("share" hex).
std::string share_hex_of(const fs::path& state_file) {
  json j = json::parse(read_file(state_file), nullptr, false);
  EXPECT_TRUE(j.is_object() && j.contains("share"));
  return j.value("share", "");
}

// Everything in the directory of the state: one file, one wrap, nothing else.
void expect_one_wrap_only(const fs::path& dir, const fs::path& state_file, const std::vector<std::string>& absent) {
  std::string all;
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path(), state_file) << "a second file next to the state: " << entry.path();
    all += read_file(entry.path());
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(count_of(all, "\"share\":"), 1u) << all;
  EXPECT_EQ(count_of(all, "\"proof\""), 0u) << all;
  EXPECT_EQ(count_of(all, "\"t\":"), 0u) << all;
  EXPECT_EQ(count_of(all, "\"z\":"), 0u) << all;
  EXPECT_EQ(count_of(all, "rho"), 0u) << all;
  for (const std::string& hex : absent) {
    ASSERT_FALSE(hex.empty());
    EXPECT_EQ(all.find(hex), std::string::npos) << "found " << hex << " in " << all;
  }
}

std::string begin_refresh(duet_client* h, const char* id, const char* pin, bool pin_change = false) {
  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  int rc = pin_change ? duet_client_begin_pin_change(h, id, pin, buf.data(), &len)
                      : duet_client_begin_refresh(h, id, pin, buf.data(), &len);
  EXPECT_EQ(rc, DUET_OK) << duet_client_last_error(h);
  return rc == DUET_OK ? std::string(buf.data(), len) : std::string();
}

// complete_refresh: the rc, and the confirm on success.
std::pair<int, std::string> complete_refresh(duet_client* h, const std::string& answer, const char* new_pin) {
  std::vector<char> confirm(DUET_MESSAGE_MAX);
  size_t len = confirm.size();
  int rc = duet_client_complete_refresh(h, answer.c_str(), new_pin, confirm.data(), &len);
  return {rc, rc == DUET_OK ? std::string(confirm.data(), len) : std::string()};
}

std::string confirm_again(duet_client* h, const char* pin) {
  std::vector<char> confirm(DUET_MESSAGE_MAX);
  size_t len = confirm.size();
  EXPECT_EQ(duet_client_confirm_pending_refresh(h, pin, confirm.data(), &len), DUET_OK) << duet_client_last_error(h);
  return std::string(confirm.data(), len);
}

int pending(duet_client* h) {
  int p = -1;
  EXPECT_EQ(duet_client_refresh_pending(h, &p), DUET_OK) << duet_client_last_error(h);
  return p;
}

// Each test: a device whose state is a file in a fresh directory, and the
// service it enrols with.
class CAbiRefresh : public ::testing::Test {
 protected:
  // The state file opened and `holder` enrolled in it.
  Client open_enrolled(const std::string& holder) {
    Client h = open_file(path);
    enroll(h.get(), service, holder);
    return h;
  }

  TempDir dir;
  fs::path path = dir.path() / "holder.json";
  FakeService service;
};

// A refresh interrupted between the service's answer and the confirm: the
// app restarts and finishes it from the pending record alone.
TEST_F(CAbiRefresh, InterruptedRefreshResumesFromTheNewWrapAndTheIdAlone) {
  Client h = open_enrolled("hld_r1");
  const std::string old_share = share_hex_of(path);
  const cosign::ServiceKeyShare old_service_share = service.share;

  std::string answer = service.begin_refresh("rfr_resume_1", begin_refresh(h.get(), "rfr_resume_1", kPin));
  // A forged answer is refused and nothing becomes pending.
  json forged = json::parse(answer);
  std::string z = forged["response"]["proof"]["z"];
  forged["response"]["proof"]["z"] = (ok_value(crypto::Scalar::from_hex(z)) + crypto::Scalar::one()).to_hex();
  EXPECT_EQ(complete_refresh(h.get(), forged.dump(), "246810").first, DUET_ERR_BAD_PROOF);
  EXPECT_EQ(pending(h.get()), 0);
  EXPECT_EQ(share_hex_of(path), old_share);

  auto [rc, confirm] = complete_refresh(h.get(), answer, "246810");
  ASSERT_EQ(rc, DUET_OK) << duet_client_last_error(h.get());
  EXPECT_EQ(pending(h.get()), 1);
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // On disk: the refresh id and the NEW wrap only — not the old wrap, not the
  // confirm (or any proof), not ρ, not a PIN.
  expect_one_wrap_only(dir.path(), path, {old_share, service.last_rho_hex});
  std::string record = read_file(path);
  EXPECT_NE(record.find("rfr_resume_1"), std::string::npos);
  EXPECT_FALSE(contains_pin_in_clear(record, "246810"));
  // Until acknowledged: no signing, no second refresh.
  EXPECT_EQ(sign(h.get(), service, "m", kPin).rc, DUET_ERR_BAD_STATE);
  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  EXPECT_EQ(duet_client_begin_refresh(h.get(), "rfr_2", kPin, buf.data(), &len), DUET_ERR_BAD_STATE);

  // The app restarts before the confirm reached the service.
  h.reset();
  h = open_file(path);
  ASSERT_EQ(pending(h.get()), 1);
  EXPECT_EQ(get_string(h.get(), duet_client_pending_refresh_id), "rfr_resume_1");
  // A confirm made under the wrong PIN is refused by the service, counted.
  std::string refused = service.confirm("rfr_resume_1", confirm_again(h.get(), kPin));
  EXPECT_EQ(duet_client_service_error(h.get(), refused.c_str()), DUET_ERR_PIN_INVALID);
  EXPECT_EQ(duet_client_attempts_left(h.get()), 4);
  EXPECT_EQ(pending(h.get()), 1);
  // Under the PIN of the new wrap it is accepted.
  EXPECT_EQ(service.confirm("rfr_resume_1", confirm_again(h.get(), "246810")), "");
  ASSERT_EQ(duet_client_acknowledge_refresh(h.get()), DUET_OK) << duet_client_last_error(h.get());
  EXPECT_EQ(pending(h.get()), 0);
  EXPECT_EQ(duet_client_acknowledge_refresh(h.get()), DUET_ERR_BAD_STATE);
  expect_one_wrap_only(dir.path(), path, {old_share, service.last_rho_hex});
  EXPECT_EQ(read_file(path).find("rfr_resume_1"), std::string::npos);

  // Same public key; the new pair signs under the new PIN; the old PIN is
  // refused by the service.
  EXPECT_TRUE(service.share.public_key == old_service_share.public_key);
  EXPECT_EQ(sign(h.get(), service, "after refresh", "246810").rc, DUET_OK);
  EXPECT_EQ(sign(h.get(), service, "after refresh", kPin, "ses_2").rc, DUET_ERR_PIN_INVALID);
  h.reset();
  h = open_file(path);
  EXPECT_EQ(sign(h.get(), service, "after a second restart", "246810", "ses_3").rc, DUET_OK);
  // The first confirm (never sent) still verifies for nobody: its refresh is closed.
  EXPECT_NE(service.confirm("rfr_resume_1", confirm), "");
}

// A PIN change is a refresh with the new PIN: the old PIN checked by the
// service (counted), the state on disk then the new wrap only.
TEST_F(CAbiRefresh, PinChangeIsARefresh) {
  Client h = open_enrolled("hld_r2");
  const std::string old_share = share_hex_of(path);

  // A wrong old PIN: the service refuses the request, counted; nothing changes.
  std::string refused = service.begin_refresh("rfr_pin_1", begin_refresh(h.get(), "rfr_pin_1", "000000", true));
  EXPECT_EQ(complete_refresh(h.get(), refused, "987654").first, DUET_ERR_PIN_INVALID);
  EXPECT_EQ(duet_client_attempts_left(h.get()), 4);
  EXPECT_EQ(pending(h.get()), 0);
  EXPECT_EQ(share_hex_of(path), old_share);
  EXPECT_EQ(sign(h.get(), service, "m", kPin).rc, DUET_OK);

  std::string answer = service.begin_refresh("rfr_pin_2", begin_refresh(h.get(), "rfr_pin_2", kPin, true));
  EXPECT_EQ(complete_refresh(h.get(), answer, "1").first, DUET_ERR_INVALID_ARGUMENT);  // the new PIN's shape
  auto [rc, confirm] = complete_refresh(h.get(), answer, "987654");
  ASSERT_EQ(rc, DUET_OK) << duet_client_last_error(h.get());
  expect_one_wrap_only(dir.path(), path, {old_share, service.last_rho_hex});
  EXPECT_EQ(service.confirm("rfr_pin_2", confirm), "");
  ASSERT_EQ(duet_client_acknowledge_refresh(h.get()), DUET_OK);
  expect_one_wrap_only(dir.path(), path, {old_share, service.last_rho_hex});

  EXPECT_EQ(sign(h.get(), service, "m", kPin, "ses_2").rc, DUET_ERR_PIN_INVALID);
  EXPECT_EQ(sign(h.get(), service, "m", "987654", "ses_3").rc, DUET_OK);
  h.reset();
  h = open_file(path);
  EXPECT_EQ(sign(h.get(), service, "m", "987654", "ses_4").rc, DUET_OK);
}

TEST_F(CAbiRefresh, AbandonRestoresTheOldStateOnlyWithinTheSameHandle) {
  Client h = open_enrolled("hld_r3");
  const std::string old_share = share_hex_of(path);

  std::string answer = service.begin_refresh("rfr_ab_1", begin_refresh(h.get(), "rfr_ab_1", kPin));
  ASSERT_EQ(complete_refresh(h.get(), answer, "246810").first, DUET_OK);
  std::string new_share_record = read_file(path);
  // The service refused for good (say the refresh expired): back to the old state.
  service.pending.reset();
  ASSERT_EQ(duet_client_abandon_refresh(h.get()), DUET_OK) << duet_client_last_error(h.get());
  EXPECT_EQ(pending(h.get()), 0);
  EXPECT_EQ(share_hex_of(path), old_share);
  expect_one_wrap_only(dir.path(), path, {service.last_rho_hex});
  EXPECT_EQ(sign(h.get(), service, "still the old pair", kPin).rc, DUET_OK);

  // After a restart the old state is gone: abandon refuses, the record stays.
  answer = service.begin_refresh("rfr_ab_2", begin_refresh(h.get(), "rfr_ab_2", kPin));
  ASSERT_EQ(complete_refresh(h.get(), answer, "246810").first, DUET_OK);
  h.reset();
  h = open_file(path);
  EXPECT_EQ(duet_client_abandon_refresh(h.get()), DUET_ERR_BAD_STATE);
  EXPECT_EQ(pending(h.get()), 1);
  EXPECT_EQ(service.confirm("rfr_ab_2", confirm_again(h.get(), "246810")), "");
  ASSERT_EQ(duet_client_acknowledge_refresh(h.get()), DUET_OK);
  EXPECT_EQ(sign(h.get(), service, "new pair", "246810", "ses_2").rc, DUET_OK);

  // A refresh that was only begun: abandon (or cancel) drops the round.
  begin_refresh(h.get(), "rfr_ab_3", "246810");
  EXPECT_EQ(duet_client_abandon_refresh(h.get()), DUET_OK);
  EXPECT_EQ(complete_refresh(h.get(), answer, "246810").first, DUET_ERR_BAD_STATE);
  // An answer to another refresh is refused.
  answer = service.begin_refresh("rfr_ab_4", begin_refresh(h.get(), "rfr_ab_4", "246810"));
  json other = json::parse(answer);
  other["refresh_id"] = "rfr_ab_5";
  EXPECT_EQ(complete_refresh(h.get(), other.dump(), "246810").first, DUET_ERR_BAD_ENCODING);
  EXPECT_EQ(duet_client_cancel(h.get()), DUET_OK);
  EXPECT_EQ(complete_refresh(h.get(), answer, "246810").first, DUET_ERR_BAD_STATE);
  // Refresh ids the record can hold: [A-Za-z0-9_-], 1..64.
  std::vector<char> buf(DUET_MESSAGE_MAX);
  size_t len = buf.size();
  EXPECT_EQ(duet_client_begin_refresh(h.get(), "bad id", "246810", buf.data(), &len), DUET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(duet_client_begin_refresh(h.get(), std::string(65, 'a').c_str(), "246810", buf.data(), &len),
            DUET_ERR_INVALID_ARGUMENT);
}

// Files an SDK before protocol v2 left during a refresh (a second wrap, a
// confirm proof) are wiped and removed on load; the state stays in force.
TEST_F(CAbiRefresh, LegacyPendingFilesAreWipedOnLoad) {
  open_enrolled("hld_r4");  // and closed again
  const fs::path legacy_state = path.string() + ".pending";
  const fs::path legacy_info = path.string() + ".pending-info";
  std::ofstream(legacy_state) << read_file(path);
  std::ofstream(legacy_info) << R"({"v":1,"refresh_id":"rfr_old","confirm":{"proof":{"t":"04","z":"01"}}})";
  // A second name for the legacy info: the wipe reaches it too.
  const fs::path link = dir.path() / "backup-link";
  fs::create_hard_link(legacy_info, link);

  Client h = open_file(path);
  int enrolled = 0;
  ASSERT_EQ(duet_client_is_enrolled(h.get(), &enrolled), DUET_OK);
  EXPECT_EQ(enrolled, 1);
  EXPECT_FALSE(fs::exists(legacy_state));
  EXPECT_FALSE(fs::exists(legacy_info));
  std::string linked = read_file(link);
  EXPECT_EQ(linked, std::string(linked.size(), '\0'));
  fs::remove(link);
  EXPECT_EQ(pending(h.get()), 0);
  EXPECT_EQ(sign(h.get(), service, "m", kPin).rc, DUET_OK);
  expect_one_wrap_only(dir.path(), path, {});
}

}  // namespace
}  // namespace duet::client
