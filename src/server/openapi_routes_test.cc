// docs/api/openapi.yaml is normative: the set of (method, path) it documents
// must equal the routes the server really registers (built-ins included).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"

namespace duet::server {
namespace {

using RouteSet = std::set<std::pair<std::string, std::string>>;

// Simple line parsing: under `paths:`, 2-space-indented "  /path:" lines and
// 4-space-indented "    get:|post:|put:|patch:|delete:" lines under them.
RouteSet openapi_routes(const std::string& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << file;
  RouteSet out;
  std::regex path_re(R"(^  (/[^:\s]*):\s*$)");
  std::regex method_re(R"(^    (get|post|put|patch|delete):\s*$)");
  std::string line, current;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] != ' ' && line[0] != '#') {
      in_paths = line.rfind("paths:", 0) == 0;
      current.clear();
      continue;
    }
    if (!in_paths) continue;
    std::smatch m;
    if (std::regex_match(line, m, path_re)) {
      current = m[1];
    } else if (line.size() > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ') {
      current.clear();  // some other 2-space key
    } else if (!current.empty() && std::regex_match(line, m, method_re)) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, current);
    }
  }
  return out;
}

TEST(OpenApi, DocumentedRoutesEqualRegisteredRoutes) {
  RouteSet documented = openapi_routes(std::string(DUET_SOURCE_DIR) + "/docs/api/openapi.yaml");
  ASSERT_GT(documented.size(), 20u);

  set_logging_enabled(false);
  auto dir = testing::temp_dir("openapi");
  DaemonConfig c;
    c.dev = true;
    c.keys.kek = "file";  // the PKCS#11 KEK has its own tests (keys, kek_pkcs11)
  c.http.listen_port = 0;
  c.http.access_log = false;
  c.service.data_dir = dir.string();
  auto d = Daemon::create(c);
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  RouteSet registered;
  for (const auto& r : (*d)->routes()) registered.emplace(r.method, r.pattern);
  d->reset();
  std::filesystem::remove_all(dir);

  std::ostringstream diff;
  for (const auto& r : documented)
    if (!registered.count(r)) diff << "  documented but not served: " << r.first << " " << r.second << "\n";
  for (const auto& r : registered)
    if (!documented.count(r)) diff << "  served but not documented: " << r.first << " " << r.second << "\n";
  EXPECT_TRUE(diff.str().empty()) << "openapi.yaml and the server disagree:\n" << diff.str();
  EXPECT_TRUE(registered.count({"GET", "/healthz"}) && registered.count({"GET", "/readyz"}) &&
              registered.count({"GET", "/metrics"}));
}

}  // namespace
}  // namespace duet::server
