#include "gateway/gateway_config.h"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "base/toml_keys.h"

namespace duet::gateway {
namespace {

Unexpected bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

Status read_string(const toml::node& n, const std::string& path, std::string& field) {
  auto v = n.value<std::string>();
  if (!n.is_string() || !v) return bad(path + " must be a string");
  field = *v;
  return Status::Ok();
}

Status read_flag(const toml::node& n, const std::string& path, bool& field) {
  auto v = n.value<bool>();
  if (!n.is_boolean() || !v) return bad(path + " must be true or false");
  field = *v;
  return Status::Ok();
}

template <typename Field>
Status read_count(const toml::node& n, const std::string& path, Field& field) {
  auto v = n.value<int64_t>();
  if (!n.is_integer() || !v) return bad(path + " must be an integer");
  if (*v < 0) return bad(path + " must not be negative");
  field = static_cast<Field>(*v);
  return Status::Ok();
}

using Node = const toml::node&;
using Path = const std::string&;
using Key = TomlKey<GatewayConfig>;

constexpr Key kGatewayKeys[] = {
    {"data_dir", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.data_dir); }},
    {"callback_url", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.callback_url); }},
    {"poll_interval_seconds", [](Node n, Path p, GatewayConfig& c) { return read_count(n, p, c.poll_interval_seconds); }},
    {"retry_max_seconds", [](Node n, Path p, GatewayConfig& c) { return read_count(n, p, c.retry_max_seconds); }},
    {"request_window_seconds",
     [](Node n, Path p, GatewayConfig& c) { return read_count(n, p, c.request_window_seconds); }},
    {"pdf_max_bytes", [](Node n, Path p, GatewayConfig& c) { return read_count(n, p, c.pdf_max_bytes); }},
    {"font_path", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.font_path); }},
    {"signed_pdf_retention_days",
     [](Node n, Path p, GatewayConfig& c) { return read_count(n, p, c.signed_pdf_retention_days); }},
    {"upload_previews", [](Node n, Path p, GatewayConfig& c) { return read_flag(n, p, c.upload_previews); }},
    {"preview_dpi", [](Node n, Path p, GatewayConfig& c) { return read_count(n, p, c.preview_dpi); }},
};

constexpr Key kUpstreamKeys[] = {
    {"url", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.upstream_url); }},
    {"ca_file", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.upstream_ca_file); }},
    {"app_id", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.upstream_app_id); }},
    {"secret_file", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.upstream_secret_file); }},
    {"timeout_ms", [](Node n, Path p, GatewayConfig& c) { return read_count(n, p, c.upstream_timeout_ms); }},
    {"environment", [](Node n, Path p, GatewayConfig& c) { return read_string(n, p, c.upstream_environment); }},
};

using AppKey = TomlKey<LocalApp>;
constexpr AppKey kLocalAppKeys[] = {
    {"app_id", [](Node n, Path p, LocalApp& a) { return read_string(n, p, a.app_id); }},
    {"secret_file", [](Node n, Path p, LocalApp& a) { return read_string(n, p, a.secret_file); }},
    {"callback_url", [](Node n, Path p, LocalApp& a) { return read_string(n, p, a.callback_url); }},
};

bool is_url(const std::string& u) { return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0; }

// App ids as the Business API's: 1..64 of [A-Za-z0-9_-].
bool is_app_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') return false;
  return true;
}

