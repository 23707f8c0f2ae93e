// Shared by the JSON fuzz targets: "what a parser kept agrees with its input".
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>

#include "fuzz_util.h"

namespace duet::fuzz {

// Every field of `ours` (a message re-encoded by the project's own encoder)
// is present in `input` with the same value; hex strings may differ only in
// case (the encoder writes lowercase, parsers accept either), other strings
// not at all. Fields of the
// input that the message does not keep are ignored (forward compatibility).
inline bool agrees(const nlohmann::json& ours, const nlohmann::json& input) {
  if (ours.is_object()) {
    if (!input.is_object()) return false;
    for (auto it = ours.begin(); it != ours.end(); ++it) {
      auto in = input.find(it.key());
      if (in == input.end() || !agrees(it.value(), *in)) return false;
    }
    return true;
  }
  if (ours.is_array()) {
    if (!input.is_array() || input.size() != ours.size()) return false;
    for (size_t i = 0; i < ours.size(); ++i) {
      if (!agrees(ours[i], input[i])) return false;
    }
    return true;
  }
  if (ours.is_string()) {
    if (!input.is_string()) return false;
    const std::string& o = ours.get_ref<const std::string&>();
    const std::string& in = input.get_ref<const std::string&>();
    if (o == in) return true;
    // Hex the encoder lowercased; any other string must be kept exactly.
    bool hex = std::all_of(o.begin(), o.end(), [](char c) { return is_hex_digit(c) && !(c >= 'A' && c <= 'F'); });
    return hex && lowercase(in) == o;
  }
  return ours == input;
}

// The input as nlohmann sees it (the parsers use nlohmann too, so duplicate
// keys resolve the same way).
inline nlohmann::json parse_input(std::string_view text) {
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

// The deepest nesting of containers in valid JSON text (top level = 1),
// by scanning (no recursion: regression inputs nest 100,000 deep).
inline int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace duet::fuzz
