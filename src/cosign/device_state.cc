#include "cosign/device_state.h"

#include "cosign/json_fields.h"

namespace duet::cosign {

using crypto::Scalar;
using namespace json_fields;

static constexpr std::string_view kKdfAlg = "pbkdf2-hmac-sm3";

SecretBytes DeviceState::serialize() const {
  json j = {{"v", kVersion},
            {"holder_id", holder_id},
            {"public_key", public_key.to_hex()},
            {"share", wrapped_share.to_hex()},
            {"kdf", {{"alg", kKdfAlg}, {"iterations", kdf.iterations}, {"salt", to_hex(kdf.salt)}}}};
  std::string text = j.dump();
  SecretBytes out{as_bytes(text)};
  secure_wipe(text.data(), text.size());
  return out;
}

Result<DeviceState> DeviceState::parse(ByteView text) {
  auto fail = [](const Error& e) { return make_error(ErrorCode::kBadState, "device state: " + e.to_string()); };
  auto j = parse_object(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  if (!j.ok()) return fail(j.error());
  auto v = j->find("v");
  if (v == j->end() || !v->is_number_integer()) return make_error(ErrorCode::kBadState, "device state: no version");
  if (v->get<int64_t>() != kVersion) return make_error(ErrorCode::kUnsupportedVersion, "device state version");
  DeviceState s{.holder_id = {}, .public_key = crypto::Point::generator(), .wrapped_share = {}, .kdf = {}};
  auto holder = get_string(*j, "holder_id");
  if (!holder.ok() || holder->empty()) return make_error(ErrorCode::kBadState, "device state: holder_id");
  s.holder_id = *holder;
  auto pk = get_point(*j, "public_key");
  if (!pk.ok()) return fail(pk.error());
  s.public_key = *pk;
  auto share = get_scalar(*j, "share", true);
  if (!share.ok()) return fail(share.error());
  s.wrapped_share = *share;
  auto kdf = j->find("kdf");
  if (kdf == j->end() || !kdf->is_object()) return make_error(ErrorCode::kBadState, "device state: kdf");
  auto alg = get_string(*kdf, "alg");
  if (!alg.ok() || *alg != kKdfAlg) return make_error(ErrorCode::kUnsupportedVersion, "device state: kdf alg");
  auto it = kdf->find("iterations");
  if (it == kdf->end() || !it->is_number_unsigned() || it->get<uint64_t>() < 1000 ||
      it->get<uint64_t>() > 100'000'000u) {
    return make_error(ErrorCode::kBadState, "device state: kdf iterations");
  }
  s.kdf.iterations = it->get<uint32_t>();
  auto salt_hex = get_string(*kdf, "salt");
  if (!salt_hex.ok()) return fail(salt_hex.error());
  auto salt = from_hex_exact(*salt_hex, PinKdf::kSaltSize);
  if (!salt.ok()) return fail(salt.error());
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
