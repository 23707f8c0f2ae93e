#include "base/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

namespace duet {
namespace {

Unexpected io_error(const std::string& what, const std::string& path, int err) {
  return make_error(ErrorCode::kUnavailable, what + " " + path + ": " + std::strerror(err));
}

// A name no other writer uses: pid, a process-wide counter and random bits.
// O_EXCL makes a collision an error, never a shared file, so this only has to
// make collisions rare.
std::string temporary_name_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  static thread_local std::mt19937_64 bits{std::random_device{}() ^
                                           static_cast<uint64_t>(
                                               std::chrono::steady_clock::now().time_since_epoch().count())};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1)) + "." +
         std::to_string(bits() & 0xffffffffu);
}

std::string directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// Best effort: a directory that cannot be opened or synced (some file
// systems refuse) leaves the data safe in the file, only the name at risk.
void fsync_directory_of(const std::string& path) {
  int dfd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  ::fsync(dfd);
  ::close(dfd);
}

bool write_all(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Creates the temporary file (retrying a taken name a few times).
Result<std::pair<int, std::string>> create_temporary(const std::string& path) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string tmp = temporary_name_for(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) return std::pair{fd, tmp};
    if (errno != EEXIST) return io_error("cannot create", tmp, errno);
  }
  return make_error(ErrorCode::kUnavailable, "cannot create a temporary file beside " + path);
}

}  // namespace

Status write_secret_file(const std::string& path, ByteView data, const SecretFileOptions& options) {
  struct stat existing{};
  if (::lstat(path.c_str(), &existing) == 0 && S_ISLNK(existing.st_mode))
    return make_error(ErrorCode::kInvalidArgument, path + " is a symbolic link: refused");
  DUET_ASSIGN_OR_RETURN(auto created, create_temporary(path));
  auto [fd, tmp] = created;
  // The mode argument of open() is filtered by the umask; fchmod is not.
  bool ok = ::fchmod(fd, options.mode) == 0 && write_all(fd, data) && ::fsync(fd) == 0;
  int err = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    return io_error("cannot write", tmp, err);
  }
  int rc = options.placement == SecretFilePlacement::kNoClobber ? ::link(tmp.c_str(), path.c_str())
                                                                : ::rename(tmp.c_str(), path.c_str());
  err = errno;
  if (rc != 0 || options.placement == SecretFilePlacement::kNoClobber) ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return make_error(ErrorCode::kConflict, path + " already exists");
    return io_error("cannot create", path, err);
  }
  fsync_directory_of(path);
  return Status::Ok();
}

Status write_secret_file_and_wipe(const std::string& path, std::span<uint8_t> data, const SecretFileOptions& options) {
  Status st = write_secret_file(path, ByteView(data.data(), data.size()), options);
  if (!data.empty()) secure_wipe(data.data(), data.size());
  return st;
}

Status write_secret_file_and_wipe(const std::string& path, std::string& data, const SecretFileOptions& options) {
  Status st = write_secret_file(path, as_bytes(data), options);
  if (!data.empty()) secure_wipe(data.data(), data.size());
  data.clear();
  return st;
}

Result<SecretBytes> read_secret_file(const std::string& path, size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kNotFound, path + " does not exist");
    return io_error("cannot open", path, errno);
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
      st.st_size > static_cast<off_t>(max_size)) {
    ::close(fd);
    return make_error(ErrorCode::kUnavailable, path + " must be a regular file with mode 0600");
  }
  SecretBytes buf(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  int err = errno;
  ::close(fd);
  if (got != buf.size()) return io_error("cannot read", path, err);
  return buf;
}

}  // namespace duet
