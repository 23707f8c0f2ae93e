// The witness file (server/audit_witness_file.h): append-only JSON lines,
// mode 0600, the key line once, a torn last line tolerated and ended, any
// other bad line refused.
#include "server/audit_witness_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/audit_witness.h"

namespace duet::server {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

store::AuditCheckpoint checkpoint(int64_t seq, uint8_t fill) {
  return {seq, Bytes(32, fill), 1'700'000'000 + seq, "audk_w", Bytes{0x30, fill}, Bytes(32, 0)};
}
const store::AuditKey kKey{"audk_w", Bytes{0x30, 0x01}, {}, 1'700'000'000};

class AuditWitnessFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("duet-witness-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
  std::string path() const { return (dir / "w" / "audit-witness.jsonl").string(); }
};

TEST_F(AuditWitnessFileTest, AppendsKeyOnceThenCheckpointsAndReopens) {
  {
    auto w = AuditWitnessFile::open(path());
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    EXPECT_FALSE((*w)->last());
    ASSERT_TRUE((*w)->append(checkpoint(3, 1), kKey).ok());
    ASSERT_TRUE((*w)->append(checkpoint(7, 2), kKey).ok());
    EXPECT_EQ((*w)->last()->seq, 7);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "w").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::string text = read_text(path());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);  // key, checkpoint, checkpoint
  EXPECT_NE(text.substr(0, text.find('\n')).find("\"type\":\"key\""), std::string::npos) << text;

  auto again = AuditWitnessFile::open(path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->last()->seq, 7);
  ASSERT_TRUE((*again)->append(checkpoint(9, 3), kKey).ok());  // the key is not repeated
  auto read = (*again)->read();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->keys.size(), 1u);
  ASSERT_EQ(read->checkpoints.size(), 3u);
  EXPECT_EQ(read->checkpoints[2].signature, (Bytes{0x30, 3}));
  EXPECT_EQ(read->checkpoints[2].prev_hash, Bytes(32, 0));
}

// The default witness sits beside the data directory: its parent (here a
// stand-in for /tmp or /var/lib) must keep its mode — the first version
// narrowed it to 0700, and /tmp with it.
TEST_F(AuditWitnessFileTest, AnExistingDirectoryKeepsItsMode) {
  std::filesystem::create_directories(dir / "w");
  ASSERT_EQ(::chmod((dir / "w").c_str(), 01777), 0);
  auto w = AuditWitnessFile::open(path());
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "w").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
}

TEST_F(AuditWitnessFileTest, ATornLastLineIsIgnoredAndEndedBeforeTheNext) {
  {
    auto w = AuditWitnessFile::open(path());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->append(checkpoint(3, 1), kKey).ok());
  }
  std::ofstream(path(), std::ios::app) << "{\"type\":\"checkpoint\",\"seq\":5,\"ha";  // a crash mid-write
  auto w = AuditWitnessFile::open(path());
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  EXPECT_EQ((*w)->last()->seq, 3);
  ASSERT_TRUE((*w)->append(checkpoint(5, 2), kKey).ok());
  auto read = read_audit_witness_file(path());
  ASSERT_TRUE(read.ok()) << read.error().to_string();  // the cut line, ended, is skipped
  ASSERT_EQ(read->checkpoints.size(), 2u);
  EXPECT_EQ(read->checkpoints[1].seq, 5);
}

TEST_F(AuditWitnessFileTest, AnotherBadLineIsRefused) {
  std::filesystem::create_directories(dir / "w");
  std::ofstream(path()) << "{\"type\":\"checkpoint\",\"seq\":\"three\"}\n";  // whole, but not a checkpoint
  auto w = AuditWitnessFile::open(path());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(read_audit_witness_file((dir / "none").string()).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace duet::server
