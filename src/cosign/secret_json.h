// Internal: JSON for formats that carry a secret as hex (the device state's
// wrapped share d1'). Every string of it — the parser's token buffer
// included — lives in memory that is wiped when freed (base/wiping_allocator.h),
// so parsing leaves no copy of the secret's hex on the heap. The secret must
// not be the first string longer than 15 bytes in the text, or its first 15
// characters could sit in the token buffer's inline storage: the device state
// writes the salt and the public key before the share (keys are sorted).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/wiping_allocator.h"

namespace duet::cosign {

using SecretString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;
using SecretJson = nlohmann::basic_json<std::map, std::vector, SecretString, bool, std::int64_t, std::uint64_t,
                                        double, WipingAllocator>;

// Parses an object nested at most max_depth deep; discarded otherwise, and
// for a NUL byte anywhere: nlohmann ends the input at NUL and would ignore
// what follows (as base/json_limits.h; found by fuzz/device_state).
inline SecretJson parse_secret_json(std::string_view text, int max_depth = 16) {
  if (text.find('\0') != std::string_view::npos) return SecretJson(SecretJson::value_t::discarded);
  bool too_deep = false;
  auto limit = [&](int depth, SecretJson::parse_event_t event, SecretJson&) {
    if ((event == SecretJson::parse_event_t::object_start || event == SecretJson::parse_event_t::array_start) &&
        depth >= max_depth) {
      too_deep = true;
    }
    return !too_deep;
  };
  SecretJson j = SecretJson::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
  if (too_deep) return SecretJson(SecretJson::value_t::discarded);
  return j;
}

}  // namespace duet::cosign
