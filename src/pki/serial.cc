#include "pki/serial.h"

namespace duet::pki {

Bytes random_serial(crypto::RandomSource& rng) {
  Bytes s(kSerialBytes);
  rng.fill(s);
  s[0] = static_cast<uint8_t>((s[0] & 0x3f) | 0x40);
  return s;
}

Result<Bytes> unique_serial(crypto::RandomSource& rng, const SerialIsUnused& is_unused) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    Bytes s = random_serial(rng);
    if (!is_unused) return s;
    DUET_ASSIGN_OR_RETURN(bool unused, is_unused(s));
    if (unused) return s;
  }
  return make_error(ErrorCode::kInternal, "no unused certificate serial after 8 draws");
}

}  // namespace duet::pki
