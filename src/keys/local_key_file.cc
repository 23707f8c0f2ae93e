#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/random.h"
#include "keys/data_protector.h"
#include "keys/symmetric_protector.h"

namespace duet::keys {
namespace {

constexpr size_t kKeyFileSize = 64;

// The 64 bytes: an AES-256-GCM data key, then the HMAC-SM3 index key.
std::unique_ptr<DataProtector> make_local(const SecretBytes& keys) {
  return internal::make_symmetric_protector(crypto::AeadAlgorithm::kAes256Gcm, SecretBytes(ByteView(keys.data(), 32)),
                                            SecretBytes(ByteView(keys.data() + 32, 32)), {});
}

Unexpected io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kUnavailable, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<DataProtector>> open_local_key_file(const std::string& path, bool create_if_missing) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create_if_missing) {
    SecretBytes fresh(kKeyFileSize);
    crypto::SystemRandom::instance().fill(fresh.span());
    std::string tmp = path + ".tmp";
    int wfd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (wfd < 0) return io_error("cannot create key file", tmp);
    bool ok = ::write(wfd, fresh.data(), fresh.size()) == static_cast<ssize_t>(fresh.size()) && ::fsync(wfd) == 0;
    ::close(wfd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
      ::unlink(tmp.c_str());
      return io_error("cannot write key file", path);
    }
    return make_local(fresh);
  }
  if (fd < 0) return io_error("cannot open key file", path);
  struct stat st{};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0 || st.st_size != static_cast<off_t>(kKeyFileSize)) {
    ::close(fd);
    return make_error(ErrorCode::kUnavailable, "key file " + path + " must be 64 bytes with mode 0600");
  }
  SecretBytes keys(kKeyFileSize);
  ssize_t got = ::read(fd, keys.data(), keys.size());
  ::close(fd);
  if (got != static_cast<ssize_t>(kKeyFileSize)) return io_error("cannot read key file", path);
  return make_local(keys);
}

}  // namespace duet::keys
