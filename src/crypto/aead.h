// Authenticated encryption with associated data: SM4-GCM and AES-256-GCM,
// 12-byte nonces, 16-byte tags. Output of seal is ciphertext ‖ tag.
//
// AES-256-GCM comes from OpenSSL. OpenSSL 3.0 has no SM4-GCM, so SM4-GCM comes
// from libgcrypt (>= 1.9), also a Debian package: no block-cipher mode is
// written here by hand.
#pragma once

#include <string_view>

#include "base/bytes.h"

namespace duet::crypto {

enum class AeadAlgorithm { kSm4Gcm, kAes256Gcm };

inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;

size_t aead_key_size(AeadAlgorithm alg);  // 16 for SM4, 32 for AES-256
std::string_view aead_name(AeadAlgorithm alg);  // "sm4-gcm", "aes-256-gcm"
Result<AeadAlgorithm> aead_from_name(std::string_view name);

// Encrypts. Key and nonce of the wrong size are kInvalidArgument. A nonce must
// never repeat under one key: callers draw it from a CSPRNG.
Result<Bytes> aead_seal(AeadAlgorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);

// Decrypts and authenticates. Any tampering (ciphertext, tag, nonce, aad, key)
// is kBadEncoding with no plaintext released.
Result<SecretBytes> aead_open(AeadAlgorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView sealed);

}  // namespace duet::crypto
