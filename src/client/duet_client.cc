// The C ABI over HolderClient. Every entry point is noexcept and catches
// everything: nlohmann's exceptions become DUET_ERR_BAD_ENCODING,
// std::bad_alloc DUET_ERR_OUT_OF_MEMORY, anything else DUET_ERR_INTERNAL.
#include "client/duet_client.h"

#include <cstring>
#include <mutex>
#include <optional>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/holder_client.h"

using duet::ErrorCode;
using duet::client::HolderClient;

// The codes are -ErrorCode; a new ErrorCode needs a new duet_status.
static_assert(DUET_ERR_BAD_ENCODING == -static_cast<int>(ErrorCode::kBadEncoding));
static_assert(DUET_ERR_BAD_SCALAR == -static_cast<int>(ErrorCode::kBadScalar));
static_assert(DUET_ERR_BAD_POINT == -static_cast<int>(ErrorCode::kBadPoint));
static_assert(DUET_ERR_BAD_PROOF == -static_cast<int>(ErrorCode::kBadProof));
static_assert(DUET_ERR_SIGNATURE_INVALID == -static_cast<int>(ErrorCode::kSignatureInvalid));
static_assert(DUET_ERR_RETRY == -static_cast<int>(ErrorCode::kRetry));
static_assert(DUET_ERR_BAD_STATE == -static_cast<int>(ErrorCode::kBadState));
static_assert(DUET_ERR_UNSUPPORTED_VERSION == -static_cast<int>(ErrorCode::kUnsupportedVersion));
static_assert(DUET_ERR_INVALID_ARGUMENT == -static_cast<int>(ErrorCode::kInvalidArgument));
static_assert(DUET_ERR_CRYPTO_FAILURE == -static_cast<int>(ErrorCode::kCryptoFailure));
static_assert(DUET_ERR_LOCKED == -static_cast<int>(ErrorCode::kLocked));
static_assert(DUET_ERR_INTERNAL == -static_cast<int>(ErrorCode::kInternal));
static_assert(DUET_ERR_NOT_FOUND == -static_cast<int>(ErrorCode::kNotFound));
static_assert(DUET_ERR_CONFLICT == -static_cast<int>(ErrorCode::kConflict));
static_assert(DUET_ERR_UNAUTHENTICATED == -static_cast<int>(ErrorCode::kUnauthenticated));
static_assert(DUET_ERR_FORBIDDEN == -static_cast<int>(ErrorCode::kForbidden));
static_assert(DUET_ERR_SERVICE_NOT_ACTIVE == -static_cast<int>(ErrorCode::kServiceNotActive));
static_assert(DUET_ERR_TENANT_SUSPENDED == -static_cast<int>(ErrorCode::kTenantSuspended));
static_assert(DUET_ERR_PAYLOAD_TOO_LARGE == -static_cast<int>(ErrorCode::kPayloadTooLarge));
static_assert(DUET_ERR_RATE_LIMITED == -static_cast<int>(ErrorCode::kRateLimited));
static_assert(DUET_ERR_QUOTA_EXHAUSTED == -static_cast<int>(ErrorCode::kQuotaExhausted));
static_assert(DUET_ERR_UNAVAILABLE == -static_cast<int>(ErrorCode::kUnavailable));
static_assert(DUET_ERR_EXPIRED == -static_cast<int>(ErrorCode::kExpired));
static_assert(DUET_ERR_IDENTITY_REJECTED == -static_cast<int>(ErrorCode::kIdentityRejected));
static_assert(DUET_ERR_PIN_INVALID == -static_cast<int>(ErrorCode::kPinInvalid));
static_assert(DUET_ERR_CLIENT_UPGRADE_REQUIRED == -static_cast<int>(ErrorCode::kClientUpgradeRequired));
static_assert(DUET_ERR_REFRESH_REQUIRED == -static_cast<int>(ErrorCode::kRefreshRequired));
// The last ErrorCode: a new one needs a new duet_status (and this bumped).
static_assert(static_cast<int>(ErrorCode::kRefreshRequired) == 27, "ErrorCode changed: extend duet_status");
constexpr int kLastMirroredStatus = DUET_ERR_REFRESH_REQUIRED;

struct duet_client {
  explicit duet_client(std::unique_ptr<duet::client::StateStore> store) : client(std::move(store)) {}
  HolderClient client;
  std::string last_error;
  // The outputs of the last successful complete_signing (public values:
  // the finish body and the signatures), until the next begin_signing.
  std::optional<duet::client::SigningResult> signed_session;
  std::mutex mu;
};

