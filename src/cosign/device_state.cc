#include "cosign/device_state.h"

#include "cosign/json_fields.h"
#include "cosign/secret_json.h"

namespace duet::cosign {

using crypto::Scalar;
using namespace json_fields;

static constexpr std::string_view kKdfAlg = "pbkdf2-hmac-sm3";

SecretBytes DeviceState::serialize() const {
  // SecretJson: every copy of the share's hex is in memory wiped when freed.
  std::string hex = wrapped_share.to_hex();
  SecretString share_hex(hex.data(), hex.size());
  secure_wipe(hex.data(), hex.size());
  SecretJson j = {{"v", kVersion},
                  {"holder_id", holder_id},
                  {"public_key", public_key.to_hex()},
                  {"share", std::move(share_hex)},
                  {"kdf", {{"alg", kKdfAlg}, {"iterations", kdf.iterations}, {"salt", to_hex(kdf.salt)}}}};
  SecretString text = j.dump();
  return SecretBytes{as_bytes(std::string_view(text.data(), text.size()))};
}

Result<DeviceState> DeviceState::parse(ByteView text) {
  // Parsed as SecretJson: the share's hex is only ever in wiped memory
  // (cosign/secret_json.h); the other fields are public.
  SecretJson j = parse_secret_json(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::kBadState, "device state: not a JSON object");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer()) return make_error(ErrorCode::kBadState, "device state: no version");
  if (v->get<int64_t>() != kVersion) return make_error(ErrorCode::kUnsupportedVersion, "device state version");
  auto text_of = [&](const SecretJson& obj, const char* key) -> const SecretString* {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) return nullptr;
    return &it->get_ref<const SecretString&>();
  };
  auto view = [](const SecretString& str) { return std::string_view(str.data(), str.size()); };
  DeviceState s{.holder_id = {}, .public_key = crypto::Point::generator(), .wrapped_share = {}, .kdf = {}};
  const SecretString* holder = text_of(j, "holder_id");
  if (holder == nullptr || holder->empty()) return make_error(ErrorCode::kBadState, "device state: holder_id");
  s.holder_id = std::string(view(*holder));
  const SecretString* pk_hex = text_of(j, "public_key");
  if (pk_hex == nullptr) return make_error(ErrorCode::kBadState, "device state: public_key");
  auto pk = crypto::Point::from_hex(view(*pk_hex));
  if (!pk.ok()) return make_error(ErrorCode::kBadState, "device state: public_key: " + pk.error().message);
  s.public_key = *pk;
  const SecretString* share_hex = text_of(j, "share");
  if (share_hex == nullptr) return make_error(ErrorCode::kBadState, "device state: share");
  auto share = crypto::Scalar::from_hex_nonzero(view(*share_hex));
  if (!share.ok()) return make_error(ErrorCode::kBadState, "device state: share: " + share.error().message);
  s.wrapped_share = *share;
  auto kdf = j.find("kdf");
  if (kdf == j.end() || !kdf->is_object()) return make_error(ErrorCode::kBadState, "device state: kdf");
  const SecretString* alg = text_of(*kdf, "alg");
  if (alg == nullptr || view(*alg) != kKdfAlg) return make_error(ErrorCode::kUnsupportedVersion, "device state: kdf alg");
  auto it = kdf->find("iterations");
  if (it == kdf->end() || !it->is_number_unsigned() || it->get<uint64_t>() < 1000 ||
      it->get<uint64_t>() > 100'000'000u) {
    return make_error(ErrorCode::kBadState, "device state: kdf iterations");
  }
  s.kdf.iterations = it->get<uint32_t>();
  const SecretString* salt_hex = text_of(*kdf, "salt");
  if (salt_hex == nullptr) return make_error(ErrorCode::kBadState, "device state: kdf salt");
  auto salt = from_hex_exact(view(*salt_hex), PinKdf::kSaltSize);
  if (!salt.ok()) return make_error(ErrorCode::kBadState, "device state: kdf salt: " + salt.error().message);
  s.kdf.salt = *salt;
  return s;
}

Result<DeviceState> wrap_share(std::string holder_id, const crypto::Point& public_key, const Scalar& d1,
                               std::string_view pin, uint32_t iterations, crypto::RandomSource& rng) {
  if (d1.is_zero()) return make_error(ErrorCode::kBadScalar, "share is zero");
  PinKdf kdf{iterations, Bytes(PinKdf::kSaltSize)};
  rng.fill(kdf.salt);
  DUET_ASSIGN_OR_RETURN(Scalar w, pin_factor(pin, kdf));
  DUET_ASSIGN_OR_RETURN(Scalar w_inv, w.inverse());
  return DeviceState{std::move(holder_id), public_key, d1 * w_inv, std::move(kdf)};
}

Result<Scalar> unwrap_share(const DeviceState& state, std::string_view pin) {
  DUET_ASSIGN_OR_RETURN(Scalar w, pin_factor(pin, state.kdf));
  return state.wrapped_share * w;
}


}  // namespace duet::cosign
