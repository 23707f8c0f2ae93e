// The few DER and PEM encodings the device role needs, in plain C++ for the
// WebAssembly build (no OpenSSL there; crypto/portable_backend.cc): the
// ECDSA-Sig-Value SEQUENCE { INTEGER r, INTEGER s } of an SM2 signature and
// the SubjectPublicKeyInfo (id-ecPublicKey, curve SM2 1.2.156.10197.1.301) of
// a public key, with its PEM armour. portable_backend_test.cc checks them
// against OpenSSL's.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "base/bytes.h"

namespace duet::crypto::portable {

// DER of SEQUENCE { INTEGER r, INTEGER s } for two 32-byte big-endian values
// (minimal INTEGER encodings: leading zeros dropped, a 0x00 before a high bit).
Bytes signature_der(const std::array<uint8_t, 32>& r, const std::array<uint8_t, 32>& s);

struct SignatureValues {
  std::array<uint8_t, 32> r{}, s{};
};
enum class DerVerdict { kOk, kNotDer, kOutOfRange };
// Strict: canonical DER only (minimal lengths and integers, no trailing
// bytes); a negative value or one longer than 32 bytes is kOutOfRange.
DerVerdict parse_signature_der(ByteView der, SignatureValues& out);

// DER SubjectPublicKeyInfo of a SEC1 uncompressed point (65 bytes).
Bytes sm2_spki_der(ByteView sec1_point);
// "-----BEGIN PUBLIC KEY-----\n" base64 in lines of 64 "\n-----END PUBLIC KEY-----\n".
std::string pem(std::string_view label, ByteView der);

}  // namespace duet::crypto::portable
