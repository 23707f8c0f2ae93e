// Internal to keys/: the in-memory DataProtector shared by LocalKeyFile and the
// envelope protector, so both seal, open and hash identically.
//
// seal = version ‖ 12-byte nonce ‖ AEAD(data key, aad = "duet/seal/v1/" ‖ context)
// with version 1 = AES-256-GCM (32-byte data key), 2 = SM4-GCM (16-byte data key).
// keyed_hash = HMAC-SM3(index key, be32(|purpose|) ‖ purpose ‖ value).
#pragma once

#include <functional>
#include <memory>

#include "crypto/aead.h"
#include "keys/data_protector.h"

namespace duet::keys::internal {

// `data_key` must be aead_key_size(alg) bytes, `index_key` 32 bytes. `check`
// (may be empty: always Ok) answers check(); seal() fails with kUnavailable
// while it fails (no new ciphertext while the KEK is unavailable).
std::unique_ptr<DataProtector> make_symmetric_protector(crypto::AeadAlgorithm alg, SecretBytes data_key,
                                                        SecretBytes index_key, std::function<Status()> check);

}  // namespace duet::keys::internal
