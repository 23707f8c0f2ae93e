// Internal to keys/: the one AEAD envelope format, used by every wrap and seal
// in this folder (FileKek and Pkcs11Kek wrapping data keys and CA keys, the
// symmetric DataProtector sealing fields):
//
//   envelope = version (1 byte) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
//   AEAD additional data = aad_prefix ‖ context
//
// The version byte names the key and algorithm family of the envelope (a KEK
// wrap: 1, AES-256-GCM; a field seal: 1 AES-256-GCM, 2 SM4-GCM); the context
// binds an envelope to its purpose, so one cannot be replayed as another.
// These bytes are on disk and in the stores: they must never change.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/aead.h"

namespace duet::keys::internal {

struct EnvelopeFormat {
  uint8_t version = 0;
  std::string_view aad_prefix;  // "duet/kek/v1/" or "duet/seal/v1/"
};

// A KEK's wrap of a small secret (AES-256-GCM under the KEK).
inline constexpr EnvelopeFormat kKekWrapFormat{1, "duet/kek/v1/"};

Bytes envelope_aad(const EnvelopeFormat& format, std::string_view context);

// version ‖ nonce ‖ sealed, where sealed = ciphertext ‖ tag as the AEAD returned it.
Bytes encode_envelope(const EnvelopeFormat& format, ByteView nonce, ByteView sealed);

struct EnvelopeParts {
  ByteView nonce;   // 12 bytes
  ByteView sealed;  // ciphertext ‖ tag, at least the tag
};
// The parts of an envelope of `format` whose plaintext is at most
// max_plaintext bytes; nullopt when the version, the size or the length
// does not fit (the caller answers kBadEncoding in its own words).
std::optional<EnvelopeParts> parse_envelope(const EnvelopeFormat& format, ByteView envelope,
                                            size_t max_plaintext = std::numeric_limits<size_t>::max());

// The software AEAD under `key` (for a key held in memory; a PKCS#11 token
// computes the AEAD itself and uses the three functions above). `nonce` must
// be 12 fresh random bytes.
Result<Bytes> seal_envelope(const EnvelopeFormat& format, crypto::AeadAlgorithm alg, ByteView key, ByteView nonce,
                            std::string_view context, ByteView plaintext);
// kBadEncoding with `unknown_format_message` when the envelope does not parse;
// the AEAD's own error when it does not open.
Result<SecretBytes> open_envelope(const EnvelopeFormat& format, crypto::AeadAlgorithm alg, ByteView key,
                                  std::string_view context, ByteView envelope,
                                  std::string_view unknown_format_message);

}  // namespace duet::keys::internal
