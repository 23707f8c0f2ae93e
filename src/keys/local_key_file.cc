#include "base/secret_file.h"
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

}  // namespace

Result<std::unique_ptr<DataProtector>> open_local_key_file(const std::string& path, bool create_if_missing) {
  auto existing = read_secret_file(path, kKeyFileSize);
  if (existing.code() == ErrorCode::kNotFound && create_if_missing) {
    SecretBytes fresh(kKeyFileSize);
    crypto::SystemRandom::instance().fill(fresh.span());
    Status st = write_secret_file(path, fresh.view(), {SecretFilePlacement::kNoClobber});
    if (st.ok()) return make_local(fresh);
    if (st.code() != ErrorCode::kConflict) return Unexpected{st.error()};
    existing = read_secret_file(path, kKeyFileSize);  // another process created it first
  }
  // Missing (and not to be created), unreadable, too open or too large: all unavailable.
  if (!existing.ok()) return make_error(ErrorCode::kUnavailable, "key file " + existing.error().message);
  if (existing->size() != kKeyFileSize)
    return make_error(ErrorCode::kUnavailable, "key file " + path + " must be 64 bytes with mode 0600");
  return make_local(*existing);
}

}  // namespace duet::keys
