#include "client/state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace duet::client {

Status StateStore::promote_pending() {
  DUET_ASSIGN_OR_RETURN(std::optional<SecretBytes> pending, load(Slot::kPending));
  if (!pending) return make_error(ErrorCode::kBadState, "no pending state to promote");
  DUET_TRY_STATUS(save(Slot::kCurrent, pending->view()));
  return erase(Slot::kPending);
}

// ---- MemoryStateStore ----------------------------------------------------

Result<std::optional<SecretBytes>> MemoryStateStore::load(Slot slot) {
  auto it = blobs_.find(slot);
  if (it == blobs_.end()) return std::optional<SecretBytes>();
  return std::optional<SecretBytes>(it->second.clone());
}

Status MemoryStateStore::save(Slot slot, ByteView blob) {
  blobs_[slot] = SecretBytes(blob);
  return Status::Ok();
}

Status MemoryStateStore::erase(Slot slot) {
  blobs_.erase(slot);
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

std::string FileStateStore::slot_path(Slot slot) const {
  switch (slot) {
    case Slot::kCurrent: return path_;
    case Slot::kPending: return path_ + ".pending";
    case Slot::kPendingInfo: return path_ + ".pending-info";
  }
  return path_ + ".unknown";
}

Status FileStateStore::sync_directory() const {
  Fd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return io_error("open directory", errno);
  if (::fsync(dir.get()) != 0) return io_error("fsync directory", errno);
  return Status::Ok();
}

Result<std::optional<SecretBytes>> FileStateStore::load(Slot slot) {
  if (path_.empty()) return make_error(ErrorCode::kInvalidArgument, "state store: empty path");
  std::string file = slot_path(slot);
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
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

Status FileStateStore::save(Slot slot, ByteView blob) {
  if (path_.empty()) return make_error(ErrorCode::kInvalidArgument, "state store: empty path");
  if (blob.size() > kMaxBlobSize) return make_error(ErrorCode::kInvalidArgument, "state store: blob too large");
  std::string target = slot_path(slot);
  std::string tmpl = target + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  // mkostemp creates the file with O_EXCL and mode 0600 (whatever the umask).
  int raw = ::mkostemp(name.data(), O_CLOEXEC);
  if (raw < 0) return io_error("create temporary file", errno);
  Fd fd(raw);
  std::string tmp(name.data());
  auto fail = [&](const char* what, int err) {
    ::unlink(tmp.c_str());
    return io_error(what, err);
  };
  if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0) return fail("chmod", errno);
  size_t put = 0;
  while (put < blob.size()) {
    ssize_t n = ::write(fd.get(), blob.data() + put, blob.size() - put);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    put += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("fsync", errno);
  if (fd.close() != 0) return fail("close", errno);
  if (::rename(tmp.c_str(), target.c_str()) != 0) return fail("rename", errno);
  return sync_directory();
}

Status FileStateStore::erase(Slot slot) {
  if (path_.empty()) return make_error(ErrorCode::kInvalidArgument, "state store: empty path");
  std::string target = slot_path(slot);
  if (::unlink(target.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return io_error("unlink", errno);
  }
  return sync_directory();
}

Status FileStateStore::promote_pending() {
  if (path_.empty()) return make_error(ErrorCode::kInvalidArgument, "state store: empty path");
  std::string pending = slot_path(Slot::kPending);
  if (::rename(pending.c_str(), path_.c_str()) != 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kBadState, "no pending state to promote");
    return io_error("rename", errno);
  }
  return sync_directory();
}

}  // namespace duet::client
