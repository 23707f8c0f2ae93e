#include "cli/cli_common.h"

#include <stdlib.h>

#include <filesystem>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/secret_file.h"
#include "crypto/random.h"

namespace duet::cli {

void fail(const std::string& message, int exit_code) { throw CliError(message, exit_code); }

void unwrap(const Status& s, std::string_view what) {
  if (!s.ok()) fail(std::string(what) + ": " + s.error().to_string());
}

void run_guarded(std::string_view name, const std::function<void()>& body) {
  try {
    body();
  } catch (const CLI::Error&) {
    throw;
  } catch (const CliError& e) {
    std::cout.flush();
    std::cerr << "duet " << name << ": " << e.what() << "\n";
    throw CLI::RuntimeError(e.exit_code());
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "duet " << name << ": " << e.what() << "\n";
    throw CLI::RuntimeError(kExitLocal);
  }
}

// ---- files -----------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail("cannot read " + path);
  return ss.str();
}

std::string read_secret_file(const std::string& path) {
  std::string s = read_file(path);
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) fail(path + " is empty");
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

void write_file(const std::string& path, ByteView data, bool private_file) {
  if (private_file) {
    // Secrets (tokens, app secrets, backups): the one secret-file writer.
    Status st = write_secret_file(path, data);
    if (!st.ok()) fail(st.error().message);
    return;
  }
  // Public output may go to a device or a pipe (/dev/stdout): written in place.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot write " + path + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("cannot write " + path + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) fail("cannot write " + path + ": " + std::strerror(errno));
}

void write_file(const std::string& path, std::string_view text, bool private_file) {
  write_file(path, as_bytes(text), private_file);
}

// ---- encodings -----------------------------------------------------------

Bytes base64_decode(std::string_view text) {
  auto bytes = decode_base64(text);
  if (!bytes) fail("malformed base64");
  return std::move(*bytes);
}

std::string random_hex(size_t bytes) {
  Bytes b(bytes);
  crypto::SystemRandom::instance().fill(b);
  return to_hex(b);
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

int64_t parse_unix_time(const std::string& text) {
  if (text == "now") return static_cast<int64_t>(std::time(nullptr));
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    fail("expected Unix seconds or \"now\", got \"" + text + "\"");
  }
  return std::stoll(text);
}

// ---- output --------------------------------------------------------------

void print_json(const json& j) {
  std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

std::string utc_timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- answers -----------------------------------------------------------------

std::string json_string(const json& j, const char* key, std::string_view what) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
    fail(std::string(what) + ": the server's answer has no string \"" + key + "\"");
  }
  return j[key].get<std::string>();
}

// ---- HTTP ------------------------------------------------------------------

void add_server_options(CLI::App& cmd, ServerOptions& options, bool server_required) {
  auto* s = cmd.add_option("--server", options.server, "Server base URL, e.g. https://127.0.0.1:8443");
  if (server_required) s->required();
  cmd.add_option("--ca", options.ca_file, "PEM file of the CA (or dev certificate) to verify the server against")
      ->check(CLI::ExistingFile);
  cmd.add_flag("--insecure", options.insecure, "Do not verify the server's TLS certificate (development only)");
  cmd.add_option("--timeout-ms", options.timeout_ms, "Timeout of each request")->check(CLI::Range(1L, 600000L));
}

Connection::Connection(ServerOptions options) : options_(std::move(options)) {
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
  if (options_.server.empty()) fail("no server given (--server)");
}

httpclient::HttpResponse Connection::send(const std::string& method, const std::string& path_and_query,
                                          httpclient::HeaderList headers, const std::string& body) {
  httpclient::HttpRequest req;
  req.method = method;
  req.url = options_.server + path_and_query;
  req.headers = std::move(headers);
  req.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  req.timeout_ms = options_.timeout_ms;
  if (!options_.ca_file.empty()) req.ca_file = options_.ca_file;
  req.insecure = options_.insecure;
  auto res = client_.perform(req);
  if (!res.ok()) {
    int code = httpclient::transport_error_of(res.error()) ? kExitTransport : kExitLocal;
    fail(method + " " + path_and_query + ": " + res.error().message, code);
  }
  return std::move(res).value();
}

std::string describe_error_response(const httpclient::HttpResponse& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  json j = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string request_id;
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& e = j["error"];
    if (e.contains("code") && e["code"].is_string()) out += " " + e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) out += ": " + e["message"].get<std::string>();
    if (e.contains("request_id") && e["request_id"].is_string()) request_id = e["request_id"].get<std::string>();
  } else if (!response.body.empty()) {
    std::string b = response.body.substr(0, 200);
    for (char& c : b)
      if (c == '\n' || c == '\r') c = ' ';
    out += ": " + b;
  }
  if (request_id.empty()) {
    if (auto h = response.header("X-Request-Id")) request_id = std::string(*h);
  }
  if (!request_id.empty()) out += " (request_id " + request_id + ")";
  return out;
}

json expect_json(const httpclient::HttpResponse& response, std::initializer_list<int> ok, std::string_view what) {
  bool good = false;
  for (int s : ok) good = good || s == response.status;
  if (!good) fail(std::string(what) + ": " + describe_error_response(response), kExitServer);
  json j = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(std::string(what) + ": the server's answer is not JSON");
  return j;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) fail("mkdtemp: cannot create a temporary directory");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void add_spawn_options(CLI::App& cmd, std::string& admin_token_file, bool& spawn, std::string& duetd) {
  cmd.add_option("--admin-token-file", admin_token_file, "Admin token file (with --server)")->check(CLI::ExistingFile);
  auto* flag = cmd.add_flag("--spawn", spawn, "Start a duetd on a fresh temporary data dir and stop it at the end");
  flag->excludes(cmd.get_option("--server"));
  flag->excludes(cmd.get_option("--admin-token-file"));
  cmd.add_option("--duetd", duetd, "duetd binary for --spawn (default: next to this duet)");
}

ServerOptions running_server(const ServerOptions& options, const std::string& admin_token_file,
                             const std::string& usage) {
  if (options.server.empty() || admin_token_file.empty()) fail(usage);
  ServerOptions s = options;
  while (!s.server.empty() && s.server.back() == '/') s.server.pop_back();
  return s;
}

}  // namespace duet::cli
