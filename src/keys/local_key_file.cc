#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/sm3.h"
#include "keys/data_protector.h"

namespace duet::keys {
namespace {

constexpr size_t kKeyFileSize = 64;
constexpr uint8_t kFormatVersion = 1;

class LocalKeyFile final : public DataProtector {
 public:
  explicit LocalKeyFile(SecretBytes keys) : keys_(std::move(keys)) {}

  Result<Bytes> seal(std::string_view context, ByteView plaintext) override {
    Bytes nonce(crypto::kAeadNonceSize);
    crypto::SystemRandom::instance().fill(nonce);
    DUET_ASSIGN_OR_RETURN(Bytes ct, crypto::aead_seal(crypto::AeadAlgorithm::kAes256Gcm, aead_key(), nonce,
                                                      aad(context), plaintext));
    Bytes out;
    out.reserve(1 + nonce.size() + ct.size());
    out.push_back(kFormatVersion);
    out.insert(out.end(), nonce.begin(), nonce.end());
    out.insert(out.end(), ct.begin(), ct.end());
    return out;
  }

  Result<SecretBytes> open(std::string_view context, ByteView sealed) override {
    if (sealed.size() < 1 + crypto::kAeadNonceSize + crypto::kAeadTagSize || sealed[0] != kFormatVersion) {
      return make_error(ErrorCode::kBadEncoding, "sealed value has an unknown format");
    }
    return crypto::aead_open(crypto::AeadAlgorithm::kAes256Gcm, aead_key(), sealed.subspan(1, crypto::kAeadNonceSize),
                             aad(context), sealed.subspan(1 + crypto::kAeadNonceSize));
  }

  Bytes keyed_hash(std::string_view purpose, ByteView value) const override {
    Bytes msg;
    uint32_t n = static_cast<uint32_t>(purpose.size());
    msg.insert(msg.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                           static_cast<uint8_t>(n)});
    msg.insert(msg.end(), purpose.begin(), purpose.end());
    msg.insert(msg.end(), value.begin(), value.end());
    crypto::Digest d = crypto::hmac_sm3(ByteView(keys_.data() + 32, 32), msg);
    secure_wipe(msg.data(), msg.size());
    return Bytes(d.begin(), d.end());
  }

  Status check() override { return Status::Ok(); }

 private:
  ByteView aead_key() const { return ByteView(keys_.data(), 32); }
  static Bytes aad(std::string_view context) {
    std::string a = "duet/seal/v1/";
    a += context;
    return Bytes(a.begin(), a.end());
  }
  SecretBytes keys_;
};

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
    return std::unique_ptr<DataProtector>(new LocalKeyFile(std::move(fresh)));
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
  return std::unique_ptr<DataProtector>(new LocalKeyFile(std::move(keys)));
}

}  // namespace duet::keys
