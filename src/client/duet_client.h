/* Duet holder SDK: the device role of the two-party SM2 co-signature
 * (protocol v2), as a plain C ABI (C99). The same API as
 * client/holder_client.h; read that file for the protocol sequences
 * (enrollment, signing, share refresh, PIN change).
 *
 * ABI 1 (SONAME libduet_client.so.1) replaced ABI 0: signing is one session
 * per order with a PIN proof, the service's refusals have codes of their own
 * (DUET_ERR_PIN_INVALID with duet_client_attempts_left, DUET_ERR_LOCKED,
 * DUET_ERR_CLIENT_UPGRADE_REQUIRED, DUET_ERR_REFRESH_REQUIRED), and a PIN
 * change is a share refresh (duet_client_begin_pin_change); the local
 * duet_client_change_pin is gone.
 *
 * Conventions
 *  - Every function returning int returns DUET_OK (0) or a negative
 *    duet_status. No C++ exception ever crosses this boundary.
 *  - After a failure, duet_client_last_error(h) describes it (never with a
 *    secret); the text stays valid until the next call on the same handle.
 *  - String outputs: `char* out, size_t* out_len`. On entry *out_len is the
 *    capacity of `out` in bytes. On success the string is written with its
 *    terminating NUL and *out_len is set to its length without the NUL. When
 *    the capacity is too small (out may then be NULL), nothing is written,
 *    DUET_ERR_BUFFER_TOO_SMALL is returned and *out_len is set to the capacity
 *    needed, NUL included. Calling again with that capacity succeeds.
 *    Byte outputs (`uint8_t* out, size_t* out_len`) work the same without NUL.
 *  - Messages are the JSON of the protocol (cosign/wire.h), to be carried to
 *    the service by any transport. DUET_MESSAGE_MAX bytes suffice for every
 *    message but a signing session's (DUET_SIGN_REQUEST_MAX(k)).
 *  - Calls that unwrap the share with the PIN or finish a round that cannot
 *    be repeated check their buffers BEFORE doing anything
 *    (duet_client_begin_signing, duet_client_complete_refresh,
 *    duet_client_confirm_pending_refresh) and report the size they need when
 *    given less.
 *  - The service's answers (its bodies, successes and errors alike) are
 *    handed to the SDK as they came: an error answer
 *    {"error":{"code",...}} becomes the status of its code (see
 *    duet_client_service_error).
 *  - PINs are NUL-terminated UTF-8 strings of 4..64 bytes. The SDK never keeps
 *    or logs them; the caller should wipe its copy after the call.
 *  - One handle must not be used by two threads at once (calls on one handle
 *    are serialized by a lock, but interleaved rounds would confuse each
 *    other). Distinct handles are independent.
 */
#ifndef DUET_CLIENT_H
#define DUET_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define DUET_CLIENT_API
#else
#define DUET_CLIENT_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. DUET_ERR_BAD_ENCODING .. DUET_ERR_REFRESH_REQUIRED are
 * -duet::ErrorCode (base/error.h) and carry its meaning; the last two are the
 * ABI's own. -13 .. -27 come from the service's error answers. */
