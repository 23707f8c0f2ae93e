// The device role of the protocol for the browser: client::HolderClient (the
// same C++ as the native SDK) behind a small C ABI that emscripten exports to
// JavaScript (web/app/src/device.js wraps it).
//
// Conventions (what device.js relies on):
//  - Every duet_web_* call that can fail returns 0 or −ErrorCode (base/error.h).
//    Its output — a message, the state, or on failure the error as JSON
//    {"code","message","attempts_left"} — is left in the handle's output
//    buffer: duet_web_out() / duet_web_out_len(), valid until the next call on
//    the handle; duet_web_out_clear() wipes it (JS calls it after copying).
//  - Strings come in as NUL-terminated UTF-8 in memory JS got from
//    duet_web_alloc. A PIN comes in as (pointer, length): this file wipes those
//    bytes as soon as the call that used them returns, and JS frees them with
//    duet_web_free_buf, which wipes again. The PIN is never copied elsewhere
//    by this layer (HolderClient takes a string_view).
//  - The device state lives in a StateStore that keeps the one blob in memory
//    (a SecretBytes, wiped on replace). duet_web_take_state() hands the blob to
//    JS after any call that changed it (JS encrypts it with its WebCrypto key
//    and replaces its one IndexedDB record); duet_web_set_state() gives it
//    back at start-up. Never two blobs: a save replaces (and wipes) the old.
#include <emscripten.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "client/holder_client.h"
#include "cosign/vectors.h"
#include "crypto/sm3.h"
#include "wasm/device_bench.h"

namespace {

using duet::ByteView;
using duet::SecretBytes;
using duet::client::HolderClient;

class WebStateStore final : public duet::client::StateStore {
 public:
  duet::Result<std::optional<SecretBytes>> load() override {
    if (!blob_) return std::optional<SecretBytes>();
    return std::optional<SecretBytes>(blob_->clone());
  }
  duet::Status save(ByteView blob) override {
    blob_.emplace(blob);
    changed_ = true;
    return duet::Status::Ok();
  }
  duet::Status erase() override {
    blob_.reset();
    changed_ = true;
    return duet::Status::Ok();
  }
  void set(ByteView blob) {
    if (blob.empty()) blob_.reset(); else blob_.emplace(blob);
    changed_ = false;
  }
  // True once after a save or erase.
  bool take_changed() {
    bool c = changed_;
    changed_ = false;
    return c;
  }
  const std::optional<SecretBytes>& blob() const { return blob_; }

