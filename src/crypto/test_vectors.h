// Test-only: reads the [section] key = value files in src/crypto/testdata.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace duet::crypto::testing {

using VectorFile = std::map<std::string, std::map<std::string, std::string>>;

inline VectorFile load_vectors(const std::string& path) {
  VectorFile out;
  std::ifstream in(path);
  std::string line, section;
  auto trim = [](std::string s) {
    size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    if (line.front() == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[section][trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

inline const VectorFile& standard_vectors() {
  static const VectorFile v = load_vectors(std::string(DUET_SOURCE_DIR) + "/src/crypto/testdata/sm-standard-vectors.txt");
  return v;
}

}  // namespace duet::crypto::testing