typedef enum duet_status {
  DUET_OK = 0,
  DUET_ERR_BAD_ENCODING = -1,       /* malformed JSON / hex / lengths in a message */
  DUET_ERR_BAD_SCALAR = -2,         /* a scalar out of range in a message */
  DUET_ERR_BAD_POINT = -3,          /* an invalid curve point in a message */
  DUET_ERR_BAD_PROOF = -4,          /* the service's proof does not verify */
  DUET_ERR_SIGNATURE_INVALID = -5,  /* a signature does not verify (a tampered answer); nothing released */
  DUET_ERR_RETRY = -6,              /* s = 0 (~2^-256): begin signing again with a new session */
  DUET_ERR_BAD_STATE = -7,          /* out of order, not enrolled, already enrolled, refresh pending,
                                       or a stored state that does not parse */
  DUET_ERR_UNSUPPORTED_VERSION = -8,/* stored state written by a newer SDK */
  DUET_ERR_INVALID_ARGUMENT = -9,   /* NULL handle/argument, bad PIN format, empty id, no digests */
  DUET_ERR_CRYPTO_FAILURE = -10,    /* the crypto library failed internally */
  DUET_ERR_LOCKED = -11,            /* the service: too many wrong PINs; the business system must unlock */
  DUET_ERR_INTERNAL = -12,          /* anything else, including state file I/O errors */
  DUET_ERR_NOT_FOUND = -13,         /* the service: no such order, session or refresh */
  DUET_ERR_CONFLICT = -14,          /* the service: wrong state, a used id, already confirmed */
  DUET_ERR_UNAUTHENTICATED = -15,   /* the service: a bad or revoked device token */
  DUET_ERR_FORBIDDEN = -16,
  DUET_ERR_SERVICE_NOT_ACTIVE = -17,
  DUET_ERR_TENANT_SUSPENDED = -18,
  DUET_ERR_PAYLOAD_TOO_LARGE = -19,
  DUET_ERR_RATE_LIMITED = -20,
  DUET_ERR_QUOTA_EXHAUSTED = -21,
  DUET_ERR_UNAVAILABLE = -22,
  DUET_ERR_EXPIRED = -23,           /* the service: the order or the refresh expired */
  DUET_ERR_IDENTITY_REJECTED = -24,
  DUET_ERR_PIN_INVALID = -25,       /* the service refused the PIN (counted); see duet_client_attempts_left */
  DUET_ERR_CLIENT_UPGRADE_REQUIRED = -26, /* the service no longer serves this protocol: update the app */
  DUET_ERR_REFRESH_REQUIRED = -27,  /* the key was unlocked: run a share refresh before signing again */
  DUET_ERR_BUFFER_TOO_SMALL = -100, /* *out_len now holds the size needed */
  DUET_ERR_OUT_OF_MEMORY = -101
} duet_status;

/* Enough for any protocol message JSON (with NUL) but a signing session's,
 * and for a DER signature. */
#define DUET_MESSAGE_MAX 1024
#define DUET_SIGNATURE_DER_MAX 72
#define DUET_DIGEST_SIZE 32
/* The most digests one signing session takes. */
#define DUET_SIGN_MAX_ITEMS 1000
/* Enough for the sign session request of k digests (with NUL). */
#define DUET_SIGN_REQUEST_MAX(k) ((size_t)512 + (size_t)384 * (size_t)(k))

typedef struct duet_client duet_client;

/* The stable snake_case name of a status ("ok", "signature_invalid",
 * "buffer_too_small", ...); "unknown" for other values. Never NULL. */
DUET_CLIENT_API const char* duet_status_name(int status);

/* A client whose state lives in the file at `path`, replaced atomically
 * (mode 0600; the previous content overwritten, see client/state_store.h).
 * The file is read on first use. Files `path`.pending and `path`.pending-info
 * left by ABI 0 are wiped and removed then (an unfinished ABI 0 refresh is
 * abandoned; the state at `path` stays in force). NULL when path is
 * NULL/empty or memory runs out. */
DUET_CLIENT_API duet_client* duet_client_new_file(const char* path);
/* A client whose state lives only in memory (lost on free). */
DUET_CLIENT_API duet_client* duet_client_new_memory(void);
/* Frees the handle and every secret it holds. NULL is ignored. */
DUET_CLIENT_API void duet_client_free(duet_client* h);
/* The last failure's message; "" after a success. Never NULL. */
DUET_CLIENT_API const char* duet_client_last_error(const duet_client* h);
/* The PIN attempts left as the service last said (in a pin_invalid answer or
 * a session start); -1 when it has not said, or for a NULL handle. */
DUET_CLIENT_API int duet_client_attempts_left(const duet_client* h);
/* Hands the SDK an error answer of the service (any call, any HTTP status):
 * returns the status of its code (DUET_ERR_PIN_INVALID, DUET_ERR_LOCKED,
 * DUET_ERR_CLIENT_UPGRADE_REQUIRED, DUET_ERR_REFRESH_REQUIRED, ...; an
 * unknown code is DUET_ERR_INTERNAL) with duet_client_last_error explaining
 * it, and records attempts_left. DUET_ERR_BAD_ENCODING when `body` is not an
 * error answer. Rounds in progress are not touched. */
DUET_CLIENT_API int duet_client_service_error(duet_client* h, const char* body);

/* PBKDF2 iterations for wrapping the share under the PIN (default 100000,
 * at least 1000). Applies to later enrollments, refreshes and PIN changes. */
