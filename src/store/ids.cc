#include "store/ids.h"

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "crypto/random.h"

namespace duet::store {

std::string new_id(std::string_view prefix) {
  std::array<uint8_t, 16> raw{};
  crypto::SystemRandom::instance().fill(raw);
  std::string id(prefix);
  id += to_hex(raw);
  return id;
}

}  // namespace duet::store