Status check(const GatewayConfig& c) {
  if (c.data_dir.empty()) return bad("gateway.data_dir must not be empty");
  if (!c.callback_url.empty() && !is_url(c.callback_url)) return bad("gateway.callback_url must be an http(s) URL");
  if (c.poll_interval_seconds < 1 || c.poll_interval_seconds > 3600)
    return bad("gateway.poll_interval_seconds must be 1..3600");
  if (c.retry_max_seconds < 1 || c.retry_max_seconds > 86400) return bad("gateway.retry_max_seconds must be 1..86400");
  if (c.request_window_seconds < 10 || c.request_window_seconds > 3600)
    return bad("gateway.request_window_seconds must be 10..3600");
  if (c.pdf_max_bytes < 1024 || c.pdf_max_bytes > (size_t{1} << 30))
    return bad("gateway.pdf_max_bytes must be 1024..1073741824");
  if (c.signed_pdf_retention_days > 36500) return bad("gateway.signed_pdf_retention_days must be 0..36500");
  if (c.preview_dpi < 18 || c.preview_dpi > 300) return bad("gateway.preview_dpi must be 18..300");
  if (!is_url(c.upstream_url)) return bad("upstream.url must be an http(s) URL");
  if (!is_app_id(c.upstream_app_id)) return bad("upstream.app_id must be an app id");
  if (c.upstream_secret_file.empty()) return bad("upstream.secret_file must not be empty");
  if (c.upstream_environment != "production" && c.upstream_environment != "sandbox")
    return bad("upstream.environment must be production or sandbox");
  if (c.upstream_timeout_ms < 100 || c.upstream_timeout_ms > 600000) return bad("upstream.timeout_ms must be 100..600000");
  if (c.local_apps.empty()) return bad("at least one [[local_apps]] entry is needed");
  for (size_t i = 0; i < c.local_apps.size(); ++i) {
    const LocalApp& a = c.local_apps[i];
    if (!is_app_id(a.app_id)) return bad("local_apps[" + std::to_string(i) + "].app_id must be an app id");
    if (a.secret_file.empty()) return bad("local_apps[" + std::to_string(i) + "].secret_file must not be empty");
    if (!a.callback_url.empty() && !is_url(a.callback_url))
      return bad("local_apps[" + std::to_string(i) + "].callback_url must be an http(s) URL");
    for (size_t j = 0; j < i; ++j)
      if (c.local_apps[j].app_id == a.app_id) return bad("local_apps: the app id " + a.app_id + " is given twice");
  }
  return Status::Ok();
}

}  // namespace

Result<GatewayConfig> parse_gateway_config(std::string_view toml_text, const http::EnvLookup& env) {
  GatewayConfig c;
  DUET_ASSIGN_OR_RETURN(c.http, http::parse_server_config(toml_text, env));
  try {
    toml::table root = toml::parse(toml_text);
    for (const auto& [k, node] : root) {
      std::string_view name = k.str();
      if (name == "http") continue;  // http::parse_server_config's
      if (name == "gateway" || name == "upstream") {
        const toml::table* t = node.as_table();
        if (t == nullptr) return bad("[" + std::string(name) + "] must be a table");
        if (name == "gateway") DUET_TRY_STATUS(read_toml_table<GatewayConfig>(*t, "gateway", kGatewayKeys, c));
        else DUET_TRY_STATUS(read_toml_table<GatewayConfig>(*t, "upstream", kUpstreamKeys, c));
      } else if (name == "local_apps") {
        const toml::array* apps = node.as_array();
        if (apps == nullptr) return bad("local_apps must be an array of tables ([[local_apps]])");
        for (const auto& entry : *apps) {
          const toml::table* t = entry.as_table();
          if (t == nullptr) return bad("local_apps must be an array of tables ([[local_apps]])");
          LocalApp a;
          DUET_TRY_STATUS(read_toml_table<LocalApp>(*t, "local_apps", kLocalAppKeys, a));
          c.local_apps.push_back(std::move(a));
        }
      } else {
        return bad("config: unknown table or key '" + std::string(name) + "'");
      }
    }
  } catch (const toml::parse_error& e) {
    return bad(std::string("config: ") + std::string(e.description()));
  }
  DUET_TRY_STATUS(check(c));
  return c;
}

Result<GatewayConfig> load_gateway_config(const std::string& path, const http::EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot read the configuration file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_gateway_config(text.str(), env);
}

std::vector<std::string> gateway_config_keys() {
  std::vector<std::string> out = http::server_config_keys();
  append_toml_key_names<GatewayConfig>("gateway", kGatewayKeys, out);
  append_toml_key_names<GatewayConfig>("upstream", kUpstreamKeys, out);
  append_toml_key_names<LocalApp>("local_apps", kLocalAppKeys, out);
  return out;
}

}  // namespace duet::gateway
