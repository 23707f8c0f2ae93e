#include "client/holder_client.h"

#include <nlohmann/json.hpp>

#include "cosign/device_state.h"
#include "cosign/keygen.h"
#include "cosign/pin.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"

namespace duet::client {

using cosign::DeviceState;
using nlohmann::json;

namespace {

constexpr int kPendingInfoVersion = 1;

Unexpected not_enrolled() { return make_error(ErrorCode::kBadState, "not enrolled"); }

// {"v":1,"refresh_id":…,"confirm":{RefreshConfirm}}
std::string encode_pending_info(const std::string& refresh_id, const std::string& confirm_json) {
  json confirm = json::parse(confirm_json, nullptr, /*allow_exceptions=*/false);  // our own output
  return json{{"v", kPendingInfoVersion}, {"refresh_id", refresh_id}, {"confirm", std::move(confirm)}}.dump();
}

Result<PendingRefresh> decode_pending_info(ByteView blob) {
  json j = json::parse(blob.begin(), blob.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::kBadState, "pending refresh: not a JSON object");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer()) return make_error(ErrorCode::kBadState, "pending refresh: no version");
  if (v->get<int64_t>() != kPendingInfoVersion) {
    return make_error(ErrorCode::kUnsupportedVersion, "pending refresh version");
  }
  auto id = j.find("refresh_id");
  auto confirm = j.find("confirm");
  if (id == j.end() || !id->is_string() || confirm == j.end() || !confirm->is_object()) {
    return make_error(ErrorCode::kBadState, "pending refresh: fields");
  }
  std::string confirm_json = confirm->dump();
  auto parsed = cosign::parse_refresh_confirm(confirm_json);
  if (!parsed.ok()) return make_error(ErrorCode::kBadState, "pending refresh: " + parsed.error().to_string());
  return PendingRefresh{id->get<std::string>(), std::move(confirm_json)};
}

}  // namespace

struct HolderClient::Impl {
  std::unique_ptr<StateStore> store;
  HolderOptions options;

  bool loaded = false;
  std::optional<DeviceState> state;  // kCurrent, once loaded

  // Rounds in progress.
  std::optional<cosign::DeviceKeygen> keygen;
  std::optional<cosign::DeviceSigner> signer;
  std::optional<cosign::DeviceRefresh> refresh;
  std::string refresh_id;

  crypto::RandomSource& rng() { return options.rng ? *options.rng : crypto::SystemRandom::instance(); }

  Status ensure_loaded() {
    if (loaded) return Status::Ok();
    DUET_ASSIGN_OR_RETURN(std::optional<SecretBytes> blob, store->load(Slot::kCurrent));
    if (blob) {
      DUET_ASSIGN_OR_RETURN(DeviceState parsed, DeviceState::parse(blob->view()));
      state.emplace(std::move(parsed));
    } else {
      state.reset();
    }
    loaded = true;
    return Status::Ok();
  }

  Result<const DeviceState*> enrolled() {
    DUET_TRY_STATUS(ensure_loaded());
    if (!state) return not_enrolled();
    return &*state;
  }

  Result<bool> has_pending() {
    DUET_ASSIGN_OR_RETURN(std::optional<SecretBytes> blob, store->load(Slot::kPending));
    return blob.has_value();
  }

  // Enrolled and no refresh waiting for its acknowledgement.
  Result<const DeviceState*> usable() {
    DUET_ASSIGN_OR_RETURN(const DeviceState* s, enrolled());
    DUET_ASSIGN_OR_RETURN(bool pending, has_pending());
    if (pending) {
      return make_error(ErrorCode::kBadState,
                        "a share refresh awaits acknowledgement: deliver its confirm, then acknowledge or abandon it");
    }
    return s;
  }

  Status save_current(const DeviceState& s) {
    SecretBytes blob = s.serialize();
    return store->save(Slot::kCurrent, blob.view());
  }
};

HolderClient::HolderClient(std::unique_ptr<StateStore> store, HolderOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->store = store ? std::move(store) : std::make_unique<MemoryStateStore>();
  impl_->options = options;
}
HolderClient::~HolderClient() = default;
HolderClient::HolderClient(HolderClient&&) noexcept = default;
HolderClient& HolderClient::operator=(HolderClient&&) noexcept = default;

