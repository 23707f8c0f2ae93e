// The holder SDK core: the device role of the two-party SM2 protocol, v2
// (docs/protocol.md), with its state storage, behind a small API whose inputs and
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
// Signing: one session per order, all its digests e_i = SM3(Z_A ‖ M_i)
// (message_digest() computes them), one PIN unwrap, one PIN proof
//   begin_signing(order, session, [e_1..e_k], pin)
//       -> {"items":[{q1,proof}…],"pin_proof":{t,z}}  (send as the session
//          start: POST /app/v1/orders/{id}/sessions with the session id)
//   complete_signing(answer)
//       -> finish body {"items":[{s}…]} + one DER signature per item. The
//          answer is the service's: its items r, s2, s3, or its error. Every
//          signature is checked under P before anything is released; all
//          items or none. A wrong PIN is refused BY THE SERVICE at the session
//          start (pin_invalid, with the attempts left; the device cannot and
//          must not tell a wrong PIN by itself: that would be an offline test).
//          Once an answer is taken, the session is used up whatever the
//          outcome: one nonce never answers two responses.
//
// Answers of the service that are errors ({"error":{"code",…}}) become the
// ErrorCode of the code (service_error()): kPinInvalid (wrong PIN; see
// last_attempts_left()), kLocked (too many failures; the business system must
// unlock), kClientUpgradeRequired (this SDK speaks a protocol the service no
// longer serves), kRefreshRequired (after an unlock: run a share refresh
// before signing again), and the other codes of base/error.h.
//
// Share refresh (cosign/refresh.h: a new share pair under the same key; moving
// to a new phone; a PIN change)
//   1. begin_refresh(refresh_id, pin)          -> refresh request (send)
//   2. complete_refresh(answer, new_pin)       -> confirm message (send)
//        The service's proof is verified, then the NEW state is saved with
//        the refresh id as a pending record, REPLACING the old state on the
//        store (which wipes it). The device never holds the old and the new
//        wrap together, nor a proof or ρ: with them, or with two wraps of one
//        share, PINs could be tested offline. The service keeps its old share
//        until it accepts the confirm.
//   3. Send the confirm. The service answers a wrong PIN with pin_invalid
//      (counted) and keeps the refresh open until it expires.
//   4. acknowledge_refresh()  -> the pending record becomes the plain state.
//   After a restart (or a lost confirm), pending_refresh() gives the id and
//   confirm_pending_refresh(pin) rebuilds the confirm from the new state and
//   the id alone (cosign::DeviceRefresh::confirm_again); `pin` is the PIN the
//   new state was wrapped under (the new PIN of a PIN change).
//   abandon_refresh() -> back to the old state, only while this object still
//      holds it in memory (no restart since complete_refresh) and only when
//      the service refused the refresh for good (expired, unknown id): it then
//      still uses its old share. After a restart the old state is gone: a
//      refresh that cannot be confirmed any more means re-enrollment.
//   While a refresh is pending, signing and a new refresh are refused with
//   kBadState: which share the service uses is not settled yet.
//
// PIN change = a share refresh with the new PIN, never a local re-wrap (two
// wraps of one share under two PINs allow a meet-in-the-middle offline test):
//   begin_pin_change(refresh_id, old_pin) (the old PIN is checked by the
//   service, counted), complete_refresh(answer, new_pin), confirm, acknowledge.
//
// Errors are Result/Status values; nothing throws except std::bad_alloc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The most digests one signing session takes (the service has its own,
// usually lower, limit per order).
inline constexpr size_t kMaxSessionItems = 1000;

struct SigningResult {
  std::string finish_json;            // {"items":[{"s":…}…]}: the finish body to send
  std::vector<Bytes> signatures_der;  // the SM2 signatures (r, s), DER, one per digest in order
};

