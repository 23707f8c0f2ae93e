// Where the holder's device keeps its state between sessions.
//
// A store holds opaque byte blobs in three slots:
//   kCurrent      the serialized cosign::DeviceState the device signs with;
//   kPending      the serialized DeviceState of a share refresh that the
//                 service answered but has not yet acknowledged;
//   kPendingInfo  that refresh's id and confirm message (HolderClient's JSON,
//                 not secret; see holder_client.h).
// The blobs hold the PIN-wrapped share: not usable without the PIN and the
// service, but still secret. Stores never log them.
//
// Every save replaces the slot as a whole (a reader sees the old or the new
// blob, never a mixture), and promote_pending() moves kPending over kCurrent
// in one step where the medium allows it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::client {

enum class Slot { kCurrent, kPending, kPendingInfo };

class StateStore {
 public:
  virtual ~StateStore() = default;

  // The slot's blob, or nullopt when it was never saved (or was erased).
  virtual Result<std::optional<SecretBytes>> load(Slot slot) = 0;
  // Replaces the slot's blob atomically and durably.
  virtual Status save(Slot slot, ByteView blob) = 0;
  // Removes the slot's blob; erasing an empty slot is not an error.
  virtual Status erase(Slot slot) = 0;
  // kPending becomes kCurrent, kPending becomes empty. kBadState when there is
  // no pending blob. The default is load + save + erase (a crash in between
  // leaves both slots equal, which the client treats as still pending).
  virtual Status promote_pending();
};

// Keeps the blobs in memory (tests, or apps that persist elsewhere).
class MemoryStateStore final : public StateStore {
 public:
  Result<std::optional<SecretBytes>> load(Slot slot) override;
  Status save(Slot slot, ByteView blob) override;
  Status erase(Slot slot) override;

 private:
  std::map<Slot, SecretBytes> blobs_;
};

// Keeps the blobs in files: kCurrent at `path`, kPending at `path` + ".pending",
// kPendingInfo at `path` + ".pending-info".
// A save writes a new temporary file in the same directory (created with mode
// 0600, O_EXCL, O_NOFOLLOW), fsyncs it, renames it over the target and fsyncs
// the directory, so a crash leaves either the old or the new file, whole.
// promote_pending() is one rename. Loads refuse files above kMaxBlobSize.
class FileStateStore final : public StateStore {
 public:
  static constexpr size_t kMaxBlobSize = 64 * 1024;

  explicit FileStateStore(std::string path);

  Result<std::optional<SecretBytes>> load(Slot slot) override;
  Status save(Slot slot, ByteView blob) override;
  Status erase(Slot slot) override;
  Status promote_pending() override;

  const std::string& path() const { return path_; }
  std::string slot_path(Slot slot) const;

 private:
  Status sync_directory() const;
  std::string path_;
  std::string dir_;
};

}  // namespace duet::client
