// The holder SDK core: the device role of the two-party SM2 protocol
// (DESIGN.md §2) with its state storage, behind a small API whose inputs and
// outputs are the protocol messages as JSON (cosign/wire.h), so any transport
// can carry them. duet_client.h is the same API as a C ABI.
//
// The PIN is only ever a parameter: it is never stored, logged or kept after
// the call that needs it returns. One HolderClient must be used from one
// thread at a time.
//
// Enrollment
//   begin_enrollment(holder_id)        -> keygen request   (send to the service)
//   complete_enrollment(response, pin) -> state saved      (the service's proof verified)
//
// Signing of a digest e = SM3(Z_A ‖ M) (message_digest() computes it)
//   begin_signing(order, session, e, pin) -> sign request  (send)
//   complete_signing(response)            -> finish + DER   (send finish; the
//       signature is checked under P before anything is released. A wrong PIN
//       gives kSignatureInvalid and nothing to send. kRetry (s = 0, ~2^-256):
//       begin again with a new session.) Once a response parses, the signing
//       round is used up whatever the outcome: one nonce never answers two
//       responses (that would reveal the share).
//
// Share refresh (cosign/refresh.h; e.g. before moving to a new phone)
//   1. begin_refresh(refresh_id, pin)          -> refresh request (send)
//   2. complete_refresh(response, new_pin)     -> confirm message
//        The service's proof is verified, then the new state and the confirm
//        are saved in the kPending slot. The current (old) state stays the
//        one in force: the service keeps signing with its old share until it
//        accepts the confirm.
//   3. Send the confirm; retry it (it is idempotent) until the service
//      acknowledges. After a restart pending_refresh() gives it back.
//   4. acknowledge_refresh()  -> the pending state replaces the old one.
//      abandon_refresh()      -> drop the pending state, keep the old one;
//                                only when the service refused the confirm
//                                (it then still uses its old share).
//   While a refresh is pending, signing, PIN change and a new refresh are
//   refused with kBadState: which share the service uses is not known yet.
//
// Errors are Result/Status values; nothing throws except std::bad_alloc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "client/state_store.h"
#include "crypto/random.h"
#include "crypto/sm3.h"

namespace duet::client {

struct HolderOptions {
  // PBKDF2 iterations for wrapping the share under the PIN (>= 1000).
  uint32_t kdf_iterations = 100'000;
  // Randomness; nullptr is the system CSPRNG. Not owned.
  crypto::RandomSource* rng = nullptr;
};

struct SigningResult {
  std::string finish_json;  // SignFinish, to send to the service
  Bytes signature_der;      // the SM2 signature (r, s), DER
};

struct PendingRefresh {
  std::string refresh_id;
  std::string confirm_json;  // RefreshConfirm, to (re)send to the service
};

class HolderClient {
 public:
  explicit HolderClient(std::unique_ptr<StateStore> store, HolderOptions options = {});
  ~HolderClient();
  HolderClient(HolderClient&&) noexcept;
  HolderClient& operator=(HolderClient&&) noexcept;
  HolderClient(const HolderClient&) = delete;
  HolderClient& operator=(const HolderClient&) = delete;

  // kInvalidArgument below 1000.
  Status set_kdf_iterations(uint32_t iterations);

  // State. The stored state is read on first use; a corrupt one is kBadState
  // (forget() clears it), one from a newer SDK kUnsupportedVersion.
  Result<bool> is_enrolled();
  Result<std::string> holder_id();                     // kBadState if not enrolled
  Result<std::string> public_key_pem();                // SubjectPublicKeyInfo PEM of P
  Result<crypto::Digest> message_digest(ByteView message);  // e = SM3(Z_A ‖ M), default ID

  // Enrollment. kBadState if already enrolled. The round survives a failed
  // complete (bad response, bad PIN format, storage error) until it succeeds,
  // begin_enrollment is called again or cancel().
  Result<std::string> begin_enrollment(std::string holder_id);
  Status complete_enrollment(std::string_view keygen_response_json, std::string_view pin);

  // Signing (see above). e must be exactly the 32-byte digest.
  Result<std::string> begin_signing(std::string order_id, std::string session_id, const crypto::Digest& e,
                                    std::string_view pin);
  Result<SigningResult> complete_signing(std::string_view sign_response_json);

  // Local PIN change. A wrong old PIN cannot be detected offline: the new
  // state then signs invalidly, exactly like a wrong PIN.
  Status change_pin(std::string_view old_pin, std::string_view new_pin);

  // Share refresh (see above).
  Result<std::string> begin_refresh(std::string refresh_id, std::string_view pin);
  Result<std::string> complete_refresh(std::string_view refresh_response_json, std::string_view new_pin);
  Result<std::optional<PendingRefresh>> pending_refresh();
  Status acknowledge_refresh();
  Status abandon_refresh();

  // Drops any round in progress (enrollment, signing, refresh).
  void cancel();
  // Erases the stored state (current and pending) and any round in progress.
  Status forget();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::client