namespace {

int fail(duet_client* h, int code, const char* message) noexcept {
  try {
    h->last_error = message;
  } catch (...) {
    h->last_error.clear();
  }
  return code;
}

int fail(duet_client* h, const duet::Error& e) noexcept {
  try {
    h->last_error = e.to_string();
  } catch (...) {
    h->last_error.clear();
  }
  return -static_cast<int>(e.code);
}

template <typename T>
int check(duet_client* h, const T& result) noexcept {
  if (result.ok()) return DUET_OK;
  return fail(h, result.error());
}

// Runs `body` under the handle's lock, with every exception mapped to a code.
template <typename F>
int guarded(duet_client* h, F&& body) noexcept {
  if (h == nullptr) return DUET_ERR_INVALID_ARGUMENT;
  try {
    std::lock_guard<std::mutex> lock(h->mu);
    h->last_error.clear();
    return body();
  } catch (const nlohmann::json::exception&) {
    return fail(h, DUET_ERR_BAD_ENCODING, "bad_encoding: malformed JSON");
  } catch (const std::bad_alloc&) {
    return fail(h, DUET_ERR_OUT_OF_MEMORY, "out_of_memory");
  } catch (const std::exception&) {
    return fail(h, DUET_ERR_INTERNAL, "internal: unexpected exception");
  } catch (...) {
    return fail(h, DUET_ERR_INTERNAL, "internal: unexpected exception");
  }
}

int write_bytes(duet_client* h, const void* data, size_t size, bool nul, void* out, size_t* out_len) {
  if (out_len == nullptr) return fail(h, DUET_ERR_INVALID_ARGUMENT, "invalid_argument: output length is NULL");
  size_t need = size + (nul ? 1 : 0);
  if (out == nullptr || *out_len < need) {
    *out_len = need;
    return fail(h, DUET_ERR_BUFFER_TOO_SMALL, "buffer_too_small: see the length for the size needed");
  }
  if (size != 0) std::memcpy(out, data, size);
  if (nul) static_cast<char*>(out)[size] = '\0';
  *out_len = size;
  return DUET_OK;
}

int write_string(duet_client* h, const std::string& s, char* out, size_t* out_len) {
  return write_bytes(h, s.data(), s.size(), true, out, out_len);
}

// Checks a buffer against a fixed requirement before a one-shot operation.
int require_capacity(duet_client* h, const void* out, size_t* out_len, size_t need, bool* too_small) {
  if (out_len == nullptr) return fail(h, DUET_ERR_INVALID_ARGUMENT, "invalid_argument: output length is NULL");
  if (out == nullptr || *out_len < need) {
    *out_len = need;
    *too_small = true;
  }
  return DUET_OK;
}

int null_argument(duet_client* h, const char* what) {
  return fail(h, DUET_ERR_INVALID_ARGUMENT, (std::string("invalid_argument: ") + what + " is NULL").c_str());
}

duet_client* make_client(std::unique_ptr<duet::client::StateStore> store) noexcept {
  try {
    return new duet_client(std::move(store));
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

extern "C" {

const char* duet_status_name(int status) {
  switch (status) {
    case DUET_OK: return "ok";
    case DUET_ERR_BUFFER_TOO_SMALL: return "buffer_too_small";
    case DUET_ERR_OUT_OF_MEMORY: return "out_of_memory";
    default: break;
  }
  if (status < 0 && status >= kLastMirroredStatus) {
    return duet::error_code_name(static_cast<ErrorCode>(-status)).data();  // static storage, NUL-terminated
  }
  return "unknown";
}

duet_client* duet_client_new_file(const char* path) {
  if (path == nullptr || *path == '\0') return nullptr;
  try {
    return make_client(std::make_unique<duet::client::FileStateStore>(path));
  } catch (...) {
    return nullptr;
  }
}

duet_client* duet_client_new_memory(void) {
  try {
    return make_client(std::make_unique<duet::client::MemoryStateStore>());
  } catch (...) {
    return nullptr;
  }
}

void duet_client_free(duet_client* h) { delete h; }

const char* duet_client_last_error(const duet_client* h) {
  if (h == nullptr) return "invalid_argument: NULL handle";
  return h->last_error.c_str();
}

int duet_client_attempts_left(const duet_client* h) {
  if (h == nullptr) return -1;
  return h->client.last_attempts_left();
}

int duet_client_service_error(duet_client* h, const char* body) {
  return guarded(h, [&]() -> int {
    if (body == nullptr) return null_argument(h, "body");
    return fail(h, h->client.service_error(body));
  });
}

int duet_client_set_kdf_iterations(duet_client* h, uint32_t iterations) {
  return guarded(h, [&]() -> int { return check(h, h->client.set_kdf_iterations(iterations)); });
}

int duet_client_is_enrolled(duet_client* h, int* enrolled) {
  return guarded(h, [&]() -> int {
    if (enrolled == nullptr) return null_argument(h, "enrolled");
    auto r = h->client.is_enrolled();
    if (!r.ok()) return fail(h, r.error());
    *enrolled = *r ? 1 : 0;
    return DUET_OK;
  });
}

int duet_client_holder_id(duet_client* h, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    auto r = h->client.holder_id();
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, out, out_len);
  });
}

int duet_client_public_key_pem(duet_client* h, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    auto r = h->client.public_key_pem();
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, out, out_len);
  });
}

