// Starts the real duetd binary with --dev on port 0: /healthz over HTTPS with
// the generated certificate as CA, file modes, and a clean exit on SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "httpclient/http_client.h"
#include "server/test_support.h"

extern char** environ;

namespace duet::server {
namespace {

using namespace std::chrono_literals;

TEST(Duetd, DevModeServesHttpsAndStopsOnSigterm) {
  auto root = testing::temp_dir("bin");
  std::filesystem::create_directories(root);
  auto data = root / "data";  // duetd creates it
  std::string binary = std::string(DUET_BINARY_DIR) + "/bin/duetd";
  ASSERT_TRUE(std::filesystem::exists(binary)) << binary;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (root / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, (root / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args = {binary, "--dev", "--data-dir", data.string(), "--listen", "127.0.0.1:0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);

  auto port_file = data / "duetd.port";
  std::string port;
  for (int i = 0; i < 300 && port.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    if (std::filesystem::exists(port_file)) port = testing::trim(testing::read_text(port_file));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      FAIL() << "duetd exited early: " << testing::read_text(root / "stderr");
    }
  }
  ASSERT_FALSE(port.empty()) << testing::read_text(root / "stderr");

  httpclient::HttpRequest req;
  req.url = "https://127.0.0.1:" + port + "/healthz";
  req.ca_file = (data / "tls" / "dev-cert.pem").string();
  auto r = httpclient::perform(req);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  req.url = "https://127.0.0.1:" + port + "/readyz";
  r = httpclient::perform(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  // Without the CA the certificate is refused.
  req.ca_file.reset();
  r = httpclient::perform(req);
  EXPECT_FALSE(r.ok());

  EXPECT_EQ(testing::read_text(root / "stdout"), "duetd listening on https://127.0.0.1:" + port + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((data / "admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((data / "duet.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
  EXPECT_TRUE(std::filesystem::exists(data / "kek.key"));

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  pid_t w = 0;
  for (int i = 0; i < 300; ++i) {
    w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    std::this_thread::sleep_for(50ms);
  }
  if (w != pid) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "duetd did not stop on SIGTERM";
  }
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(std::filesystem::exists(port_file));
  // Logs are JSON lines and never carry the admin token.
  std::string log = testing::read_text(root / "stderr");
  std::string token = testing::trim(testing::read_text(data / "admin.token"));
  EXPECT_EQ(log.find(token), std::string::npos);
  EXPECT_NE(log.find("\"event\":\"stopped\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"route\":\"/healthz\""), std::string::npos) << log;  // the access log
  std::filesystem::remove_all(root);
}

TEST(Duetd, BadConfigExitsNonZero) {
  auto root = testing::temp_dir("badcfg");
  std::filesystem::create_directories(root);
  {
    std::ofstream(root / "duet.toml") << "[service]\nno_such_key = 1\n";
  }
  std::string cmd = std::string(DUET_BINARY_DIR) + "/bin/duetd --config " + (root / "duet.toml").string() +
                    " --data-dir " + (root / "d").string() + " 2>/dev/null >/dev/null";
  int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace duet::server
