// `duet api`'s profile files and how they merge with the command line
// (cli/api_profile.h).
#include "cli/api_profile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/temp_dir_testing.h"

namespace duet::cli {
namespace {

namespace fs = std::filesystem;

class ApiProfileTest : public ::testing::Test {
 protected:
  std::string file(const std::string& name, const std::string& content) { return dir_.write(name, content); }
  // The CliError's message of `f`, or "" when it did not fail.
  template <typename F>
  static std::string failure_of(F f) {
    try {
      f();
    } catch (const CliError& e) {
      return e.what();
    }
    return "";
  }
  testing_support::TempDir dir_{"duet-api-profile"};
};

TEST_F(ApiProfileTest, TomlAndJsonProfilesGiveTheSameFields) {
  std::string toml = file("p.toml",
                          "server = \"https://duet.example:8443\"\napp_id = \"app_sbx_1\"\nsecret = \"s1\"\n"
                          "ca = \"/etc/duet/ca.pem\"\ninsecure = true\n");
  std::string json = file("p.json",
                          R"({"server": "https://duet.example:8443", "app_id": "app_sbx_1", "secret": "s1",
                              "ca": "/etc/duet/ca.pem", "insecure": true})");
  for (const std::string& p : {toml, json}) {
    SCOPED_TRACE(p);
    ApiProfile got = load_api_profile(p);
    EXPECT_EQ(got.server, "https://duet.example:8443");
    EXPECT_EQ(got.app_id, "app_sbx_1");
    EXPECT_EQ(got.secret, "s1");
    EXPECT_EQ(got.ca, "/etc/duet/ca.pem");
    EXPECT_TRUE(got.insecure);
    EXPECT_TRUE(got.secret_file.empty());
  }
  // Absent fields stay empty; a JSON value of the wrong type is ignored.
  ApiProfile sparse = load_api_profile(file("s.json", R"({"server": 5, "app_id": "a"})"));
  EXPECT_TRUE(sparse.server.empty());
  EXPECT_EQ(sparse.app_id, "a");
  EXPECT_FALSE(sparse.insecure);
}

TEST_F(ApiProfileTest, TheCommandLineWinsFieldByField) {
  std::string secret = file("secret", "  from-file-secret \n");
  std::string profile = file("p.toml",
                             "server = \"https://profile:1\"\napp_id = \"app_profile\"\nsecret = \"profile-secret\"\n"
                             "ca = \"profile-ca.pem\"\n");
  ServerOptions cmd;
  cmd.server = "https://cmdline:2";
  ApiTarget t = resolve_api_target(cmd, "", secret, profile);
  EXPECT_EQ(t.server.server, "https://cmdline:2");
  EXPECT_EQ(t.server.ca_file, "profile-ca.pem");
  EXPECT_FALSE(t.server.insecure);
  EXPECT_EQ(t.credential.app_id, "app_profile");
  EXPECT_EQ(t.credential.secret, "from-file-secret");  // --secret-file beats the profile's secret, trimmed

  ApiTarget only_profile = resolve_api_target({}, "app_cmd", "", profile);
  EXPECT_EQ(only_profile.server.server, "https://profile:1");
  EXPECT_EQ(only_profile.credential.app_id, "app_cmd");
  EXPECT_EQ(only_profile.credential.secret, "profile-secret");
}

TEST_F(ApiProfileTest, AProfilesSecretFileBeatsItsInlineSecret) {
  std::string secret = file("secret", "file-secret\n");
  std::string profile = file("p.json", R"({"server": "https://p", "app_id": "a", "secret": "inline",
                                           "secret_file": ")" + secret + R"("})");
  EXPECT_EQ(resolve_api_target({}, "", "", profile).credential.secret, "file-secret");
}

TEST_F(ApiProfileTest, MissingPiecesAndBadFilesFailClearlyWithoutTheSecret) {
  const std::string secret = "sk-never-printed-42";
  EXPECT_EQ(failure_of([&] { resolve_api_target({}, "a", file("s", secret), ""); }),
            "no server given (--server or a profile)");
  ServerOptions cmd;
  cmd.server = "https://x";
  EXPECT_EQ(failure_of([&] { resolve_api_target(cmd, "", file("s2", secret), ""); }),
            "no app id given (--app-id or a profile)");
  EXPECT_EQ(failure_of([&] { resolve_api_target(cmd, "a", "", ""); }),
            "no app secret given (--secret-file or a profile)");
  std::string empty = file("empty", "\n");
  EXPECT_EQ(failure_of([&] { resolve_api_target(cmd, "a", empty, ""); }), empty + " is empty");

  std::string truncated = file("truncated.json", "{\"secret\": \"" + secret + "\", ");
  std::string e1 = failure_of([&] { load_api_profile(truncated); });
  EXPECT_EQ(e1, "profile " + truncated + ": not a JSON object");
  std::string bad_toml = file("bad.toml", "secret = \"" + secret + "\n");
  std::string e2 = failure_of([&] { load_api_profile(bad_toml); });
  EXPECT_EQ(e2.rfind("profile " + bad_toml + ": ", 0), 0u) << e2;
  EXPECT_EQ(e2.find(secret), std::string::npos) << e2;
  std::string e3 = failure_of([&] { load_api_profile(dir_.file("absent.toml")); });
  EXPECT_NE(e3.find("cannot read"), std::string::npos) << e3;
}

}  // namespace
}  // namespace duet::cli
