#include "base/secret_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "base/temp_dir_testing.h"

namespace duet {
namespace {

namespace fs = std::filesystem;

class SecretFileTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }
  static std::string content_of(const std::string& p) { return testing_support::read_file(p); }
  static mode_t mode_of(const std::string& p) {
    struct stat st{};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  // Nothing but the names the test made: no temporary file left behind.
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_.path()), fs::directory_iterator()));
  }

  testing_support::TempDir dir_{"duet-secret-file"};
};

TEST_F(SecretFileTest, WritesContentWithMode0600WhateverTheUmask) {
  mode_t old = ::umask(0);
  Status st = write_secret_file(path("k"), as_bytes("secret\n"));
  ::umask(old);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(content_of(path("k")), "secret\n");
  EXPECT_EQ(mode_of(path("k")), 0600u);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(SecretFileTest, ReplaceOverwritesAndTightensTheMode) {
  { std::ofstream(path("k")) << "old content that is longer"; }
  ::chmod(path("k").c_str(), 0644);
  ASSERT_TRUE(write_secret_file(path("k"), as_bytes("new")).ok());
  EXPECT_EQ(content_of(path("k")), "new");
  EXPECT_EQ(mode_of(path("k")), 0600u);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(SecretFileTest, NoClobberRefusesAnExistingFileAndKeepsIt) {
  SecretFileOptions once{SecretFilePlacement::kNoClobber};
  ASSERT_TRUE(write_secret_file(path("k"), as_bytes("first"), once).ok());
  Status again = write_secret_file(path("k"), as_bytes("second"), once);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  EXPECT_EQ(content_of(path("k")), "first");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(SecretFileTest, RefusesASymlinkAndLeavesItsTargetAlone) {
  { std::ofstream(path("target")) << "target"; }
  ASSERT_EQ(::symlink(path("target").c_str(), path("link").c_str()), 0);
  for (auto placement : {SecretFilePlacement::kReplace, SecretFilePlacement::kNoClobber}) {
    Status st = write_secret_file(path("link"), as_bytes("secret"), {placement});
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(content_of(path("target")), "target");
    EXPECT_TRUE(fs::is_symlink(path("link")));
  }
  // A dangling link is refused too (O_CREAT would otherwise create its target).
  ASSERT_EQ(::symlink(path("nowhere").c_str(), path("dangling").c_str()), 0);
  EXPECT_FALSE(write_secret_file(path("dangling"), as_bytes("secret")).ok());
  EXPECT_FALSE(fs::exists(path("nowhere")));
  EXPECT_EQ(entries(), 3u);
}

TEST_F(SecretFileTest, PublicModeIsHonoured) {
  ASSERT_TRUE(write_secret_file(path("cert.pem"), as_bytes("cert"), {SecretFilePlacement::kReplace, 0644}).ok());
  EXPECT_EQ(mode_of(path("cert.pem")), 0644u);
}

TEST_F(SecretFileTest, WipesTheCallersBufferWhateverTheOutcome) {
  std::string text = "token-123";
  ASSERT_TRUE(write_secret_file_and_wipe(path("t"), text).ok());
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(content_of(path("t")), "token-123");

  Bytes raw = {1, 2, 3};
  Status st = write_secret_file_and_wipe(path("missing-dir/t"), raw);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(raw, (Bytes{0, 0, 0}));
}

TEST_F(SecretFileTest, ErrorsNeverCarryTheContent) {
  Status st = write_secret_file(path("missing-dir/t"), as_bytes("do-not-print-me"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.find("do-not-print-me"), std::string::npos);
}

TEST_F(SecretFileTest, ReaderChecksModeTypeAndSize) {
  EXPECT_EQ(read_secret_file(path("absent"), 64).code(), ErrorCode::kNotFound);

  ASSERT_TRUE(write_secret_file(path("k"), as_bytes("0123456789")).ok());
  auto ok = read_secret_file(path("k"), 10);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(std::string(ok->view().begin(), ok->view().end()), "0123456789");

  EXPECT_EQ(read_secret_file(path("k"), 9).code(), ErrorCode::kUnavailable);  // too large
  ::chmod(path("k").c_str(), 0640);
  EXPECT_EQ(read_secret_file(path("k"), 10).code(), ErrorCode::kUnavailable);  // group may read
  EXPECT_EQ(read_secret_file(dir_.path().string(), 10).code(), ErrorCode::kUnavailable);  // not a regular file
}

}  // namespace
}  // namespace duet
