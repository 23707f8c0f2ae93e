// A small synchronous HTTP/HTTPS client (libcurl) for the CLI and for webhook
// delivery. Nothing here logs: request and response bodies and headers never
// reach a log or an error message.
//
// Error model of perform():
//   * Any HTTP response, whatever its status (2xx, 3xx, 4xx, 5xx), is a success:
//     the caller reads HttpResponse::status. Redirects are never followed.
//   * A request that produced no response is an Error whose code and message
//     prefix tell the transport failure apart:
//       TransportError  ErrorCode          message prefix
//       kConnect        kInternal          "connect: "   (refused, unreachable, DNS)
//       kTimeout        kInternal          "timeout: "   (timeout_ms elapsed)
//       kTls            kCryptoFailure     "tls: "       (handshake, certificate verification)
//       kOther          kInternal          "transport: " (reset, bad response, too large, ...)
//     transport_error_of(error) recovers the kind. An unusable request (bad URL,
//     a scheme other than http/https, timeout_ms <= 0, CR/LF in a header) is
//     kInvalidArgument and is never sent.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace duet::httpclient {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // sent as given (GET, POST, PUT, PATCH, DELETE, HEAD, ...)
  std::string url;             // http:// or https:// only
  HeaderList headers;          // sent in order; names and values must not contain CR or LF
  std::string body;            // sent (with Content-Length) when non-empty or method is POST/PUT/PATCH
  long timeout_ms = 10000;     // whole request, connect included; must be > 0
  std::optional<std::string> ca_file;  // PEM CA bundle replacing the system store (e.g. a dev cert)
  bool insecure = false;               // skip TLS peer and host verification (development only)
  size_t max_response_bytes = 16 * 1024 * 1024;  // a longer body is a kOther transport error
  // Connect only to globally routable addresses (address_policy.h): for URLs a
  // tenant chose. Checked on each address the socket is about to connect to,
  // after DNS; a refused one is a kConnect error "connect: address not public".
  // Keep one policy per HttpClient: a kept-alive connection is not re-checked.
  bool public_addresses_only = false;
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // as received, in order (names as sent by the server)
  std::string body;

  // The value of the first header named `name` (ASCII case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

enum class TransportError { kConnect, kTimeout, kTls, kOther };

// The kind of a transport failure returned by perform(); nullopt for an error
// that is not one (e.g. kInvalidArgument).
std::optional<TransportError> transport_error_of(const Error& error);

// Performs one request on a fresh connection. Thread-safe.
Result<HttpResponse> perform(const HttpRequest& request);

// Keeps one libcurl easy handle, so consecutive requests to the same host reuse
// the connection (keep-alive) and TLS session. Not thread-safe: one per thread.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> perform(const HttpRequest& request);

 private:
  void* handle_ = nullptr;  // CURL*
};

}  // namespace duet::httpclient