Status HolderClient::set_kdf_iterations(uint32_t iterations) {
  if (iterations < 1000) return make_error(ErrorCode::kInvalidArgument, "PIN KDF needs at least 1000 iterations");
  impl_->options.kdf_iterations = iterations;
  return Status::Ok();
}

Result<bool> HolderClient::is_enrolled() {
  DUET_TRY_STATUS(impl_->ensure_loaded());
  return impl_->state.has_value();
}

Result<std::string> HolderClient::holder_id() {
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->enrolled());
  return s->holder_id;
}

Result<std::string> HolderClient::public_key_pem() {
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->enrolled());
  return crypto::public_key_spki_pem(s->public_key);
}

Result<crypto::Digest> HolderClient::message_digest(ByteView message) {
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->enrolled());
  return crypto::sm2_digest(s->public_key, message);
}

// ---- Enrollment ----------------------------------------------------------

Result<std::string> HolderClient::begin_enrollment(std::string holder_id) {
  DUET_TRY_STATUS(impl_->ensure_loaded());
  if (impl_->state) return make_error(ErrorCode::kBadState, "already enrolled (forget() first)");
  impl_->keygen.reset();
  DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceKeygen::start(std::move(holder_id), impl_->rng()));
  impl_->keygen.emplace(std::move(started.first));
  return cosign::to_json(started.second);
}

Status HolderClient::complete_enrollment(std::string_view keygen_response_json, std::string_view pin) {
  if (!impl_->keygen) return make_error(ErrorCode::kBadState, "no enrollment in progress");
  DUET_TRY_STATUS(cosign::check_pin(pin));
  DUET_ASSIGN_OR_RETURN(cosign::KeygenResponse response, cosign::parse_keygen_response(keygen_response_json));
  DUET_ASSIGN_OR_RETURN(DeviceState s,
                        impl_->keygen->finish(response, pin, impl_->options.kdf_iterations, impl_->rng()));
  // Leftovers of an earlier enrollment's refresh must not be promoted later.
  DUET_TRY_STATUS(impl_->store->erase(Slot::kPending));
  DUET_TRY_STATUS(impl_->store->erase(Slot::kPendingInfo));
  DUET_TRY_STATUS(impl_->save_current(s));
  impl_->state.emplace(std::move(s));
  impl_->loaded = true;
  impl_->keygen.reset();
  return Status::Ok();
}

// ---- Signing -------------------------------------------------------------

Result<std::string> HolderClient::begin_signing(std::string order_id, std::string session_id,
                                                const crypto::Digest& e, std::string_view pin) {
  impl_->signer.reset();
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->usable());
  cosign::SignContext ctx{std::move(order_id), std::move(session_id), e};
  DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceSigner::start(*s, pin, std::move(ctx), impl_->rng()));
  impl_->signer.emplace(std::move(started.first));
  return cosign::to_json(started.second);
}

Result<SigningResult> HolderClient::complete_signing(std::string_view sign_response_json) {
  if (!impl_->signer) return make_error(ErrorCode::kBadState, "no signing in progress");
  // A response that does not parse leaves the round usable (nothing computed).
  DUET_ASSIGN_OR_RETURN(cosign::SignResponse response, cosign::parse_sign_response(sign_response_json));
  // From here the nonce k1 is used up, whatever the outcome.
  cosign::DeviceSigner signer = std::move(*impl_->signer);
  impl_->signer.reset();
  DUET_ASSIGN_OR_RETURN(auto finished, signer.finish(response));
  return SigningResult{cosign::to_json(finished.first), finished.second.to_der()};
}

// ---- PIN change ----------------------------------------------------------

Status HolderClient::change_pin(std::string_view old_pin, std::string_view new_pin) {
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->usable());
  DUET_TRY_STATUS(cosign::check_pin(old_pin));
  DUET_ASSIGN_OR_RETURN(DeviceState changed, s->change_pin(old_pin, new_pin, impl_->rng()));
  DUET_TRY_STATUS(impl_->save_current(changed));
  impl_->state.emplace(std::move(changed));
  return Status::Ok();
}

