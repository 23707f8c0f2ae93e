#include "http/config.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "base/toml_keys.h"

namespace duet::http {

namespace {

Unexpected bad(std::string msg) { return make_error(ErrorCode::kInvalidArgument, std::move(msg)); }

Result<uint64_t> parse_uint(std::string_view name, std::string_view v) {
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty())
    return bad(std::string(name) + ": not a non-negative integer");
  return out;
}

Result<bool> parse_bool(std::string_view name, std::string_view v) {
  std::string s(v);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return false;
  return bad(std::string(name) + ": not a boolean");
}

Result<int64_t> toml_int(const toml::node& n, const std::string& path) {
  auto v = n.value<int64_t>();
  if (!v || *v < 0) return bad(path + ": expected a non-negative integer");
  return *v;
}

using Node = const toml::node&;
using Path = const std::string&;

Status read_ms(Node n, Path p, std::chrono::milliseconds& field) {
  DUET_ASSIGN_OR_RETURN(int64_t v, toml_int(n, p));
  field = std::chrono::milliseconds(v);
  return Status::Ok();
}

Status read_tls_string(Node n, Path p, std::string& field) {
  auto s = n.value<std::string>();
  if (!s) return bad(p + ": expected a string");
  field = *s;
  return Status::Ok();
}

// [http.tls]: one row per accepted key (docs/configuration.md).
constexpr TomlKey<ServerConfig> kTlsKeys[] = {
    {"cert", [](Node n, Path p, ServerConfig& c) { return read_tls_string(n, p, c.tls_cert); }},
    {"key", [](Node n, Path p, ServerConfig& c) { return read_tls_string(n, p, c.tls_key); }},
    {"dev_dir", [](Node n, Path p, ServerConfig& c) { return read_tls_string(n, p, c.tls_dev_dir); }},
};

// [http]
constexpr TomlKey<ServerConfig> kHttpKeys[] = {
    {"listen",
     [](Node n, Path p, ServerConfig& c) -> Status {
       auto s = n.value<std::string>();
       if (!s) return bad(p + ": expected a string");
       DUET_ASSIGN_OR_RETURN(auto hp, parse_listen(*s));
       c.listen_host = hp.first;
       c.listen_port = hp.second;
       return Status::Ok();
     }},
    {"threads",
     [](Node n, Path p, ServerConfig& c) -> Status {
       DUET_ASSIGN_OR_RETURN(int64_t v, toml_int(n, p));
       c.threads = static_cast<unsigned>(std::min<int64_t>(v, 1 << 20));
       return Status::Ok();
     }},
    {"max_body_bytes",
     [](Node n, Path p, ServerConfig& c) -> Status {
       DUET_ASSIGN_OR_RETURN(int64_t v, toml_int(n, p));
       c.max_body_bytes = static_cast<size_t>(v);
       return Status::Ok();
     }},
    {"max_header_bytes",
     [](Node n, Path p, ServerConfig& c) -> Status {
       DUET_ASSIGN_OR_RETURN(int64_t v, toml_int(n, p));
       c.max_header_bytes = static_cast<size_t>(v);
       return Status::Ok();
     }},
    {"idle_timeout_ms", [](Node n, Path p, ServerConfig& c) { return read_ms(n, p, c.idle_timeout); }},
    {"request_timeout_ms", [](Node n, Path p, ServerConfig& c) { return read_ms(n, p, c.request_timeout); }},
    {"drain_timeout_ms", [](Node n, Path p, ServerConfig& c) { return read_ms(n, p, c.drain_timeout); }},
    {"access_log",
     [](Node n, Path p, ServerConfig& c) -> Status {
       auto b = n.value<bool>();
       if (!b) return bad(p + ": expected a boolean");
       c.access_log = *b;
       return Status::Ok();
     }},
    {"tls",
     [](Node n, Path p, ServerConfig& c) -> Status {
       const toml::table* tls = n.as_table();
       if (!tls) return bad(p + ": expected a table");
       return read_toml_table<ServerConfig>(*tls, p, kTlsKeys, c);
     }},
};

}  // namespace

Status ServerConfig::validate() const {
  if (tls_cert.empty() != tls_key.empty())
    return bad("tls cert and key must be configured together");
  if (threads > 1024) return bad("threads: at most 1024");
  if (max_body_bytes == 0) return bad("max_body_bytes: must be > 0");
  if (max_header_bytes < 1024) return bad("max_header_bytes: must be >= 1024");
  if (idle_timeout.count() <= 0 || request_timeout.count() <= 0)
    return bad("timeouts must be > 0");
  if (listen_host.empty()) return bad("listen: empty host");
  return Status::Ok();
}

