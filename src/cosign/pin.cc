#include "cosign/pin.h"

#include "crypto/kdf.h"

namespace duet::cosign {

Status check_pin(std::string_view pin) {
  if (pin.size() < 4 || pin.size() > 64) return make_error(ErrorCode::kInvalidArgument, "PIN must be 4 to 64 bytes");
  return Status::Ok();
}

Result<crypto::Scalar> pin_factor(std::string_view pin, const PinKdf& kdf) {
  DUET_TRY_STATUS(check_pin(pin));
  if (kdf.salt.size() != PinKdf::kSaltSize) return make_error(ErrorCode::kInvalidArgument, "PIN salt must be 16 bytes");
  if (kdf.iterations < 1000) return make_error(ErrorCode::kInvalidArgument, "PIN KDF needs at least 1000 iterations");
  DUET_ASSIGN_OR_RETURN(SecretBytes wide, crypto::pbkdf2_hmac_sm3(as_bytes(pin), kdf.salt, kdf.iterations, 64));
  crypto::Scalar w = crypto::Scalar::reduce(wide.view());
  if (w.is_zero()) return make_error(ErrorCode::kInvalidArgument, "PIN factor is zero");  // ~2^-256
  return w;
}

}  // namespace duet::cosign
