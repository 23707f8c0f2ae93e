// docs/gateway.md "Configuration" against the parser's key tables (both
// directions), and the parser's checks.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "gateway/gateway_config.h"

namespace duet::gateway {
namespace {

std::set<std::string> documented_keys(const std::string& doc) {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/docs/" + doc);
  EXPECT_TRUE(in.good()) << doc << " is missing";
  std::set<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    auto end = line.find('`', 3);
    if (end == std::string::npos) continue;
    std::string key = line.substr(3, end - 3);
    if (key.find('.') != std::string::npos && key.find(' ') == std::string::npos && key.find('/') == std::string::npos)
      keys.insert(key);
  }
  return keys;
}

bool gateway_table(const std::string& key) {
  return key.rfind("gateway.", 0) == 0 || key.rfind("upstream.", 0) == 0 || key.rfind("local_apps.", 0) == 0;
}

TEST(GatewayConfigReference, EveryKeyIsDocumentedAndEveryDocumentedKeyIsAccepted) {
  std::set<std::string> gateway_doc = documented_keys("gateway.md");
  std::set<std::string> http_doc = documented_keys("configuration.md");
  std::set<std::string> accepted;
  for (const auto& key : gateway_config_keys()) {
    accepted.insert(key);
    if (gateway_table(key)) {
      EXPECT_TRUE(gateway_doc.count(key)) << key << " is not in docs/gateway.md";
    } else {
      EXPECT_TRUE(http_doc.count(key)) << key << " is not in docs/configuration.md";
    }
  }
  for (const auto& key : gateway_doc) {
    if (gateway_table(key)) {
      EXPECT_TRUE(accepted.count(key)) << key << " is documented but not accepted";
    }
  }
}

http::EnvLookup no_env() {
  return [](std::string_view) { return std::optional<std::string>(); };
}

const char* kMinimal = R"(
[gateway]
data_dir = "/tmp/gw"
[upstream]
url = "https://duet.example.com"
app_id = "app_1"
secret_file = "/tmp/upstream.secret"
[[local_apps]]
app_id = "erp"
secret_file = "/tmp/erp.secret"
)";

TEST(GatewayConfig, ParsesTheMinimalConfigurationWithDefaults) {
  auto c = parse_gateway_config(kMinimal, no_env());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->data_dir, "/tmp/gw");
  EXPECT_EQ(c->poll_interval_seconds, 5);
  EXPECT_EQ(c->pdf_max_bytes, size_t{20} * 1024 * 1024);
  ASSERT_EQ(c->local_apps.size(), 1u);
  EXPECT_EQ(c->local_apps[0].app_id, "erp");
  EXPECT_TRUE(c->callback_url.empty());
  EXPECT_FALSE(c->upload_previews) << "no page leaves the premises unless asked";
  EXPECT_EQ(c->preview_dpi, 96);
}

TEST(GatewayConfig, PreviewKeysAreReadAndChecked) {
  auto with = [](const std::string& lines) {
    std::string text = kMinimal;
    const std::string table = "[gateway]\n";
    text.insert(text.find(table) + table.size(), lines);
    return parse_gateway_config(text, no_env());
  };
  auto c = with("upload_previews = true\npreview_dpi = 48\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->upload_previews);
  EXPECT_EQ(c->preview_dpi, 48);
  auto not_flag = with("upload_previews = \"yes\"\n");
  ASSERT_FALSE(not_flag.ok());
  EXPECT_NE(not_flag.error().message.find("upload_previews"), std::string::npos);
  auto dpi = with("preview_dpi = 1000\n");
  ASSERT_FALSE(dpi.ok());
  EXPECT_NE(dpi.error().message.find("preview_dpi"), std::string::npos);
}

TEST(GatewayConfig, RefusesUnknownKeysTablesAndBadValues) {
  auto refused = [](const std::string& extra, const std::string& words) {
    auto c = parse_gateway_config(std::string(kMinimal) + extra, no_env());
    ASSERT_FALSE(c.ok()) << extra;
    EXPECT_NE(c.error().message.find(words), std::string::npos) << c.error().message;
  };
  refused("[upstream2]\nurl = \"x\"\n", "unknown");
  refused("[[local_apps]]\napp_id = \"erp\"\nsecret_file = \"/x\"\n", "given twice");
  refused("[[local_apps]]\napp_id = \"bad id\"\nsecret_file = \"/x\"\n", "local_apps[1].app_id");
  auto c = parse_gateway_config(R"([gateway]
data_dir = "/tmp/gw"
poll_interval_seconds = 0
[upstream]
url = "https://duet.example.com"
app_id = "app_1"
secret_file = "/tmp/s"
[[local_apps]]
app_id = "erp"
secret_file = "/tmp/e"
)",
                                no_env());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("poll_interval_seconds"), std::string::npos);
  auto no_apps = parse_gateway_config("[gateway]\ndata_dir = \"/x\"\n[upstream]\nurl = \"http://x\"\napp_id = \"a\"\n"
                                      "secret_file = \"/s\"\n",
                                      no_env());
  ASSERT_FALSE(no_apps.ok());
  EXPECT_NE(no_apps.error().message.find("local_apps"), std::string::npos);
}

}  // namespace
}  // namespace duet::gateway
