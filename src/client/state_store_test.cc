// StateStore contract (file and memory), and what only the file store
// promises: mode 0600 whatever the umask, replacement by rename (never an
// in-place rewrite), no temporary files left behind.
#include "client/state_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace duet::client {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "duet_store_test.XXXXXX").string();
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

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string loaded(StateStore& store, Slot slot) {
  auto r = store.load(slot);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  if (!r.ok() || !r->has_value()) return "<none>";
  const SecretBytes& b = **r;
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

void check_contract(StateStore& store) {
  for (Slot slot : {Slot::kCurrent, Slot::kPending, Slot::kPendingInfo}) EXPECT_EQ(loaded(store, slot), "<none>");
  EXPECT_TRUE(store.erase(Slot::kCurrent).ok());  // erasing nothing is fine
  EXPECT_EQ(store.promote_pending().code(), ErrorCode::kBadState);

  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("one")).ok());
  EXPECT_EQ(loaded(store, Slot::kCurrent), "one");
  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("two, longer")).ok());
  EXPECT_EQ(loaded(store, Slot::kCurrent), "two, longer");
  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("3")).ok());
  EXPECT_EQ(loaded(store, Slot::kCurrent), "3");
  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("")).ok());
  EXPECT_EQ(loaded(store, Slot::kCurrent), "");

  ASSERT_TRUE(store.save(Slot::kPending, as_bytes("next")).ok());
  ASSERT_TRUE(store.save(Slot::kPendingInfo, as_bytes("info")).ok());
  EXPECT_EQ(loaded(store, Slot::kPending), "next");
  EXPECT_EQ(loaded(store, Slot::kPendingInfo), "info");
  ASSERT_TRUE(store.promote_pending().ok());
  EXPECT_EQ(loaded(store, Slot::kCurrent), "next");
  EXPECT_EQ(loaded(store, Slot::kPending), "<none>");
  EXPECT_EQ(loaded(store, Slot::kPendingInfo), "info");  // promote touches only the two state slots

  ASSERT_TRUE(store.erase(Slot::kCurrent).ok());
  ASSERT_TRUE(store.erase(Slot::kPendingInfo).ok());
  EXPECT_EQ(loaded(store, Slot::kCurrent), "<none>");
  EXPECT_EQ(loaded(store, Slot::kPendingInfo), "<none>");
}

TEST(MemoryStateStore, Contract) {
  MemoryStateStore store;
  check_contract(store);
}

TEST(FileStateStore, Contract) {
  TempDir dir;
  FileStateStore store((dir.path() / "state.json").string());
  check_contract(store);
  // Nothing but what the contract left: no temporaries.
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

fs::perms mode_of(const fs::path& p) { return fs::status(p).permissions() & fs::perms::all; }
constexpr fs::perms kOwnerRw = fs::perms::owner_read | fs::perms::owner_write;

TEST(FileStateStore, FilesAreOwnerOnlyWhateverTheUmask) {
  TempDir dir;
  fs::path path = dir.path() / "state.json";
  FileStateStore store(path.string());
  mode_t old_umask = ::umask(0);
  Status saved = store.save(Slot::kCurrent, as_bytes("secret"));
  Status pending = store.save(Slot::kPending, as_bytes("secret2"));
  ::umask(old_umask);
  ASSERT_TRUE(saved.ok());
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(mode_of(path), kOwnerRw);
  EXPECT_EQ(mode_of(store.slot_path(Slot::kPending)), kOwnerRw);

  // A pre-existing world-readable file is replaced by an owner-only one.
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("again")).ok());
  EXPECT_EQ(mode_of(path), kOwnerRw);
}

TEST(FileStateStore, ReplacesByRenameNeverInPlace) {
  TempDir dir;
  fs::path path = dir.path() / "state.json";
  fs::path keep = dir.path() / "old-link";
  FileStateStore store(path.string());
  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("old state")).ok());
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  // A second name for the old inode: an in-place rewrite would change it too.
  fs::create_hard_link(path, keep);

  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("new state")).ok());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(read_file(path), "new state");
  EXPECT_EQ(read_file(keep), "old state");  // the old file was never opened for writing

  // Promotion is a rename too.
  ASSERT_TRUE(store.save(Slot::kPending, as_bytes("pending state")).ok());
  struct stat pending {};
  ASSERT_EQ(::stat(store.slot_path(Slot::kPending).c_str(), &pending), 0);
  ASSERT_TRUE(store.promote_pending().ok());
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, pending.st_ino);
  EXPECT_EQ(read_file(path), "pending state");

  // Only the two names we made remain: no temporary files.
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_TRUE(entry.path() == path || entry.path() == keep) << entry.path();
  }
  EXPECT_EQ(entries, 2u);
}

TEST(FileStateStore, FailedSaveLeavesTheOldFile) {
  TempDir dir;
  fs::path path = dir.path() / "state.json";
  FileStateStore store(path.string());
  ASSERT_TRUE(store.save(Slot::kCurrent, as_bytes("old")).ok());
  // Too large: refused before anything is written.
  std::vector<uint8_t> huge(FileStateStore::kMaxBlobSize + 1, 'x');
  EXPECT_EQ(store.save(Slot::kCurrent, huge).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(read_file(path), "old");
  // The target is a directory: rename fails, the temporary is cleaned up.
  FileStateStore into_dir((dir.path() / "sub").string());
  fs::create_directory(dir.path() / "sub");
  fs::create_directory(dir.path() / "sub" / "x");  // non-empty: rename(2) cannot replace it
  EXPECT_FALSE(into_dir.save(Slot::kCurrent, as_bytes("y")).ok());
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 2u);  // state.json and sub
  EXPECT_EQ(into_dir.load(Slot::kCurrent).code(), ErrorCode::kBadState);  // not a regular file
}

TEST(FileStateStore, RefusesOversizedAndMissingDirectory) {
  TempDir dir;
  fs::path path = dir.path() / "state.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(FileStateStore::kMaxBlobSize + 1, 'x');
  }
  FileStateStore store(path.string());
  EXPECT_EQ(store.load(Slot::kCurrent).code(), ErrorCode::kBadState);

  FileStateStore nowhere((dir.path() / "missing" / "state.json").string());
  auto r = nowhere.load(Slot::kCurrent);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  Status s = nowhere.save(Slot::kCurrent, as_bytes("x"));
  EXPECT_EQ(s.code(), ErrorCode::kInternal);
  EXPECT_NE(s.error().message.find("state store"), std::string::npos);
}

}  // namespace
}  // namespace duet::client
