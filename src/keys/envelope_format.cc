#include "keys/envelope_format.h"

#include <string>

namespace duet::keys::internal {

Bytes envelope_aad(const EnvelopeFormat& format, std::string_view context) {
  Bytes aad(format.aad_prefix.begin(), format.aad_prefix.end());
  aad.insert(aad.end(), context.begin(), context.end());
  return aad;
}

Bytes encode_envelope(const EnvelopeFormat& format, ByteView nonce, ByteView sealed) {
  Bytes out;
  out.reserve(1 + nonce.size() + sealed.size());
  out.push_back(format.version);
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

std::optional<EnvelopeParts> parse_envelope(const EnvelopeFormat& format, ByteView envelope, size_t max_plaintext) {
  constexpr size_t kOverhead = 1 + crypto::kAeadNonceSize + crypto::kAeadTagSize;
  if (envelope.size() < kOverhead || envelope[0] != format.version) return std::nullopt;
  if (envelope.size() - kOverhead > max_plaintext) return std::nullopt;
  return EnvelopeParts{envelope.subspan(1, crypto::kAeadNonceSize), envelope.subspan(1 + crypto::kAeadNonceSize)};
}

Result<Bytes> seal_envelope(const EnvelopeFormat& format, crypto::AeadAlgorithm alg, ByteView key, ByteView nonce,
                            std::string_view context, ByteView plaintext) {
  DUET_ASSIGN_OR_RETURN(Bytes sealed, crypto::aead_seal(alg, key, nonce, envelope_aad(format, context), plaintext));
  return encode_envelope(format, nonce, sealed);
}

Result<SecretBytes> open_envelope(const EnvelopeFormat& format, crypto::AeadAlgorithm alg, ByteView key,
                                  std::string_view context, ByteView envelope,
                                  std::string_view unknown_format_message) {
  auto parts = parse_envelope(format, envelope);
  if (!parts) return make_error(ErrorCode::kBadEncoding, std::string(unknown_format_message));
  return crypto::aead_open(alg, key, parts->nonce, envelope_aad(format, context), parts->sealed);
}

}  // namespace duet::keys::internal
