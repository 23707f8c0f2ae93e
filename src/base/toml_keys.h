// Table-driven reading of one TOML table: every key a table accepts is one
// row {name, reader}, so the rows are at once the parser and the list of the
// accepted keys (which the configuration reference, docs/configuration.md, is
// tested against). Header-only; include it only from code that links
// tomlplusplus (the http and server config parsers).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "base/result.h"

namespace duet {

template <typename Target>
struct TomlKey {
  std::string_view name;
  // Reads `value` into `out`; `path` is the key's full name ("service.data_dir") for messages.
  Status (*read)(const toml::node& value, const std::string& path, Target& out);
};

// Reads every key of `table` with its row. A key without a row is
// kInvalidArgument "<section>: unknown key '<key>'" (typos are errors).
template <typename Target>
Status read_toml_table(const toml::table& table, std::string_view section, std::span<const TomlKey<Target>> keys,
                       Target& out) {
  for (const auto& [k, node] : table) {
    std::string_view key = k.str();
    const TomlKey<Target>* row = nullptr;
    for (const auto& candidate : keys)
      if (candidate.name == key) row = &candidate;
    if (row == nullptr)
      return make_error(ErrorCode::kInvalidArgument,
                        std::string(section) + ": unknown key '" + std::string(key) + "'");
    DUET_TRY_STATUS(row->read(node, std::string(section) + "." + std::string(key), out));
  }
  return Status::Ok();
}

// "<section>.<name>" of every row.
template <typename Target>
void append_toml_key_names(std::string_view section, std::span<const TomlKey<Target>> keys,
                           std::vector<std::string>& out) {
  for (const auto& row : keys) out.push_back(std::string(section) + "." + std::string(row.name));
}

}  // namespace duet