// An error answer of the service: {"error":{"code","message","attempts_left"?}}.
struct ServiceRefusal {
  ErrorCode code = ErrorCode::kInternal;  // the code's ErrorCode (kInternal for an unknown code)
  std::string wire_code;                  // as sent, e.g. "pin_invalid"
  std::string message;
  int attempts_left = -1;                 // -1 when the answer has none
};
// Parses an error answer; kBadEncoding when `body` is not one.
Result<ServiceRefusal> parse_service_error(std::string_view body);

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
  Result<std::string> public_key_hex();                // SEC1 uncompressed, lowercase hex
  Result<crypto::Digest> message_digest(ByteView message);  // e = SM3(Z_A ‖ M), default ID
  // e of a CMS or PDF item, computed by the device from what it is shown: the
  // DER signed attributes (SET OF Attribute) must hold exactly one
  // messageDigest attribute (1.2.840.113549.1.9.4) whose one value is
  // `expected_message_digest` — SM3 of the data, or a PDF's ByteRange digest
  // (docs/protocol.md "PDF orders") — then e = SM3(Z_A ‖ signed attributes).
  // kBadEncoding when the attributes are not such a SET; kInvalidArgument
  // when the messageDigest differs or is missing.
  Result<crypto::Digest> signed_attributes_digest(ByteView signed_attributes,
                                                  const crypto::Digest& expected_message_digest);

  // Enrollment. kBadState if already enrolled. The round survives a failed
  // complete (bad response, bad PIN format, storage error) until it succeeds,
  // begin_enrollment is called again or cancel().
  Result<std::string> begin_enrollment(std::string holder_id);
  Status complete_enrollment(std::string_view keygen_response_json, std::string_view pin);

  // Signing (see above). 1..kMaxSessionItems digests; ids must not be empty.
  Result<std::string> begin_signing(std::string order_id, std::string session_id,
                                    std::vector<crypto::Digest> digests, std::string_view pin);
  // `answer`: the service's answer to the session start — its 201 body
  // ({"items":[{r,s2,s3}…], "attempts_left"…}) or its error body. A body that
  // does not parse leaves the session usable (nothing computed).
  Result<SigningResult> complete_signing(std::string_view answer);

  // The service's error answer (any call) as an Error with the code's
  // ErrorCode; it also sets last_attempts_left(). kBadEncoding when `body`
  // is not an error answer.
  Error service_error(std::string_view body);
  // Attempts left as the service last said (an error answer or a session
  // start); -1 when it did not say.
  int last_attempts_left() const;

  // Share refresh and PIN change (see above). refresh_id: 1 to 64 characters
  // of [A-Za-z0-9_-] (the service asks 8 or more).
  Result<std::string> begin_refresh(std::string refresh_id, std::string_view pin);
  Result<std::string> begin_pin_change(std::string refresh_id, std::string_view old_pin);
  // `answer`: the service's answer to the refresh request — its 201 body
  // ({"refresh_id","response":{proof}}), the bare response ({"proof"}) or its
  // error body. Returns the confirm ({"proof"}).
  Result<std::string> complete_refresh(std::string_view answer, std::string_view new_pin);
  // The id of the refresh awaiting acknowledgement, if any.
  Result<std::optional<std::string>> pending_refresh();
  // The confirm of the pending refresh again, with the PIN the new state was
  // wrapped under (a wrong one gives a confirm the service refuses, counted).
  Result<std::string> confirm_pending_refresh(std::string_view pin);
  Status acknowledge_refresh();
  Status abandon_refresh();

  // The PIN proof that guards the holder's handwritten signature
  // (docs/protocol.md §6.1). `challenge`: the service's answer to
  // POST /app/v1/handwritten-signature/pin-challenges ({"challenge_id",
  // "operation",…}) or its error body (then that error, as service_error()).
  // `png`: the image to upload for a "put" challenge, empty for "get" and
  // "delete" (kInvalidArgument otherwise): the proof binds its SM3. Returns
  // the value of the Duet-Pin-Proof header. A wrong PIN gives a proof the
  // service refuses (counted); nothing is kept.
  Result<std::string> handwriting_pin_proof(std::string_view challenge, std::string_view pin, ByteView png = {});

  // Drops any round in progress (enrollment, signing, refresh request).
  void cancel();
  // Erases the stored state (wiped) and any round in progress.
  Status forget();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::client
