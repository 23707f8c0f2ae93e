#include "keys/data_protector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace duet::keys {
namespace {

std::string temp_path(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("duet-keys-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

TEST(LocalKeyFile, SealOpenBoundToContext) {
  std::string path = temp_path("k1");
  auto dp = open_local_key_file(path, true);
  ASSERT_TRUE(dp.ok()) << dp.error().to_string();
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto sealed = (*dp)->seal("app_secret:app_1", as_bytes("s3cret"));
  ASSERT_TRUE(sealed.ok()) << sealed.error().to_string();
  auto opened = (*dp)->open("app_secret:app_1", *sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_EQ(std::string(opened->view().begin(), opened->view().end()), "s3cret");
  EXPECT_EQ((*dp)->open("app_secret:app_2", *sealed).code(), ErrorCode::kBadEncoding);
  Bytes tampered = *sealed;
  tampered.back() ^= 1;
  EXPECT_EQ((*dp)->open("app_secret:app_1", tampered).code(), ErrorCode::kBadEncoding);
  // Reopening the same file gives the same keys.
  auto again = open_local_key_file(path, false);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE((*again)->open("app_secret:app_1", *sealed).ok());
  EXPECT_EQ((*again)->keyed_hash("p", as_bytes("v")), (*dp)->keyed_hash("p", as_bytes("v")));
  EXPECT_NE((*dp)->keyed_hash("p", as_bytes("v")), (*dp)->keyed_hash("q", as_bytes("v")));
}

TEST(LocalKeyFile, RefusesLooseFilesAndMissingOnes) {
  std::string path = temp_path("k2");
  EXPECT_EQ(open_local_key_file(path, false).code(), ErrorCode::kUnavailable);
  ASSERT_TRUE(open_local_key_file(path, true).ok());
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(open_local_key_file(path, false).code(), ErrorCode::kUnavailable);
  // Another key file cannot open the first one's ciphertexts.
  ::chmod(path.c_str(), 0600);
  auto a = open_local_key_file(path, false);
  auto b = open_local_key_file(temp_path("k3"), true);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  auto sealed = (*a)->seal("c", as_bytes("x"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ((*b)->open("c", *sealed).code(), ErrorCode::kBadEncoding);
}

}  // namespace
}  // namespace duet::keys
