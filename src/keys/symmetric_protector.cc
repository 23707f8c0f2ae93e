#include "keys/symmetric_protector.h"

#include <string>

#include "crypto/random.h"
#include "crypto/sm3.h"
#include "keys/envelope_format.h"

namespace duet::keys::internal {
namespace {

EnvelopeFormat seal_format(crypto::AeadAlgorithm alg) {
  return {static_cast<uint8_t>(alg == crypto::AeadAlgorithm::kAes256Gcm ? 1 : 2), "duet/seal/v1/"};
}

class SymmetricProtector final : public DataProtector {
 public:
  SymmetricProtector(crypto::AeadAlgorithm alg, SecretBytes data_key, SecretBytes index_key,
                     std::function<Status()> check)
      : alg_(alg),
        format_(seal_format(alg)),
        data_key_(std::move(data_key)),
        index_key_(std::move(index_key)),
        check_(std::move(check)) {}

  Result<Bytes> seal(std::string_view context, ByteView plaintext) override {
    // Fail closed (issue 5 §5): while the KEK is unavailable nothing new is
    // sealed, so callers answer 503 instead of writing (check() is cached by
    // the KEK for its check interval).
    if (check_) {
      Status st = check_();
      if (!st.ok()) return make_error(ErrorCode::kUnavailable, "the key-encryption key is unavailable");
    }
    Bytes nonce(crypto::kAeadNonceSize);
    crypto::SystemRandom::instance().fill(nonce);
    return seal_envelope(format_, alg_, data_key_.view(), nonce, context, plaintext);
  }

  Result<SecretBytes> open(std::string_view context, ByteView sealed) override {
    return open_envelope(format_, alg_, data_key_.view(), context, sealed, "sealed value has an unknown format");
  }

  Bytes keyed_hash(std::string_view purpose, ByteView value) const override {
    Bytes msg;
    uint32_t n = static_cast<uint32_t>(purpose.size());
    msg.insert(msg.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                           static_cast<uint8_t>(n)});
    msg.insert(msg.end(), purpose.begin(), purpose.end());
    msg.insert(msg.end(), value.begin(), value.end());
    crypto::Digest d = crypto::hmac_sm3(index_key_.view(), msg);
    secure_wipe(msg.data(), msg.size());
    return Bytes(d.begin(), d.end());
  }

  Status check() override { return check_ ? check_() : Status::Ok(); }

 private:
  crypto::AeadAlgorithm alg_;
  EnvelopeFormat format_;
  SecretBytes data_key_;
  SecretBytes index_key_;
  std::function<Status()> check_;
};

}  // namespace

std::unique_ptr<DataProtector> make_symmetric_protector(crypto::AeadAlgorithm alg, SecretBytes data_key,
                                                        SecretBytes index_key, std::function<Status()> check) {
  return std::make_unique<SymmetricProtector>(alg, std::move(data_key), std::move(index_key), std::move(check));
}

}  // namespace duet::keys::internal
