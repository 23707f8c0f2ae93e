// Masking of personal data in every answer and log (docs/operations.md):
// 张三 → 张*, 110101199003071234 → 1101**********1234, 13812345678 → 138****5678.
// Works on UTF-8 characters, not bytes.
#pragma once

#include <string>
#include <string_view>

namespace duet::core {

std::string mask_name(std::string_view utf8_name);
std::string mask_id_number(std::string_view id_number);
std::string mask_phone(std::string_view phone);

}  // namespace duet::core
