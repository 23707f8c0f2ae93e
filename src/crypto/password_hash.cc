#include "crypto/password_hash.h"

#include <argon2.h>

#include <vector>

#include "base/wiping_allocator.h"

namespace duet::crypto {

namespace {
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr size_t kMaxPassword = 1024;
}  // namespace

Result<std::string> hash_password(std::string_view password, crypto::RandomSource& rng, const Argon2Params& p) {
  if (password.size() > kMaxPassword) return make_error(ErrorCode::kInvalidArgument, "password is too long");
  uint8_t salt[kSaltBytes];
  rng.fill(salt);
  std::vector<char> encoded(argon2_encodedlen(p.time_cost, p.memory_kib, p.parallelism, kSaltBytes, kHashBytes,
                                              Argon2_id));
  int rc = argon2id_hash_encoded(p.time_cost, p.memory_kib, p.parallelism, password.data(), password.size(), salt,
                                 kSaltBytes, kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return make_error(ErrorCode::kInternal, "argon2id hashing failed");
  return std::string(encoded.data());
}

bool verify_password(std::string_view password, std::string_view encoded) {
  if (password.size() > kMaxPassword || encoded.size() > 512) return false;
  if (encoded.substr(0, 10) != "$argon2id$") return false;
  const std::string enc(encoded);  // argon2 wants a NUL-terminated string
  return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace duet::crypto