int duet_client_message_digest(duet_client* h, const uint8_t* message, size_t message_len,
                               uint8_t e_out[DUET_DIGEST_SIZE]) {
  return guarded(h, [&]() -> int {
    if (message == nullptr && message_len != 0) return null_argument(h, "message");
    if (e_out == nullptr) return null_argument(h, "e_out");
    auto r = h->client.message_digest(duet::ByteView(message, message == nullptr ? 0 : message_len));
    if (!r.ok()) return fail(h, r.error());
    std::memcpy(e_out, r->data(), r->size());
    return DUET_OK;
  });
}

int duet_client_forget(duet_client* h) {
  return guarded(h, [&]() -> int { return check(h, h->client.forget()); });
}

int duet_client_cancel(duet_client* h) {
  return guarded(h, [&]() -> int {
    h->client.cancel();
    h->signed_session.reset();
    return DUET_OK;
  });
}

int duet_client_begin_enrollment(duet_client* h, const char* holder_id, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    if (holder_id == nullptr) return null_argument(h, "holder_id");
    auto r = h->client.begin_enrollment(holder_id);
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, out, out_len);
  });
}

int duet_client_complete_enrollment(duet_client* h, const char* response_json, const char* pin) {
  return guarded(h, [&]() -> int {
    if (response_json == nullptr) return null_argument(h, "response_json");
    if (pin == nullptr) return null_argument(h, "pin");
    return check(h, h->client.complete_enrollment(response_json, pin));
  });
}

int duet_client_begin_signing(duet_client* h, const char* order_id, const char* session_id, const uint8_t* digests,
                              size_t digest_count, const char* pin, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    h->signed_session.reset();
    if (order_id == nullptr) return null_argument(h, "order_id");
    if (session_id == nullptr) return null_argument(h, "session_id");
    if (digests == nullptr) return null_argument(h, "digests");
    if (pin == nullptr) return null_argument(h, "pin");
    if (digest_count == 0 || digest_count > DUET_SIGN_MAX_ITEMS) {
      return fail(h, DUET_ERR_INVALID_ARGUMENT, "invalid_argument: 1 to DUET_SIGN_MAX_ITEMS digests");
    }
    // Checked first: the PIN unwrap (PBKDF2) runs once per call.
    bool too_small = false;
    const size_t need = DUET_SIGN_REQUEST_MAX(digest_count);
    if (int rc = require_capacity(h, out, out_len, need, &too_small); rc != DUET_OK) return rc;
    if (too_small) return fail(h, DUET_ERR_BUFFER_TOO_SMALL, "buffer_too_small: needs DUET_SIGN_REQUEST_MAX(k) bytes");
    std::vector<duet::crypto::Digest> es(digest_count);
    for (size_t i = 0; i < digest_count; ++i) std::memcpy(es[i].data(), digests + i * DUET_DIGEST_SIZE, DUET_DIGEST_SIZE);
    auto r = h->client.begin_signing(order_id, session_id, std::move(es), pin);
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, out, out_len);
  });
}

int duet_client_complete_signing(duet_client* h, const char* answer_json) {
  return guarded(h, [&]() -> int {
    h->signed_session.reset();
    if (answer_json == nullptr) return null_argument(h, "answer_json");
    auto r = h->client.complete_signing(answer_json);
    if (!r.ok()) return fail(h, r.error());
    h->signed_session.emplace(std::move(*r));
    return DUET_OK;
  });
}

int duet_client_sign_finish(duet_client* h, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    if (!h->signed_session) return fail(h, DUET_ERR_BAD_STATE, "bad_state: no signed session");
    return write_string(h, h->signed_session->finish_json, out, out_len);
  });
}

int duet_client_signature_count(duet_client* h, size_t* count) {
  return guarded(h, [&]() -> int {
    if (count == nullptr) return null_argument(h, "count");
    if (!h->signed_session) return fail(h, DUET_ERR_BAD_STATE, "bad_state: no signed session");
    *count = h->signed_session->signatures_der.size();
    return DUET_OK;
  });
}

