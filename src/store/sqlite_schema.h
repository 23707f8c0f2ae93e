// The SQLite schema as numbered migrations (private to the SQLite backend).
// Append new versions; never edit a published one.
#pragma once

#include <span>
#include <string_view>

namespace duet::store::sqlite {

struct Migration {
  int version;
  std::string_view sql;
};

std::span<const Migration> migrations();

}  // namespace duet::store::sqlite
