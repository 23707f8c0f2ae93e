#include "core/masking.h"

#include <vector>

namespace duet::core {
namespace {

// Splits UTF-8 into characters (invalid bytes count as one character each).
std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    if (i + len > s.size()) len = 1;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string keep_ends(std::string_view s, size_t head, size_t tail) {
  auto chars = utf8_chars(s);
  if (chars.size() <= head + tail) return std::string(chars.size(), '*');
  std::string out;
  for (size_t i = 0; i < chars.size(); ++i) {
    if (i < head || i >= chars.size() - tail) out += chars[i];
    else out += '*';
  }
  return out;
}

}  // namespace

std::string mask_name(std::string_view name) {
  auto chars = utf8_chars(name);
  if (chars.empty()) return "";
  std::string out(chars[0]);
  out += chars.size() == 1 ? "" : "*";
  return out;
}

std::string mask_id_number(std::string_view id) { return keep_ends(id, 4, 4); }

std::string mask_phone(std::string_view phone) { return keep_ends(phone, 3, 4); }

}  // namespace duet::core
