#include "core/subject_pseudonym.h"

#include <algorithm>

namespace duet::core {

std::string subject_pseudonym(ByteView keyed_hash) {
  std::string hex = to_hex(keyed_hash.first(std::min<size_t>(16, keyed_hash.size())));
  std::string out;
  out.reserve(hex.size() + 3);
  for (size_t i = 0; i < hex.size(); i += 8) {
    if (i > 0) out += '-';
    out.append(hex, i, 8);
  }
  return out;
}

}  // namespace duet::core