DUET_CLIENT_API int duet_client_set_kdf_iterations(duet_client* h, uint32_t iterations);

/* ---- State ---------------------------------------------------------------- */
DUET_CLIENT_API int duet_client_is_enrolled(duet_client* h, int* enrolled);
DUET_CLIENT_API int duet_client_holder_id(duet_client* h, char* out, size_t* out_len);
/* The joint public key P as a PEM SubjectPublicKeyInfo. */
DUET_CLIENT_API int duet_client_public_key_pem(duet_client* h, char* out, size_t* out_len);
/* e = SM3(Z_A || M) for `message` under the enrolled key (default ID
 * "1234567812345678"); writes DUET_DIGEST_SIZE bytes to e_out. message may be
 * NULL when message_len is 0. */
DUET_CLIENT_API int duet_client_message_digest(duet_client* h, const uint8_t* message, size_t message_len,
                                               uint8_t e_out[DUET_DIGEST_SIZE]);
/* Erases (wipes) the stored state: the key becomes unusable on this device. */
DUET_CLIENT_API int duet_client_forget(duet_client* h);
/* Drops any round in progress. */
DUET_CLIENT_API int duet_client_cancel(duet_client* h);

/* ---- Enrollment ----------------------------------------------------------- */
/* Writes the keygen request JSON. DUET_ERR_BAD_STATE when already enrolled. */
DUET_CLIENT_API int duet_client_begin_enrollment(duet_client* h, const char* holder_id, char* out, size_t* out_len);
/* Verifies the service's keygen response, wraps the share under the PIN and
 * saves the state. */
DUET_CLIENT_API int duet_client_complete_enrollment(duet_client* h, const char* response_json, const char* pin);

/* ---- Signing: one session per order ------------------------------------------
 * 1. begin_signing(order, session, e_1..e_k, pin) -> session request
 *    {"items":[...],"pin_proof":{...}}; send it with the session id
 *    (POST /app/v1/orders/{id}/sessions {"session_id","items","pin_proof"}).
 * 2. complete_signing(answer): the service's answer as it came. For an error
 *    answer the status of its code is returned (DUET_ERR_PIN_INVALID: a wrong
 *    PIN, counted, see duet_client_attempts_left; DUET_ERR_LOCKED;
 *    DUET_ERR_CLIENT_UPGRADE_REQUIRED; DUET_ERR_REFRESH_REQUIRED) and the
 *    session is over. For its items r, s2, s3 every signature is computed
 *    and checked under P: all or none (DUET_ERR_SIGNATURE_INVALID for a
 *    tampered answer). Once an answer parses, the session is used up
 *    whatever the outcome; an answer that does not parse leaves it usable.
 * 3. duet_client_sign_finish -> the finish body {"items":[{"s"}...]} to send
 *    (POST .../sessions/{sid}/finish); duet_client_signature_der -> the DER
 *    signature of item i. Both stay readable until the next begin_signing,
 *    cancel or free. */
/* digests: digest_count * DUET_DIGEST_SIZE bytes, e_1 first (1 ..
 * DUET_SIGN_MAX_ITEMS of them). Needs *out_len >= DUET_SIGN_REQUEST_MAX(k),
 * checked before the PIN is used. */
DUET_CLIENT_API int duet_client_begin_signing(duet_client* h, const char* order_id, const char* session_id,
                                              const uint8_t* digests, size_t digest_count, const char* pin,
                                              char* out, size_t* out_len);
DUET_CLIENT_API int duet_client_complete_signing(duet_client* h, const char* answer_json);
/* After a successful complete_signing: the finish body, the number of
 * signatures and signature i (DER, at most DUET_SIGNATURE_DER_MAX bytes).
 * DUET_ERR_BAD_STATE when there is none. */
DUET_CLIENT_API int duet_client_sign_finish(duet_client* h, char* out, size_t* out_len);
DUET_CLIENT_API int duet_client_signature_count(duet_client* h, size_t* count);
DUET_CLIENT_API int duet_client_signature_der(duet_client* h, size_t index, uint8_t* out, size_t* out_len);

