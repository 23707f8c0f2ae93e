#include "cli/api_profile.h"

#include <toml++/toml.h>

namespace duet::cli {

ApiProfile load_api_profile(const std::string& path) {
  std::string text = read_file(path);
  ApiProfile p;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) fail("profile " + path + ": not a JSON object");
    auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
    p.server = str("server");
    p.app_id = str("app_id");
    p.secret = str("secret");
    p.secret_file = str("secret_file");
    p.ca = str("ca");
    p.insecure = j.contains("insecure") && j["insecure"].is_boolean() && j["insecure"].get<bool>();
  } else {
    toml::table t;
    try {
      t = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
      fail("profile " + path + ": " + std::string(e.description()));
    }
    p.server = t["server"].value_or(std::string());
    p.app_id = t["app_id"].value_or(std::string());
    p.secret = t["secret"].value_or(std::string());
    p.secret_file = t["secret_file"].value_or(std::string());
    p.ca = t["ca"].value_or(std::string());
    p.insecure = t["insecure"].value_or(false);
  }
  return p;
}

ApiTarget resolve_api_target(const ServerOptions& command_line, const std::string& app_id,
                             const std::string& secret_file, const std::string& profile_path) {
  ApiTarget out{command_line, AppCredential{app_id, {}}};
  std::string secret_path = secret_file;
  if (!profile_path.empty()) {
    ApiProfile p = load_api_profile(profile_path);
    if (out.server.server.empty()) out.server.server = p.server;
    if (out.server.ca_file.empty()) out.server.ca_file = p.ca;
    out.server.insecure = out.server.insecure || p.insecure;
    if (out.credential.app_id.empty()) out.credential.app_id = p.app_id;
    if (secret_path.empty()) {
      if (!p.secret_file.empty()) {
        secret_path = p.secret_file;
      } else {
        out.credential.secret = p.secret;
      }
    }
  }
  if (!secret_path.empty()) out.credential.secret = read_secret_file(secret_path);
  if (out.server.server.empty()) fail("no server given (--server or a profile)");
  if (out.credential.app_id.empty()) fail("no app id given (--app-id or a profile)");
  if (out.credential.secret.empty()) fail("no app secret given (--secret-file or a profile)");
  return out;
}

}  // namespace duet::cli