int duet_client_signature_der(duet_client* h, size_t index, uint8_t* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    if (!h->signed_session) return fail(h, DUET_ERR_BAD_STATE, "bad_state: no signed session");
    const auto& sigs = h->signed_session->signatures_der;
    if (index >= sigs.size()) return fail(h, DUET_ERR_INVALID_ARGUMENT, "invalid_argument: no signature at index");
    return write_bytes(h, sigs[index].data(), sigs[index].size(), false, out, out_len);
  });
}

int duet_client_begin_refresh(duet_client* h, const char* refresh_id, const char* pin, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    if (refresh_id == nullptr) return null_argument(h, "refresh_id");
    if (pin == nullptr) return null_argument(h, "pin");
    auto r = h->client.begin_refresh(refresh_id, pin);
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, out, out_len);
  });
}

int duet_client_handwriting_pin_proof(duet_client* h, const char* challenge_json, const uint8_t* png, size_t png_len,
                                      const char* pin, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    if (challenge_json == nullptr) return null_argument(h, "challenge_json");
    if (pin == nullptr) return null_argument(h, "pin");
    if (png == nullptr && png_len != 0) return null_argument(h, "png");
    auto r = h->client.handwriting_pin_proof(challenge_json, pin,
                                             png == nullptr ? duet::ByteView() : duet::ByteView(png, png_len));
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, out, out_len);
  });
}

int duet_client_begin_pin_change(duet_client* h, const char* refresh_id, const char* old_pin, char* out,
                                 size_t* out_len) {
  return guarded(h, [&]() -> int {
    if (refresh_id == nullptr) return null_argument(h, "refresh_id");
    if (old_pin == nullptr) return null_argument(h, "old_pin");
    auto r = h->client.begin_pin_change(refresh_id, old_pin);
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, out, out_len);
  });
}

int duet_client_complete_refresh(duet_client* h, const char* answer_json, const char* new_pin, char* confirm_out,
                                 size_t* confirm_len) {
  return guarded(h, [&]() -> int {
    if (answer_json == nullptr) return null_argument(h, "answer_json");
    if (new_pin == nullptr) return null_argument(h, "new_pin");
    bool too_small = false;
    if (int rc = require_capacity(h, confirm_out, confirm_len, DUET_MESSAGE_MAX, &too_small); rc != DUET_OK) {
      return rc;
    }
    if (too_small) return fail(h, DUET_ERR_BUFFER_TOO_SMALL, "buffer_too_small: needs DUET_MESSAGE_MAX bytes");
    auto r = h->client.complete_refresh(answer_json, new_pin);
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, confirm_out, confirm_len);
  });
}

int duet_client_refresh_pending(duet_client* h, int* pending) {
  return guarded(h, [&]() -> int {
    if (pending == nullptr) return null_argument(h, "pending");
    auto r = h->client.pending_refresh();
    if (!r.ok()) return fail(h, r.error());
    *pending = r->has_value() ? 1 : 0;
    return DUET_OK;
  });
}

int duet_client_pending_refresh_id(duet_client* h, char* out, size_t* out_len) {
  return guarded(h, [&]() -> int {
    auto r = h->client.pending_refresh();
    if (!r.ok()) return fail(h, r.error());
    if (!r->has_value()) return fail(h, DUET_ERR_BAD_STATE, "bad_state: no refresh pending");
    return write_string(h, **r, out, out_len);
  });
}

int duet_client_confirm_pending_refresh(duet_client* h, const char* pin, char* confirm_out, size_t* confirm_len) {
  return guarded(h, [&]() -> int {
    if (pin == nullptr) return null_argument(h, "pin");
    bool too_small = false;
    if (int rc = require_capacity(h, confirm_out, confirm_len, DUET_MESSAGE_MAX, &too_small); rc != DUET_OK) {
      return rc;
    }
    if (too_small) return fail(h, DUET_ERR_BUFFER_TOO_SMALL, "buffer_too_small: needs DUET_MESSAGE_MAX bytes");
    auto r = h->client.confirm_pending_refresh(pin);
    if (!r.ok()) return fail(h, r.error());
    return write_string(h, *r, confirm_out, confirm_len);
  });
}

int duet_client_acknowledge_refresh(duet_client* h) {
  return guarded(h, [&]() -> int { return check(h, h->client.acknowledge_refresh()); });
}

int duet_client_abandon_refresh(duet_client* h) {
  return guarded(h, [&]() -> int { return check(h, h->client.abandon_refresh()); });
}

}  // extern "C"
