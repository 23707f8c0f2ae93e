// Protection of secrets and personal data at rest (docs/operations.md, personal data).
//
// seal/open: authenticated encryption bound to a context string naming the
// purpose and the row (e.g. "app_secret:app_…"), so a ciphertext copied into
// another row or field does not open. keyed_hash: HMAC-SM3 under a separate
// index key, for lookups by value (identity numbers) and for storing bearer
// credentials (tokens, activation codes) without keeping them.
//
// Implementations: LocalKeyFile (a key file in the data directory, mode 0600;
// --dev and tests) and the envelope protector over a Kek (keys/kek.h: data keys
// wrapped by the PKCS#11 KEK, same formats). Both keys never leave the object;
// nothing here logs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace duet::keys {

class DataProtector {
 public:
  virtual ~DataProtector() = default;

  virtual Result<Bytes> seal(std::string_view context, ByteView plaintext) = 0;
  // kBadEncoding when the ciphertext, its context or the key does not match.
  virtual Result<SecretBytes> open(std::string_view context, ByteView sealed) = 0;
  // HMAC-SM3(index key, f(purpose) ‖ value), 32 bytes.
  virtual Bytes keyed_hash(std::string_view purpose, ByteView value) const = 0;
  // Ok when the keys are usable (readiness).
  virtual Status check() = 0;
};

// A key-encryption key: wraps small secrets (data keys, CA private keys) with
// AES-256-GCM bound to a context string. Calls may reach a token (PKCS#11),
// so they are for rare operations, not per field. See keys/kek.h.
class Kek {
 public:
  virtual ~Kek() = default;

  // version ‖ 12-byte random IV ‖ ciphertext ‖ 16-byte tag; the context is
  // authenticated (AAD) and must be given again to unwrap.
  virtual Result<Bytes> wrap(std::string_view context, ByteView plaintext) = 0;
  // kBadEncoding: tampered blob, other context or other key.
  // kUnavailable: the KEK cannot be reached (token gone, not logged in).
  virtual Result<SecretBytes> unwrap(std::string_view context, ByteView wrapped) = 0;
  // Ok when the KEK answers (a wrap/unwrap round trip, at most once per the
  // implementation's check interval; results in between are cached).
  virtual Status check() = 0;
  // Where the key lives, for messages: "pkcs11:token=duet;object=duet-kek", "file:…".
  virtual std::string describe() const = 0;
};

// Opens (or, with create_if_missing, creates with fresh random keys) the key
// file at `path`: 64 bytes, an AES-256-GCM key then an HMAC-SM3 index key.
// A file of another size or with group/other permissions is refused.
Result<std::unique_ptr<DataProtector>> open_local_key_file(const std::string& path, bool create_if_missing);

}  // namespace duet::keys