std::optional<std::string> process_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

Result<std::pair<std::string, uint16_t>> parse_listen(std::string_view listen) {
  std::string_view host, port;
  if (!listen.empty() && listen.front() == '[') {
    size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return bad("listen: expected [addr]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return bad("listen: expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("listen: IPv6 addresses need [brackets]");
  }
  if (host.empty()) return bad("listen: empty host");
  DUET_ASSIGN_OR_RETURN(uint64_t p, parse_uint("listen port", port));
  if (p > 65535) return bad("listen: port out of range");
  return std::pair<std::string, uint16_t>{std::string(host), static_cast<uint16_t>(p)};
}

Status apply_env_overrides(ServerConfig& c, const EnvLookup& env) {
  if (auto v = env("DUET_LISTEN")) {
    DUET_ASSIGN_OR_RETURN(auto hp, parse_listen(*v));
    c.listen_host = hp.first;
    c.listen_port = hp.second;
  }
  if (auto v = env("DUET_HTTP_THREADS")) {
    DUET_ASSIGN_OR_RETURN(uint64_t n, parse_uint("DUET_HTTP_THREADS", *v));
    c.threads = static_cast<unsigned>(std::min<uint64_t>(n, 1 << 20));
  }
  if (auto v = env("DUET_MAX_BODY_BYTES")) {
    DUET_ASSIGN_OR_RETURN(uint64_t n, parse_uint("DUET_MAX_BODY_BYTES", *v));
    c.max_body_bytes = n;
  }
  if (auto v = env("DUET_MAX_HEADER_BYTES")) {
    DUET_ASSIGN_OR_RETURN(uint64_t n, parse_uint("DUET_MAX_HEADER_BYTES", *v));
    c.max_header_bytes = n;
  }
  if (auto v = env("DUET_IDLE_TIMEOUT_MS")) {
    DUET_ASSIGN_OR_RETURN(uint64_t n, parse_uint("DUET_IDLE_TIMEOUT_MS", *v));
    c.idle_timeout = std::chrono::milliseconds(n);
  }
  if (auto v = env("DUET_REQUEST_TIMEOUT_MS")) {
    DUET_ASSIGN_OR_RETURN(uint64_t n, parse_uint("DUET_REQUEST_TIMEOUT_MS", *v));
    c.request_timeout = std::chrono::milliseconds(n);
  }
  if (auto v = env("DUET_DRAIN_TIMEOUT_MS")) {
    DUET_ASSIGN_OR_RETURN(uint64_t n, parse_uint("DUET_DRAIN_TIMEOUT_MS", *v));
    c.drain_timeout = std::chrono::milliseconds(n);
  }
  if (auto v = env("DUET_ACCESS_LOG")) {
    DUET_ASSIGN_OR_RETURN(c.access_log, parse_bool("DUET_ACCESS_LOG", *v));
  }
  if (auto v = env("DUET_TLS_CERT")) c.tls_cert = *v;
  if (auto v = env("DUET_TLS_KEY")) c.tls_key = *v;
  if (auto v = env("DUET_TLS_DEV_DIR")) c.tls_dev_dir = *v;
  return Status::Ok();
}

std::vector<std::string> server_config_keys() {
  std::vector<std::string> out;
  for (const auto& row : kHttpKeys)
    if (row.name != "tls") out.push_back("http." + std::string(row.name));
  append_toml_key_names<ServerConfig>("http.tls", kTlsKeys, out);
  return out;
}

Result<ServerConfig> parse_server_config(std::string_view toml_text, const EnvLookup& env) {
  ServerConfig c;
  try {
    toml::table root = toml::parse(toml_text);
    if (const toml::node* http = root.get("http")) {
      const toml::table* t = http->as_table();
      if (!t) return bad("http: expected a table");
      DUET_TRY_STATUS(read_toml_table<ServerConfig>(*t, "http", kHttpKeys, c));
    }
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "config: " << e.description() << " (line " << e.source().begin.line << ")";
    return bad(msg.str());
  }
  DUET_TRY_STATUS(apply_env_overrides(c, env));
  DUET_TRY_STATUS(c.validate());
  return c;
}

Result<ServerConfig> load_server_config(const std::string& path, const EnvLookup& env) {
  if (path.empty()) return parse_server_config("", env);
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("config: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_server_config(text.str(), env);
}

}  // namespace duet::http
