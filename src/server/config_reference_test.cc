// docs/configuration.md is the configuration reference: every key the TOML
// parsers accept is documented there, and every documented key is accepted.
// The accepted keys come from the parsers' own key tables
// (accepted_config_keys), the documented ones from the first cell of the
// reference's table rows (`table.key`).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "server/daemon_config.h"

namespace duet::server {
namespace {

std::set<std::string> documented_keys() {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/docs/configuration.md");
  EXPECT_TRUE(in.good()) << "docs/configuration.md is missing";
  std::set<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    // A key row: "| `table.key` | type | default | meaning |".
    if (line.rfind("| `", 0) != 0) continue;
    auto end = line.find('`', 3);
    if (end == std::string::npos) continue;
    std::string key = line.substr(3, end - 3);
    if (key.find('.') == std::string::npos) continue;  // e.g. the command-line table
    keys.insert(key);
  }
  return keys;
}

TEST(ConfigReference, EveryAcceptedKeyIsDocumentedAndEveryDocumentedKeyIsAccepted) {
  std::set<std::string> documented = documented_keys();
  std::vector<std::string> accepted_list = accepted_config_keys();
  std::set<std::string> accepted(accepted_list.begin(), accepted_list.end());
  EXPECT_EQ(accepted.size(), accepted_list.size()) << "a key is listed twice by the parsers";
  ASSERT_GT(accepted.size(), 50u);
  for (const auto& key : accepted) EXPECT_TRUE(documented.count(key)) << key << " is not in docs/configuration.md";
  for (const auto& key : documented) EXPECT_TRUE(accepted.count(key)) << key << " is documented but not accepted";
}

// The key list is the parser: a listed key parses (with a value of the
// wrong type it is a type error, never "unknown key"), an unlisted one is refused.
TEST(ConfigReference, TheListedKeysAreTheOnesTheParserAccepts) {
  for (const auto& key : accepted_config_keys()) {
    if (key.find("[]") != std::string::npos) continue;  // entries of an array of tables
    auto dot = key.rfind('.');
    std::string toml = "[" + key.substr(0, dot) + "]\n" + key.substr(dot + 1) + " = {}\n";
    auto c = parse_daemon_config(toml, [](std::string_view) { return std::optional<std::string>(); });
    if (!c.ok()) {
      EXPECT_EQ(c.error().message.find("unknown key"), std::string::npos) << key << ": " << c.error().message;
    }
  }
  for (std::string table : {"http", "http.tls", "service", "keys", "store", "pki", "identity", "retention", "audit",
                            "sla", "limits"}) {
    auto c = parse_daemon_config("[" + table + "]\nno_such_key = 1\n",
                                 [](std::string_view) { return std::optional<std::string>(); });
    ASSERT_FALSE(c.ok()) << table;
    EXPECT_NE(c.error().message.find("unknown key 'no_such_key'"), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace duet::server