/* ---- Share refresh -----------------------------------------------------------
 * 1. begin_refresh(refresh_id, pin) -> request; send it
 *    (POST /app/v1/key/refreshes {"refresh_id","request"}).
 * 2. complete_refresh(answer, new_pin) -> confirm. The service's proof is
 *    verified, then the NEW state replaces the old one on the store, as a
 *    pending record holding only the refresh id and the new wrap (the old
 *    state is wiped: never two wraps, never a proof or rho on the device).
 * 3. Send the confirm (POST /app/v1/key/refreshes/{id}/confirm {"confirm"}).
 *    A refused one: hand the answer to duet_client_service_error
 *    (DUET_ERR_PIN_INVALID for a wrong PIN, counted).
 * 4. acknowledge_refresh once the service accepted it: the pending record
 *    becomes the plain state.
 * After a restart: refresh_pending / pending_refresh_id tell, and
 * confirm_pending_refresh(pin) makes the confirm again from the new state
 * (pin: the PIN it was wrapped under, i.e. the new PIN of a PIN change).
 * abandon_refresh: back to the old state, possible only with the same handle
 * since complete_refresh (the old state then lives in memory only) and right
 * only when the service refused the refresh for good (expired, unknown id);
 * otherwise DUET_ERR_BAD_STATE (the device must confirm, or re-enroll).
 * Signing and a new refresh fail with DUET_ERR_BAD_STATE while a refresh is
 * pending. */
DUET_CLIENT_API int duet_client_begin_refresh(duet_client* h, const char* refresh_id, const char* pin, char* out,
                                              size_t* out_len);
/* answer_json: the service's answer to the request as it came (its 201 body
 * {"refresh_id","response"}, the bare response, or an error answer). Needs
 * *confirm_len >= DUET_MESSAGE_MAX. new_pin may equal the old PIN. */
DUET_CLIENT_API int duet_client_complete_refresh(duet_client* h, const char* answer_json, const char* new_pin,
                                                 char* confirm_out, size_t* confirm_len);
/* *pending = 1 when a refresh awaits acknowledgement, else 0. */
DUET_CLIENT_API int duet_client_refresh_pending(duet_client* h, int* pending);
/* The pending refresh's id. DUET_ERR_BAD_STATE if none. */
DUET_CLIENT_API int duet_client_pending_refresh_id(duet_client* h, char* out, size_t* out_len);
/* The pending refresh's confirm, made again. Needs *confirm_len >=
 * DUET_MESSAGE_MAX. */
DUET_CLIENT_API int duet_client_confirm_pending_refresh(duet_client* h, const char* pin, char* confirm_out,
                                                        size_t* confirm_len);
DUET_CLIENT_API int duet_client_acknowledge_refresh(duet_client* h);
DUET_CLIENT_API int duet_client_abandon_refresh(duet_client* h);

/* ---- PIN change = a share refresh with the new PIN ---------------------------
 * Never a local re-wrap: two wraps of one share under two PINs (an old copy
 * in a backup) allow an offline test of both. begin_pin_change(refresh_id,
 * old_pin) -> request (the service checks the old PIN, counted); then
 * complete_refresh(answer, NEW pin), the confirm and acknowledge_refresh as
 * above. */
DUET_CLIENT_API int duet_client_begin_pin_change(duet_client* h, const char* refresh_id, const char* old_pin,
                                                 char* out, size_t* out_len);

/* ---- The handwritten signature's PIN proof (docs/protocol.md §6.1) ----------
 * Every operation on the holder's handwritten signature (PUT, GET, DELETE
 * /app/v1/handwritten-signature) is a PIN use: once the PIN is entered, POST
 * /app/v1/handwritten-signature/pin-challenges {"operation"} (one attempt
 * counted), then this with its answer as it came (an error answer gives its
 * code, as duet_client_service_error) and, for "put", the PNG exactly as it
 * will be sent (png NULL and png_len 0 for "get" and "delete"). The output is
 * the value of the Duet-Pin-Proof header of the request. A wrong PIN gives a
 * proof the service refuses (DUET_ERR_PIN_INVALID, counted). */
DUET_CLIENT_API int duet_client_handwriting_pin_proof(duet_client* h, const char* challenge_json, const uint8_t* png,
                                                      size_t png_len, const char* pin, char* out, size_t* out_len);

#ifdef __cplusplus
}
#endif

#endif /* DUET_CLIENT_H */
