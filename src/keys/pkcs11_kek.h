// The key-encryption key in a PKCS#11 token (SoftHSM2 by default).
//
// The module is loaded with dlopen and initialised once per process and path
// (C_Initialize with CKF_OS_LOCKING_OK; finalised when the last Pkcs11Kek on it
// closes). The token is found BY LABEL (SoftHSM2 reassigns slot ids at
// initialisation), the user logs in with the PIN (read from a file or an
// environment variable; never logged, wiped after use), and the KEK is an
// AES-256 secret key object found by label, or generated in the token when
// create_key_if_missing: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true,
// CKA_EXTRACTABLE false, CKA_ENCRYPT/CKA_DECRYPT only. Wrapping is CKM_AES_GCM
// with a 12-byte random IV (drawn by us), a 128-bit tag and the context as AAD.
//
// The p11-kit header #defines lowercase words (value, count, params, …): it is
// included only by pkcs11_kek.cc.
//
// Threads: one session per Pkcs11Kek behind a mutex (KEK calls are rare); a
// session lost to a token error is reopened (and the user logged in again) on
// the next call, so the KEK recovers when the token comes back.
//
// SoftHSM2 2.6 as observed: a token deleted by another process (softhsm2-util
// --delete-token) or whose directory is removed is noticed at the next
// operation (CKR_OBJECT_HANDLE_INVALID, then the label is gone from the slot
// list), so check() fails at once once its interval has passed. A failed GCM
// tag check is CKR_GENERAL_ERROR; unwrap tells it from a broken token by a
// round trip of its own. Login state is per process and token (PKCS#11): while
// one Pkcs11Kek is logged in, another one's C_Login answers
// CKR_USER_ALREADY_LOGGED_IN without checking its PIN, and no Pkcs11Kek ever
// calls C_Logout (it would log out the others).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "keys/data_protector.h"

namespace duet::keys {

struct Pkcs11Config {
  std::string module_path = "/usr/lib/softhsm/libsofthsm2.so";
  std::string token_label = "duet";
  std::string key_label = "duet-kek";
  // The user PIN: the first line of pin_file when set, else the environment
  // variable pin_env. A missing or empty PIN is kUnavailable.
  std::string pin_file;
  std::string pin_env = "DUET_PKCS11_PIN";
  // Generate the AES-256 key object in the token when none has key_label.
  bool create_key_if_missing = false;
  // check() does a wrap/unwrap round trip at most this often (0: every call).
  std::chrono::milliseconds check_interval{5000};
};

// kUnavailable: module missing or not a PKCS#11 module, no token with the
// label, PIN missing or refused, key object missing (and not to be created).
// kInvalidArgument: two objects carry the key label, or it is not an AES-256 key.
Result<std::shared_ptr<Kek>> open_pkcs11_kek(const Pkcs11Config& config);

// For tests and diagnostics: the KEK object's protection attributes, and
// whether the token released CKA_VALUE when asked (it must not; the bytes, if
// any, are wiped at once). kInvalidArgument when `kek` is not a Pkcs11Kek.
struct Pkcs11KeyInfo {
  bool token = false;
  bool sensitive = false;
  bool extractable = true;
  bool always_sensitive = false;
  bool never_extractable = false;
  unsigned long key_length = 0;  // CKA_VALUE_LEN
  bool value_readable = true;
  unsigned long value_read_rv = 0;  // the CK_RV of C_GetAttributeValue(CKA_VALUE)
};
Result<Pkcs11KeyInfo> inspect_pkcs11_kek(Kek& kek);

}  // namespace duet::keys
