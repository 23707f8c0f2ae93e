#include "server/token_bootstrap.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace duet::server {
namespace {

namespace fs = std::filesystem;

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("duet-token-file-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  static std::string content_of(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir_;
};

TEST_F(TokenFileTest, FirstStartWritesTheMintedTokenAndANewlineMode0600) {
  int minted = 0;
  auto token = read_or_create_token_file(path("admin.token"), [&] {
    ++minted;
    return std::string("adm_first");
  });
  ASSERT_TRUE(token.ok()) << token.error().to_string();
  EXPECT_EQ(*token, "adm_first");
  EXPECT_EQ(minted, 1);
  EXPECT_EQ(content_of(path("admin.token")), "adm_first\n");
  struct stat st{};
  ASSERT_EQ(::stat(path("admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(TokenFileTest, LaterStartsReadTheFileAndMintNothing) {
  { std::ofstream(path("auditor.token")) << "adm_kept\r\n"; }
  auto token = read_or_create_token_file(path("auditor.token"), []() -> std::string {
    ADD_FAILURE() << "minted although the file exists";
    return "adm_new";
  });
  ASSERT_TRUE(token.ok()) << token.error().to_string();
  EXPECT_EQ(*token, "adm_kept");
  EXPECT_EQ(content_of(path("auditor.token")), "adm_kept\r\n");
}

TEST_F(TokenFileTest, AnEmptyOrUnwritableFileIsUnavailable) {
  { std::ofstream(path("empty.token")); }
  EXPECT_EQ(read_or_create_token_file(path("empty.token"), [] { return std::string("adm_x"); }).code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(read_or_create_token_file(path("no-dir/admin.token"), [] { return std::string("adm_x"); }).code(),
            ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace duet::server