// ---- Share refresh -------------------------------------------------------

Result<std::string> HolderClient::begin_refresh(std::string refresh_id, std::string_view pin) {
  impl_->refresh.reset();
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->usable());
  DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceRefresh::start(*s, pin, refresh_id, impl_->rng()));
  impl_->refresh.emplace(std::move(started.first));
  impl_->refresh_id = std::move(refresh_id);
  return cosign::to_json(started.second);
}

Result<std::string> HolderClient::complete_refresh(std::string_view refresh_response_json, std::string_view new_pin) {
  if (!impl_->refresh) return make_error(ErrorCode::kBadState, "no refresh in progress");
  DUET_TRY_STATUS(cosign::check_pin(new_pin));
  DUET_ASSIGN_OR_RETURN(cosign::RefreshResponse response, cosign::parse_refresh_response(refresh_response_json));
  DUET_ASSIGN_OR_RETURN(auto finished,
                        impl_->refresh->finish(response, new_pin, impl_->options.kdf_iterations, impl_->rng()));
  std::string confirm_json = cosign::to_json(finished.second);
  // Info first: a pending state is never without its confirm.
  std::string info = encode_pending_info(impl_->refresh_id, confirm_json);
  DUET_TRY_STATUS(impl_->store->save(Slot::kPendingInfo, as_bytes(info)));
  SecretBytes blob = finished.first.serialize();
  DUET_TRY_STATUS(impl_->store->save(Slot::kPending, blob.view()));
  impl_->refresh.reset();
  impl_->refresh_id.clear();
  return confirm_json;
}

Result<std::optional<PendingRefresh>> HolderClient::pending_refresh() {
  DUET_TRY_STATUS(impl_->enrolled());
  DUET_ASSIGN_OR_RETURN(bool pending, impl_->has_pending());
  if (!pending) return std::optional<PendingRefresh>();
  DUET_ASSIGN_OR_RETURN(std::optional<SecretBytes> info, impl_->store->load(Slot::kPendingInfo));
  if (!info) return make_error(ErrorCode::kBadState, "pending refresh without its confirm (abandon it)");
  DUET_ASSIGN_OR_RETURN(PendingRefresh p, decode_pending_info(info->view()));
  return std::optional<PendingRefresh>(std::move(p));
}

Status HolderClient::acknowledge_refresh() {
  DUET_ASSIGN_OR_RETURN(const DeviceState* current, impl_->enrolled());
  DUET_ASSIGN_OR_RETURN(std::optional<SecretBytes> blob, impl_->store->load(Slot::kPending));
  if (!blob) return make_error(ErrorCode::kBadState, "no refresh awaits acknowledgement");
  DUET_ASSIGN_OR_RETURN(DeviceState next, DeviceState::parse(blob->view()));
  if (next.holder_id != current->holder_id || !(next.public_key == current->public_key)) {
    return make_error(ErrorCode::kBadState, "pending refresh belongs to another key");
  }
  DUET_TRY_STATUS(impl_->store->promote_pending());
  impl_->state.emplace(std::move(next));
  // A crash before this erase leaves only a stale info blob, which is ignored.
  return impl_->store->erase(Slot::kPendingInfo);
}

Status HolderClient::abandon_refresh() {
  impl_->refresh.reset();
  impl_->refresh_id.clear();
  DUET_TRY_STATUS(impl_->store->erase(Slot::kPending));
  return impl_->store->erase(Slot::kPendingInfo);
}

// ---- Housekeeping --------------------------------------------------------

void HolderClient::cancel() {
  impl_->keygen.reset();
  impl_->signer.reset();
  impl_->refresh.reset();
  impl_->refresh_id.clear();
}

Status HolderClient::forget() {
  cancel();
  DUET_TRY_STATUS(impl_->store->erase(Slot::kPending));
  DUET_TRY_STATUS(impl_->store->erase(Slot::kPendingInfo));
  DUET_TRY_STATUS(impl_->store->erase(Slot::kCurrent));
  impl_->state.reset();
  impl_->loaded = true;
  return Status::Ok();
}

}  // namespace duet::client