 private:
  std::optional<SecretBytes> blob_;
  bool changed_ = false;
};

struct Handle {
  WebStateStore* store = nullptr;  // owned by client
  std::unique_ptr<HolderClient> client;
  SecretBytes out;
};

void set_out(Handle* h, std::string_view s) { h->out = SecretBytes(duet::as_bytes(s)); }
void set_out(Handle* h, ByteView b) { h->out = SecretBytes(b); }

int fail(Handle* h, const duet::Error& e) {
  nlohmann::json j = {{"code", std::string(duet::error_code_name(e.code))}, {"message", e.message}};
  if (e.attempts_left >= 0) j["attempts_left"] = e.attempts_left;
  set_out(h, j.dump());
  return -static_cast<int>(e.code);
}

template <typename T>
int emit(Handle* h, duet::Result<T>& r) {
  if (!r.ok()) return fail(h, r.error());
  set_out(h, std::string_view(*r));
  return 0;
}

int emit_status(Handle* h, const duet::Status& s) {
  if (!s.ok()) return fail(h, s.error());
  set_out(h, std::string_view("{}"));
  return 0;
}

std::string_view pin_view(const uint8_t* pin, size_t len) { return {reinterpret_cast<const char*>(pin), len}; }

// Wipes the PIN bytes JS handed in once the call that used them is over.
struct PinGuard {
  uint8_t* p;
  size_t n;
  ~PinGuard() {
    if (p != nullptr) duet::secure_wipe(p, n);
  }
};

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE void* duet_web_alloc(size_t n) { return std::calloc(n == 0 ? 1 : n, 1); }
EMSCRIPTEN_KEEPALIVE void duet_web_free_buf(void* p, size_t n) {
  if (p == nullptr) return;
  duet::secure_wipe(p, n);
  std::free(p);
}

EMSCRIPTEN_KEEPALIVE Handle* duet_web_new(uint32_t kdf_iterations) {
  auto store = std::make_unique<WebStateStore>();
  auto* h = new Handle;
  h->store = store.get();
  h->client = std::make_unique<HolderClient>(std::move(store));
  if (kdf_iterations != 0 && !h->client->set_kdf_iterations(kdf_iterations).ok()) {
    delete h;
    return nullptr;
  }
  return h;
}
EMSCRIPTEN_KEEPALIVE void duet_web_free(Handle* h) { delete h; }

EMSCRIPTEN_KEEPALIVE const uint8_t* duet_web_out(Handle* h) { return h->out.data(); }
EMSCRIPTEN_KEEPALIVE size_t duet_web_out_len(Handle* h) { return h->out.size(); }
EMSCRIPTEN_KEEPALIVE void duet_web_out_clear(Handle* h) { h->out = SecretBytes(); }

// The stored blob at start-up (before any other call). The input is wiped.
EMSCRIPTEN_KEEPALIVE int duet_web_set_state(Handle* h, uint8_t* blob, size_t len) {
  h->store->set(ByteView(blob, len));
  duet::secure_wipe(blob, len);
  return 0;
}
// 1 with the blob in the output (empty: erased) when a call since the last
// take saved or erased the state; 0 otherwise.
EMSCRIPTEN_KEEPALIVE int duet_web_take_state(Handle* h) {
  if (!h->store->take_changed()) return 0;
  if (h->store->blob()) set_out(h, h->store->blob()->view()); else h->out = SecretBytes();
  return 1;
}

// {"enrolled":bool,"holder_id","public_key_pem","public_key_hex","pending_refresh":id|null}
EMSCRIPTEN_KEEPALIVE int duet_web_info(Handle* h) {
  auto enrolled = h->client->is_enrolled();
  if (!enrolled.ok()) return fail(h, enrolled.error());
  nlohmann::json j = {{"enrolled", *enrolled}};
  if (*enrolled) {
    auto id = h->client->holder_id();
    auto pem = h->client->public_key_pem();
    auto hex = h->client->public_key_hex();
    auto pending = h->client->pending_refresh();
    if (!id.ok()) return fail(h, id.error());
    if (!pem.ok()) return fail(h, pem.error());
    if (!hex.ok()) return fail(h, hex.error());
    if (!pending.ok()) return fail(h, pending.error());
    j["holder_id"] = *id;
    j["public_key_pem"] = *pem;
    j["public_key_hex"] = *hex;
    j["pending_refresh"] = *pending ? nlohmann::json(**pending) : nlohmann::json(nullptr);
  }
  set_out(h, j.dump());
  return 0;
}

// e = SM3(Z_A ‖ message) under the enrolled key, 64 hex characters.
EMSCRIPTEN_KEEPALIVE int duet_web_message_digest(Handle* h, const uint8_t* msg, size_t len) {
  auto e = h->client->message_digest(ByteView(msg, len));
  if (!e.ok()) return fail(h, e.error());
  set_out(h, duet::to_hex(*e));
  return 0;
}

// SM3 of some bytes, 64 hex characters (the messageDigest of a CMS item's data).
EMSCRIPTEN_KEEPALIVE int duet_web_sm3(Handle* h, const uint8_t* data, size_t len) {
  set_out(h, duet::to_hex(duet::crypto::sm3(ByteView(data, len))));
  return 0;
}

// e = SM3(Z_A ‖ signed attributes) after checking their messageDigest.
EMSCRIPTEN_KEEPALIVE int duet_web_signed_attributes_digest(Handle* h, const uint8_t* attrs, size_t len,
                                                           const uint8_t* md32) {
  duet::crypto::Digest md{};
  std::memcpy(md.data(), md32, md.size());
  auto e = h->client->signed_attributes_digest(ByteView(attrs, len), md);
  if (!e.ok()) return fail(h, e.error());
  set_out(h, duet::to_hex(*e));
  return 0;
}

EMSCRIPTEN_KEEPALIVE int duet_web_begin_enrollment(Handle* h, const char* holder_id) {
  auto r = h->client->begin_enrollment(holder_id);
  return emit(h, r);
}

EMSCRIPTEN_KEEPALIVE int duet_web_complete_enrollment(Handle* h, const char* response, uint8_t* pin, size_t pin_len) {
  PinGuard g{pin, pin_len};
  return emit_status(h, h->client->complete_enrollment(response, pin_view(pin, pin_len)));
}

// digests_hex: the e_i as hex, concatenated (64 characters each).
EMSCRIPTEN_KEEPALIVE int duet_web_begin_signing(Handle* h, const char* order_id, const char* session_id,
                                                const char* digests_hex, uint8_t* pin, size_t pin_len) {
  PinGuard g{pin, pin_len};
  std::string_view hex(digests_hex);
  if (hex.empty() || hex.size() % 64 != 0) {
    return fail(h, duet::Error{duet::ErrorCode::kInvalidArgument, "digests must be 64 hex characters each"});
  }
  std::vector<duet::crypto::Digest> digests;
  for (size_t i = 0; i < hex.size(); i += 64) {
    auto b = duet::from_hex_exact(hex.substr(i, 64), 32);
    if (!b.ok()) return fail(h, b.error());
    duet::crypto::Digest d{};
    std::memcpy(d.data(), b->data(), d.size());
    digests.push_back(d);
  }
  auto r = h->client->begin_signing(order_id, session_id, std::move(digests), pin_view(pin, pin_len));
  return emit(h, r);
}

// Output: {"finish": <finish body>, "signatures_der_hex": [..]}.
EMSCRIPTEN_KEEPALIVE int duet_web_complete_signing(Handle* h, const char* answer) {
  auto r = h->client->complete_signing(answer);
  if (!r.ok()) return fail(h, r.error());
  nlohmann::json sigs = nlohmann::json::array();
  for (const auto& der : r->signatures_der) sigs.push_back(duet::to_hex(der));
  nlohmann::json j = {{"finish", nlohmann::json::parse(r->finish_json)}, {"signatures_der_hex", sigs}};
  set_out(h, j.dump());
  return 0;
}

// An error answer of the service as {"code","message","attempts_left"} (always
// a failure status: the code's).
EMSCRIPTEN_KEEPALIVE int duet_web_service_error(Handle* h, const char* body) {
  duet::Error e = h->client->service_error(body);
  // The attempts left as THIS answer says (HolderClient keeps the last one said).
  if (auto r = duet::client::parse_service_error(body); r.ok() && r->attempts_left >= 0) {
    e.attempts_left = r->attempts_left;
  }
  return fail(h, e);
}

// The handwritten signature's PIN proof (docs/protocol.md §6.1): `challenge`
// is the service's answer to POST …/pin-challenges, `png` the image for a
// put challenge (len 0 for get and delete). Output: the Duet-Pin-Proof value.
EMSCRIPTEN_KEEPALIVE int duet_web_handwriting_pin_proof(Handle* h, const char* challenge, const uint8_t* png,
                                                        size_t png_len, uint8_t* pin, size_t pin_len) {
  PinGuard g{pin, pin_len};
  auto r = h->client->handwriting_pin_proof(challenge, pin_view(pin, pin_len), ByteView(png, png_len));
  return emit(h, r);
}

EMSCRIPTEN_KEEPALIVE int duet_web_begin_refresh(Handle* h, const char* refresh_id, uint8_t* pin, size_t pin_len) {
  PinGuard g{pin, pin_len};
  auto r = h->client->begin_refresh(refresh_id, pin_view(pin, pin_len));
  return emit(h, r);
}
EMSCRIPTEN_KEEPALIVE int duet_web_begin_pin_change(Handle* h, const char* refresh_id, uint8_t* pin, size_t pin_len) {
  PinGuard g{pin, pin_len};
  auto r = h->client->begin_pin_change(refresh_id, pin_view(pin, pin_len));
  return emit(h, r);
}
EMSCRIPTEN_KEEPALIVE int duet_web_complete_refresh(Handle* h, const char* answer, uint8_t* new_pin, size_t len) {
  PinGuard g{new_pin, len};
  auto r = h->client->complete_refresh(answer, pin_view(new_pin, len));
  return emit(h, r);
}
EMSCRIPTEN_KEEPALIVE int duet_web_confirm_pending_refresh(Handle* h, uint8_t* pin, size_t pin_len) {
  PinGuard g{pin, pin_len};
  auto r = h->client->confirm_pending_refresh(pin_view(pin, pin_len));
  return emit(h, r);
}
EMSCRIPTEN_KEEPALIVE int duet_web_acknowledge_refresh(Handle* h) {
  return emit_status(h, h->client->acknowledge_refresh());
}
EMSCRIPTEN_KEEPALIVE int duet_web_abandon_refresh(Handle* h) { return emit_status(h, h->client->abandon_refresh()); }
EMSCRIPTEN_KEEPALIVE int duet_web_cancel(Handle* h) {
  h->client->cancel();
  return emit_status(h, duet::Status::Ok());
}
EMSCRIPTEN_KEEPALIVE int duet_web_forget(Handle* h) { return emit_status(h, h->client->forget()); }

// docs/protocol.md §9 as computed by this build ("name = value" lines).
EMSCRIPTEN_KEEPALIVE int duet_web_protocol_vectors(Handle* h) {
  set_out(h, duet::cosign::format_vectors(duet::cosign::protocol_test_vectors()));
  return 0;
}

EMSCRIPTEN_KEEPALIVE int duet_web_bench_sign(Handle* h, int sessions, uint32_t kdf_iterations) {
  auto b = duet::wasm::bench_device_signing(sessions, kdf_iterations);
  set_out(h, duet::wasm::bench_json(b, kdf_iterations));
  return b.ok ? 0 : -static_cast<int>(duet::ErrorCode::kInternal);
}

}  // extern "C"
