#include "client/state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/secret_file.h"

namespace duet::client {

// ---- MemoryStateStore ----------------------------------------------------

Result<std::optional<SecretBytes>> MemoryStateStore::load() {
  if (!blob_) return std::optional<SecretBytes>();
  return std::optional<SecretBytes>(blob_->clone());
}

Status MemoryStateStore::save(ByteView blob) {
  blob_.emplace(blob);  // the previous SecretBytes wipes itself
  return Status::Ok();
}

Status MemoryStateStore::erase() {
  blob_.reset();
  return Status::Ok();
}

// ---- FileStateStore ------------------------------------------------------

namespace {

// Messages name the operation and errno, never the content.
Unexpected io_error(const char* what, int err) {
  return make_error(ErrorCode::kInternal, std::string("state store: ") + what + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports the result (close can report a failed write-back).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Overwrites the whole content of an open regular file with zeros and fsyncs
// it. Used on a file that is about to lose (or has just lost) its name, so
// that no copy of the wrapped share stays in its blocks or other hard links.
Status wipe_open_file(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error("stat", errno);
  if (!S_ISREG(st.st_mode)) return make_error(ErrorCode::kBadState, "state store: not a regular file");
  static constexpr size_t kChunk = 4096;
  const uint8_t zeros[kChunk] = {};
  off_t size = st.st_size;
  off_t done = 0;
  while (done < size) {
    size_t n = static_cast<size_t>(std::min<off_t>(size - done, static_cast<off_t>(kChunk)));
    ssize_t w = ::pwrite(fd, zeros, n, done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_error("overwrite", errno);
    }
    done += w;
  }
  if (::fsync(fd) != 0) return io_error("fsync", errno);
  return Status::Ok();
}

// Opens an existing file to overwrite it later; -1 when there is none (or it
// is not a regular file, which load() refuses anyway).
int open_for_wipe(const std::string& file) {
  int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

FileStateStore::FileStateStore(std::string path) : path_(std::move(path)) {
  auto slash = path_.rfind('/');
  if (slash == std::string::npos) {
    dir_ = ".";
  } else if (slash == 0) {
    dir_ = "/";
  } else {
    dir_ = path_.substr(0, slash);
  }
}

Status FileStateStore::sync_directory() const {
  Fd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return io_error("open directory", errno);
  if (::fsync(dir.get()) != 0) return io_error("fsync directory", errno);
  return Status::Ok();
}

Status FileStateStore::remove_legacy_files() {
  if (legacy_checked_) return Status::Ok();
  bool removed = false;
  for (const char* suffix : {".pending-info", ".pending"}) {
    std::string file = path_ + suffix;
    Fd fd(open_for_wipe(file));
    // Absent (the usual case), or not a regular file: nothing of ours to wipe.
    if (fd.get() < 0) continue;
    DUET_TRY_STATUS(wipe_open_file(fd.get()));
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) return io_error("unlink", errno);
    removed = true;
  }
  if (removed) DUET_TRY_STATUS(sync_directory());
  legacy_checked_ = true;
  return Status::Ok();
}

Result<std::optional<SecretBytes>> FileStateStore::load() {
  if (path_.empty()) return make_error(ErrorCode::kInvalidArgument, "state store: empty path");
  DUET_TRY_STATUS(remove_legacy_files());
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<SecretBytes>();
    return io_error("open", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("stat", errno);
  if (!S_ISREG(st.st_mode)) return make_error(ErrorCode::kBadState, "state store: not a regular file");
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > kMaxBlobSize) {
    return make_error(ErrorCode::kBadState, "state store: state file too large");
  }
  // One byte more than the size, to notice a file that grew meanwhile.
  SecretBytes buf(static_cast<size_t>(st.st_size) + 1);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read", errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != static_cast<size_t>(st.st_size)) return make_error(ErrorCode::kBadState, "state store: file changed while read");
  return std::optional<SecretBytes>(SecretBytes(ByteView(buf.data(), got)));
}

Status FileStateStore::save(ByteView blob) {
  if (path_.empty()) return make_error(ErrorCode::kInvalidArgument, "state store: empty path");
  if (blob.size() > kMaxBlobSize) return make_error(ErrorCode::kInvalidArgument, "state store: blob too large");
  DUET_TRY_STATUS(remove_legacy_files());
  // The previous file, held open across the replacement so that it can be
  // wiped once the new one is committed (never before: a crash in between
  // must leave a whole state behind).
  Fd previous(open_for_wipe(path_));
  // base/secret_file: a 0600 temporary beside it (O_EXCL, never through a
  // symbolic link), fsync, rename over the old name, fsync the directory.
  Status written = write_secret_file(path_, blob);
  if (!written.ok()) return make_error(ErrorCode::kInternal, "state store: " + written.error().message);
  if (previous.get() >= 0) {
    // Best effort (see the header): the new state is already in force.
    (void)wipe_open_file(previous.get());
  }
  return Status::Ok();
}

Status FileStateStore::erase() {
  if (path_.empty()) return make_error(ErrorCode::kInvalidArgument, "state store: empty path");
  DUET_TRY_STATUS(remove_legacy_files());
  Fd fd(open_for_wipe(path_));
  if (fd.get() >= 0) DUET_TRY_STATUS(wipe_open_file(fd.get()));
  if (::unlink(path_.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return io_error("unlink", errno);
  }
  return sync_directory();
}

}  // namespace duet::client
