// Where the holder's device keeps its state between sessions.
//
// A store holds ONE opaque byte blob: the device record HolderClient writes
// (a serialized cosign::DeviceState, or while a share refresh awaits its
// confirm, that refresh's id with the NEW state; holder_client.h). One slot
// on purpose: the device never keeps two wraps of its share (the old and the
// new state of a refresh, or the same share under two PINs) side by side,
// which would allow an offline PIN test (docs/protocol.md). The blob holds the
// PIN-wrapped share: not usable without the PIN and the service, but still
// secret. Stores never log it.
//
// save() replaces the blob as a whole (a reader sees the old or the new blob,
// never a mixture) and leaves no copy of the previous blob behind where the
// medium allows it; erase() likewise.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::client {

class StateStore {
 public:
  virtual ~StateStore() = default;

  // The blob, or nullopt when it was never saved (or was erased).
  virtual Result<std::optional<SecretBytes>> load() = 0;
  // Replaces the blob atomically and durably; the previous blob is wiped.
  virtual Status save(ByteView blob) = 0;
  // Removes (and wipes) the blob; erasing an empty store is not an error.
  virtual Status erase() = 0;
};

// Keeps the blob in memory (tests, or apps that persist elsewhere). The
// previous blob is wiped on save and erase (SecretBytes).
class MemoryStateStore final : public StateStore {
 public:
  Result<std::optional<SecretBytes>> load() override;
  Status save(ByteView blob) override;
  Status erase() override;

 private:
  std::optional<SecretBytes> blob_;
};

// Keeps the blob in the file at `path`.
//
// save(): writes a new temporary file in the same directory (mode 0600,
// O_EXCL), fsyncs it, renames it over `path` and fsyncs the directory (the
// rename is the commit: a crash leaves the old or the new file, whole); then
// overwrites the previous file's content with zeros through a descriptor
// opened before the rename, and fsyncs it. erase(): overwrite, fsync, unlink,
// fsync the directory. The overwrite is best effort: it reaches every other
// hard link of the old file, but flash translation layers and copy-on-write
// filesystems may keep old blocks (docs/protocol.md §6); its failure does
// not undo a committed save.
//
// Files an SDK before protocol v2 left next to the state — `path`.pending (a
// second wrap of the share) and `path`.pending-info (a refresh confirm proof)
// — are wiped and removed on the first load: such a refresh is abandoned
// (the service keeps its old share until a confirm arrives, so the state at
// `path` keeps working).
//
// Loads refuse files above kMaxBlobSize and anything but a regular file.
class FileStateStore final : public StateStore {
 public:
  static constexpr size_t kMaxBlobSize = 64 * 1024;

  explicit FileStateStore(std::string path);

  Result<std::optional<SecretBytes>> load() override;
  Status save(ByteView blob) override;
  Status erase() override;

  const std::string& path() const { return path_; }

 private:
  Status sync_directory() const;
  Status remove_legacy_files();
  std::string path_;
  std::string dir_;
  bool legacy_checked_ = false;
};

}  // namespace duet::client
