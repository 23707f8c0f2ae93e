/* Duet holder SDK: the device role of the two-party SM2 co-signature, as a
 * plain C ABI (C99). The same API as client/holder_client.h; read that file for
 * the protocol sequences (enrollment, signing, share refresh).
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
 *    the service by any transport. DUET_MESSAGE_MAX bytes always suffice.
 *  - duet_client_complete_signing and duet_client_complete_refresh finish a
 *    round that cannot be repeated, so they check their buffers BEFORE doing
 *    anything: they need DUET_MESSAGE_MAX (and DUET_SIGNATURE_DER_MAX) bytes,
 *    and report those sizes when given less.
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

/* Status codes. DUET_ERR_BAD_ENCODING .. DUET_ERR_INTERNAL are
 * -duet::ErrorCode (base/error.h) and carry its meaning; the last two are the
 * ABI's own. */
typedef enum duet_status {
  DUET_OK = 0,
  DUET_ERR_BAD_ENCODING = -1,       /* malformed JSON / hex / lengths in a message */
  DUET_ERR_BAD_SCALAR = -2,         /* a scalar out of range in a message */
  DUET_ERR_BAD_POINT = -3,          /* an invalid curve point in a message */
  DUET_ERR_BAD_PROOF = -4,          /* the service's proof does not verify */
  DUET_ERR_SIGNATURE_INVALID = -5,  /* the signature does not verify (e.g. wrong PIN); nothing released */
  DUET_ERR_RETRY = -6,              /* s = 0 (~2^-256): begin signing again with a new session */
  DUET_ERR_BAD_STATE = -7,          /* out of order, not enrolled, already enrolled, refresh pending,
                                       or a stored state that does not parse */
  DUET_ERR_UNSUPPORTED_VERSION = -8,/* stored state written by a newer SDK */
  DUET_ERR_INVALID_ARGUMENT = -9,   /* NULL handle/argument, bad PIN format, empty id, digest not 32 bytes */
  DUET_ERR_CRYPTO_FAILURE = -10,    /* the crypto library failed internally */
  DUET_ERR_LOCKED = -11,            /* (service-side) too many failed attempts */
  DUET_ERR_INTERNAL = -12,          /* anything else, including state file I/O errors */
  DUET_ERR_BUFFER_TOO_SMALL = -100, /* *out_len now holds the size needed */
  DUET_ERR_OUT_OF_MEMORY = -101
} duet_status;

/* Enough for any protocol message JSON (with NUL) and for a DER signature. */
#define DUET_MESSAGE_MAX 1024
#define DUET_SIGNATURE_DER_MAX 72
#define DUET_DIGEST_SIZE 32

typedef struct duet_client duet_client;

/* The stable snake_case name of a status ("ok", "signature_invalid",
 * "buffer_too_small", ...); "unknown" for other values. Never NULL. */
DUET_CLIENT_API const char* duet_status_name(int status);

/* A client whose state lives in the file at `path` (plus `path`.pending and
 * `path`.pending-info during a share refresh), written atomically with mode
 * 0600. The file is read on first use. NULL when path is NULL/empty or memory
 * runs out. */
DUET_CLIENT_API duet_client* duet_client_new_file(const char* path);
/* A client whose state lives only in memory (lost on free). */
DUET_CLIENT_API duet_client* duet_client_new_memory(void);
/* Frees the handle and every secret it holds. NULL is ignored. */
DUET_CLIENT_API void duet_client_free(duet_client* h);
/* The last failure's message; "" after a success. Never NULL. */
DUET_CLIENT_API const char* duet_client_last_error(const duet_client* h);

/* PBKDF2 iterations for wrapping the share under the PIN (default 100000,
 * at least 1000). Applies to later enrollments, PIN changes and refreshes. */
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
/* Erases the stored state (the key becomes unusable on this device). */
DUET_CLIENT_API int duet_client_forget(duet_client* h);
/* Drops any round in progress. */
DUET_CLIENT_API int duet_client_cancel(duet_client* h);

/* ---- Enrollment ----------------------------------------------------------- */
/* Writes the keygen request JSON. DUET_ERR_BAD_STATE when already enrolled. */
DUET_CLIENT_API int duet_client_begin_enrollment(duet_client* h, const char* holder_id, char* out, size_t* out_len);
/* Verifies the service's keygen response, wraps the share under the PIN and
 * saves the state. */
DUET_CLIENT_API int duet_client_complete_enrollment(duet_client* h, const char* response_json, const char* pin);

/* ---- Signing -------------------------------------------------------------- */
/* Writes the sign request JSON for digest e (exactly 32 bytes), bound to the
 * order and the session the service issued. */
DUET_CLIENT_API int duet_client_begin_signing(duet_client* h, const char* order_id, const char* session_id,
                                              const uint8_t* e, size_t e_len, const char* pin, char* out,
                                              size_t* out_len);
/* Combines the service's sign response; checks the signature under P; writes
 * the finish JSON (to send to the service) and the DER signature. Needs
 * *finish_len >= DUET_MESSAGE_MAX and *der_len >= DUET_SIGNATURE_DER_MAX.
 * DUET_ERR_SIGNATURE_INVALID for a wrong PIN (nothing is written). Once the
 * response parses, the round is used up whatever the outcome. */
DUET_CLIENT_API int duet_client_complete_signing(duet_client* h, const char* response_json, char* finish_out,
                                                 size_t* finish_len, uint8_t* der_out, size_t* der_len);

/* ---- PIN change (local) ----------------------------------------------------- */
/* A wrong old PIN is not detectable offline: the key then signs invalidly. */
DUET_CLIENT_API int duet_client_change_pin(duet_client* h, const char* old_pin, const char* new_pin);

/* ---- Share refresh ---------------------------------------------------------
 * 1. begin_refresh -> request; send it.
 * 2. complete_refresh(response, new_pin) -> confirm; the new state is saved as
 *    pending, the old one stays in force.
 * 3. Send the confirm until the service acknowledges it (it is idempotent;
 *    after a restart duet_client_pending_refresh_confirm gives it back).
 * 4. acknowledge_refresh: the new state replaces the old one.
 *    (abandon_refresh instead, only if the service refused the confirm.)
 * Signing, PIN change and a new refresh fail with DUET_ERR_BAD_STATE while a
 * refresh is pending. */
DUET_CLIENT_API int duet_client_begin_refresh(duet_client* h, const char* refresh_id, const char* pin, char* out,
                                              size_t* out_len);
/* Needs *confirm_len >= DUET_MESSAGE_MAX. new_pin may equal the old PIN. */
DUET_CLIENT_API int duet_client_complete_refresh(duet_client* h, const char* response_json, const char* new_pin,
                                                 char* confirm_out, size_t* confirm_len);
/* *pending = 1 when a refresh awaits acknowledgement, else 0. */
DUET_CLIENT_API int duet_client_refresh_pending(duet_client* h, int* pending);
/* The pending refresh's id and confirm JSON. DUET_ERR_BAD_STATE if none. */
DUET_CLIENT_API int duet_client_pending_refresh_id(duet_client* h, char* out, size_t* out_len);
DUET_CLIENT_API int duet_client_pending_refresh_confirm(duet_client* h, char* out, size_t* out_len);
DUET_CLIENT_API int duet_client_acknowledge_refresh(duet_client* h);
DUET_CLIENT_API int duet_client_abandon_refresh(duet_client* h);

#ifdef __cplusplus
}
#endif

#endif /* DUET_CLIENT_H */
