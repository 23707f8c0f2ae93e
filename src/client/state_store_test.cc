// StateStore contract (file and memory), and what only the file store
// promises: mode 0600 whatever the umask, replacement by rename (never an
// in-place rewrite of the state in force), the previous content overwritten
// once the new one is committed, no temporary files left behind.
#include "client/state_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/temp_dir_testing.h"

namespace duet::client {
namespace {

namespace fs = std::filesystem;

using ::duet::testing_support::read_file;
using ::duet::testing_support::TempDir;

std::string loaded(StateStore& store) {
  auto r = store.load();
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  if (!r.ok() || !r->has_value()) return "<none>";
  const SecretBytes& b = **r;
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

void check_contract(StateStore& store) {
  EXPECT_EQ(loaded(store), "<none>");
  EXPECT_TRUE(store.erase().ok());  // erasing nothing is fine

  ASSERT_TRUE(store.save(as_bytes("one")).ok());
  EXPECT_EQ(loaded(store), "one");
  ASSERT_TRUE(store.save(as_bytes("two, longer")).ok());
  EXPECT_EQ(loaded(store), "two, longer");
  ASSERT_TRUE(store.save(as_bytes("3")).ok());
  EXPECT_EQ(loaded(store), "3");
  ASSERT_TRUE(store.save(as_bytes("")).ok());
  EXPECT_EQ(loaded(store), "");

  ASSERT_TRUE(store.erase().ok());
  EXPECT_EQ(loaded(store), "<none>");
  EXPECT_TRUE(store.erase().ok());
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
  Status saved = store.save(as_bytes("secret"));
  ::umask(old_umask);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(mode_of(path), kOwnerRw);

  // A pre-existing world-readable file is replaced by an owner-only one.
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(store.save(as_bytes("again")).ok());
  EXPECT_EQ(mode_of(path), kOwnerRw);
}

TEST(FileStateStore, ReplacesByRenameThenWipesTheOldFile) {
  TempDir dir;
  fs::path path = dir.path() / "state.json";
  fs::path keep = dir.path() / "old-link";
  FileStateStore store(path.string());
  ASSERT_TRUE(store.save(as_bytes("old state")).ok());
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  // A second name for the old inode (say a backup made by hard link).
  fs::create_hard_link(path, keep);

  ASSERT_TRUE(store.save(as_bytes("new state")).ok());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  // A new inode took the name (the commit is a rename, never an in-place
  // rewrite of the state in force) ...
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(read_file(path), "new state");
  // ... and then the old inode was overwritten: no copy of the old blob
  // remains, under any name.
  EXPECT_EQ(read_file(keep), std::string(9, '\0'));

  // erase() overwrites too, then unlinks.
  fs::remove(keep);
  fs::create_hard_link(path, keep);
  ASSERT_TRUE(store.erase().ok());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(read_file(keep), std::string(9, '\0'));

  // Only the name we made remains: no temporary files.
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(entry.path(), keep);
  }
  EXPECT_EQ(entries, 1u);
}

TEST(FileStateStore, FailedSaveLeavesTheOldFile) {
  TempDir dir;
  fs::path path = dir.path() / "state.json";
  FileStateStore store(path.string());
  ASSERT_TRUE(store.save(as_bytes("old")).ok());
  // Too large: refused before anything is written.
  std::vector<uint8_t> huge(FileStateStore::kMaxBlobSize + 1, 'x');
  EXPECT_EQ(store.save(huge).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(read_file(path), "old");
  // The target is a directory: rename fails, the temporary is cleaned up.
  FileStateStore into_dir((dir.path() / "sub").string());
  fs::create_directory(dir.path() / "sub");
  fs::create_directory(dir.path() / "sub" / "x");  // non-empty: rename(2) cannot replace it
  EXPECT_FALSE(into_dir.save(as_bytes("y")).ok());
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 2u);  // state.json and sub
  EXPECT_EQ(into_dir.load().code(), ErrorCode::kBadState);  // not a regular file
}

TEST(FileStateStore, RefusesOversizedAndMissingDirectory) {
  TempDir dir;
  fs::path path = dir.path() / "state.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(FileStateStore::kMaxBlobSize + 1, 'x');
  }
  FileStateStore store(path.string());
  EXPECT_EQ(store.load().code(), ErrorCode::kBadState);

  FileStateStore nowhere((dir.path() / "missing" / "state.json").string());
  auto r = nowhere.load();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  Status s = nowhere.save(as_bytes("x"));
  EXPECT_EQ(s.code(), ErrorCode::kInternal);
  EXPECT_NE(s.error().message.find("state store"), std::string::npos);
}

}  // namespace
}  // namespace duet::client
