#include "core/operator_token.h"

#include "base/bytes.h"

namespace duet::core {

std::string mint_operator_token(crypto::RandomSource& rng) {
  Bytes raw(32);
  rng.fill(raw);
  std::string token = "adm_" + to_hex(raw);
  secure_wipe(raw.data(), raw.size());
  return token;
}

}  // namespace duet::core
