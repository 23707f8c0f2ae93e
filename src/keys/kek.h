// The key-encryption key (KEK) and the key services built on it (docs/operations.md
// privacy; issues 4 and 5).
//
// A Kek wraps small secrets (data keys, CA private keys) with AES-256-GCM bound
// to a context string, like DataProtector::seal but on the KEK itself: every
// call may reach the token, so it is for rare operations (start-up, CA keys),
// not per field. Implementations:
//   - Pkcs11Kek (keys/pkcs11_kek.h): an AES-256 secret key object in a PKCS#11
//     token (SoftHSM2 by default), sensitive and not extractable. Production.
//   - FileKek: a 32-byte key file, mode 0600. Only for --dev and tests.
//
// The envelope DataProtector keeps a data-key record (a data key for
// AES-256-GCM or SM4-GCM + an HMAC-SM3 index key, random) wrapped by the KEK in
// <data_dir>/datakeys.wrapped, unwraps it once at start and then seals/opens
// fields in memory exactly like LocalKeyFile (same formats, same context
// binding), so a data directory written under the local key file can be moved
// under the KEK by wrapping its key file (see KeyServicesConfig::import_key_file).
// Nothing here logs; no PIN or key appears in an error message.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "keys/data_protector.h"
#include "keys/pkcs11_kek.h"

namespace duet::keys {

// Opens (or, with create_if_missing, creates with a fresh random key) a
// 32-byte KEK file, mode 0600. Refused unless that size and mode. Dev/tests only.
Result<std::shared_ptr<Kek>> open_file_kek(const std::string& path, bool create_if_missing);

enum class DataKeyAlgorithm { kAes256Gcm, kSm4Gcm };

struct EnvelopeOptions {
  // Algorithm of a data key created now; an existing record keeps its own.
  DataKeyAlgorithm algorithm = DataKeyAlgorithm::kAes256Gcm;
  // Create the record (fresh random keys) when the file is missing.
  bool create_if_missing = true;
  // When the record is missing and this names an existing LocalKeyFile (64
  // bytes, 0600), its keys become the record (so existing ciphertexts and
  // keyed hashes stay valid) and, once the record is written and re-read, the
  // plain key file is overwritten and removed.
  std::string import_key_file;
};

// The envelope protector over `kek`, its record at `record_path` (mode 0600,
// written atomically). kUnavailable when the KEK cannot unwrap (token gone,
// wrong PIN, another KEK), kBadEncoding when the file is not a record.
// check() = kek->check() (rate-limited by the KEK).
Result<std::unique_ptr<DataProtector>> open_envelope_protector(std::shared_ptr<Kek> kek, const std::string& record_path,
                                                               const EnvelopeOptions& options = {});

// The PKCS#11 KEK + the envelope protector with its record in
// <data_dir>/datakeys.wrapped (brief name for issue 5).
Result<std::unique_ptr<DataProtector>> open_pkcs11_data_protector(const Pkcs11Config& config,
                                                                  const std::string& data_dir,
                                                                  const EnvelopeOptions& options = {});

// ---------------------------------------------------------------------------
// The factory duetd uses: [keys] kek = "pkcs11" (default) | "file" (--dev only).

struct KeyServicesConfig {
  std::string kek = "pkcs11";  // "pkcs11" or "file"
  std::string data_dir;        // holds datakeys.wrapped (pkcs11) or kek.key + kek-dev.key (file)
  bool dev = false;            // "file" is refused unless dev
  Pkcs11Config pkcs11;
  std::string data_key_algorithm = "aes-256-gcm";  // or "sm4-gcm" (for a record created now)
  // pkcs11 only: import and remove a plain <data_dir>/kek.key left by a
  // file/dev run (see EnvelopeOptions::import_key_file).
  bool import_key_file = true;
};

struct KeyServices {
  std::shared_ptr<Kek> kek;                  // wrap/unwrap for CA private keys (issue 4)
  std::unique_ptr<DataProtector> protector;  // field-level protection (issue 5)
};

// kek = "pkcs11": Pkcs11Kek + envelope protector (<data_dir>/datakeys.wrapped).
// kek = "file":   FileKek (<data_dir>/kek-dev.key) + LocalKeyFile
//                 (<data_dir>/kek.key), both created if missing.
// Unknown kind or "file" without dev: kInvalidArgument. Token problems: kUnavailable.
Result<KeyServices> open_key_services(const KeyServicesConfig& config);

}  // namespace duet::keys
