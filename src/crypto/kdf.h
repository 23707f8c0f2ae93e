// Password-based key derivation: PBKDF2-HMAC-SM3 (RFC 8018 with SM3).
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace duet::crypto {

// Derives `out_len` bytes. iterations >= 1; out_len >= 1. The password is
// processed without copies that outlive the call.
Result<SecretBytes> pbkdf2_hmac_sm3(ByteView password, ByteView salt, uint32_t iterations, size_t out_len);

}  // namespace duet::crypto
