// Shared plumbing of the `duet` command families that talk to a server:
// failures with exit codes, files, JSON output, and one HTTP connection with
// the server's error model (docs/api/openapi.yaml) turned into readable failures.
//
// Inside the CLI, failures are exceptions (CliError) caught once per command by
// run_guarded(), which prints "duet <command>: <message>" and exits non-zero:
//   1  local failure (bad input, file, crypto, a check that did not hold)
//   3  the server answered with an error ({"error":{code,message,request_id}})
//   4  no answer from the server (connect, TLS, timeout)
// Nothing here prints secrets: request bodies and headers are never echoed.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/bytes.h"
#include "base/result.h"
#include "httpclient/http_client.h"

namespace CLI {
class App;
}

namespace duet::cli {

using nlohmann::json;

inline constexpr int kExitLocal = 1;
inline constexpr int kExitServer = 3;
inline constexpr int kExitTransport = 4;

class CliError : public std::runtime_error {
 public:
  explicit CliError(const std::string& message, int exit_code = kExitLocal)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

[[noreturn]] void fail(const std::string& message, int exit_code = kExitLocal);

// Unwraps a library Result/Status or fails with "<what>: <code>: <message>".
template <typename T>
T unwrap(Result<T> r, std::string_view what) {
  if (!r.ok()) fail(std::string(what) + ": " + r.error().to_string());
  return std::move(r).value();
}
void unwrap(const Status& s, std::string_view what);

// Runs a command body; a CliError (or any std::exception) is printed to stderr
// as "duet <name>: <message>" and turned into CLI::RuntimeError(exit code).
void run_guarded(std::string_view name, const std::function<void()>& body);

// ---- files -----------------------------------------------------------------

std::string read_file(const std::string& path);
// Reads a one-line secret (token, app secret): surrounding whitespace removed;
// an empty file fails.
std::string read_secret_file(const std::string& path);
// Writes a file (replacing it). A private file (a secret) goes through
// base/secret_file: mode 0600 whatever existed before, atomic, never through
// a symbolic link. Other files are written in place with mode 0644 for a new
// file (so that /dev/stdout works).
void write_file(const std::string& path, ByteView data, bool private_file = false);
void write_file(const std::string& path, std::string_view text, bool private_file = false);

// ---- encodings -----------------------------------------------------------

// base/base64.h strictly (canonical text, no whitespace); fails on malformed input.
Bytes base64_decode(std::string_view text);
std::string random_hex(size_t bytes);         // 2*bytes lowercase hex, system CSPRNG
// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);
// "now" or Unix seconds.
int64_t parse_unix_time(const std::string& text);

// ---- output --------------------------------------------------------------

void print_json(const json& j);
// Now in UTC, as 2026-01-31T12:00:00Z.
std::string utc_timestamp();

// ---- answers -----------------------------------------------------------------

// The string member `key` of a server's JSON answer; fails (exit 1) with
// "<what>: the server's answer has no string "<key>"" when there is none.
std::string json_string(const json& j, const char* key, std::string_view what);

// ---- HTTP ------------------------------------------------------------------

struct ServerOptions {
  std::string server;   // base URL, e.g. https://127.0.0.1:8443 (a trailing / is dropped)
  std::string ca_file;  // PEM bundle to verify the server against; empty: system store
  bool insecure = false;
  long timeout_ms = 30000;
};

// Adds --server, --ca, --insecure (and --timeout) to a command.
void add_server_options(CLI::App& cmd, ServerOptions& options, bool server_required = true);

// One keep-alive connection to a server.
class Connection {
 public:
  explicit Connection(ServerOptions options);

  // Sends METHOD base+path_and_query. A transport failure fails (exit 4);
  // any HTTP answer is returned.
  httpclient::HttpResponse send(const std::string& method, const std::string& path_and_query,
                                httpclient::HeaderList headers, const std::string& body = {});

  const ServerOptions& options() const { return options_; }

 private:
  ServerOptions options_;
  httpclient::HttpClient client_;
};

// The server's error as one line: "HTTP 404 not_found: no such order (request_id …)".
std::string describe_error_response(const httpclient::HttpResponse& response);

// Fails (exit 3) unless the status is one of `ok`; otherwise the body as JSON
// (fails on a body that is not JSON).
json expect_json(const httpclient::HttpResponse& response, std::initializer_list<int> ok, std::string_view what);

// A directory made with mkdtemp, removed (recursively) by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The options of a command that talks to a running duetd (--server, from
// add_server_options) or starts its own: --admin-token-file, --spawn (which
// excludes both) and --duetd.
void add_spawn_options(CLI::App& cmd, std::string& admin_token_file, bool& spawn, std::string& duetd);
// Without --spawn: the --server options with the trailing '/' dropped, or a
// failure naming the options to give (`usage`) when --server or
// --admin-token-file is missing.
ServerOptions running_server(const ServerOptions& options, const std::string& admin_token_file,
                             const std::string& usage);

}  // namespace duet::cli
