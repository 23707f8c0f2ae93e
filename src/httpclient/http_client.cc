#include "httpclient/http_client.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <memory>
#include <mutex>

#include "httpclient/address_policy.h"

namespace duet::httpclient {
namespace {

constexpr std::string_view kConnectPrefix = "connect: ";
constexpr std::string_view kTimeoutPrefix = "timeout: ";
constexpr std::string_view kTlsPrefix = "tls: ";
constexpr std::string_view kOtherPrefix = "transport: ";

// curl_global_init is not thread-safe on every platform: run it once.
CURLcode global_init() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return rc;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool has_crlf_or_nul(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// State shared with the libcurl callbacks during one transfer. Callbacks never
// let an exception escape into libcurl's C frames.
struct Transfer {
  HttpResponse response;
  size_t max_body = 0;
  bool too_large = false;
  bool out_of_memory = false;
  bool public_only = false;   // HttpRequest::public_addresses_only
  bool refused_address = false;  // the open-socket hook refused an address
};

// libcurl's open-socket hook: every address a connection is about to use, after
// DNS, passes here, so a tenant's host name cannot steer a request inward.
extern "C" curl_socket_t duet_curl_open_socket(void* user, curlsocktype purpose, curl_sockaddr* a) {
  auto* t = static_cast<Transfer*>(user);
  if (t->public_only && (purpose != CURLSOCKTYPE_IPCXN ||
                         !is_public_address(&a->addr, static_cast<size_t>(a->addrlen)))) {
    t->refused_address = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(a->family, a->socktype, a->protocol);
}

extern "C" size_t duet_curl_on_body(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  if (t->response.body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  try {
    t->response.body.append(data, n);
  } catch (...) {
    t->out_of_memory = true;
    return 0;
  }
  return n;
}

extern "C" size_t duet_curl_on_header(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nitems;
  const std::string_view line(data, n);
  try {
    if (line.starts_with("HTTP/")) {
      // A new response head (e.g. after "100 Continue"): keep only the last one.
      t->response.headers.clear();
      return n;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return n;  // blank line ending the head, or junk
    t->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
  } catch (...) {
    t->out_of_memory = true;
    return 0;
  }
  return n;
}

Unexpected transport_error(CURLcode rc, const char* errbuf, const Transfer& t) {
  std::string detail = (errbuf != nullptr && errbuf[0] != '\0') ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return make_error(ErrorCode::kInvalidArgument, "httpclient: unusable URL: " + detail);
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      if (t.refused_address) detail = "address not public";
      return make_error(ErrorCode::kInternal, std::string(kConnectPrefix) + detail);
    case CURLE_OPERATION_TIMEDOUT:
      return make_error(ErrorCode::kInternal, std::string(kTimeoutPrefix) + detail);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return make_error(ErrorCode::kCryptoFailure, std::string(kTlsPrefix) + detail);
    default:
      break;
  }
  if (t.refused_address) return make_error(ErrorCode::kInternal, std::string(kConnectPrefix) + "address not public");
  if (t.too_large) detail = "response body exceeds max_response_bytes";
  if (t.out_of_memory) detail = "out of memory";
  return make_error(ErrorCode::kInternal, std::string(kOtherPrefix) + detail);
}

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

std::optional<TransportError> transport_error_of(const Error& error) {
  const std::string_view m = error.message;
  if (error.code == ErrorCode::kCryptoFailure && m.starts_with(kTlsPrefix)) return TransportError::kTls;
  if (error.code != ErrorCode::kInternal) return std::nullopt;
  if (m.starts_with(kConnectPrefix)) return TransportError::kConnect;
  if (m.starts_with(kTimeoutPrefix)) return TransportError::kTimeout;
  if (m.starts_with(kOtherPrefix)) return TransportError::kOther;
  return std::nullopt;
}

HttpClient::HttpClient() {
  if (global_init() == CURLE_OK) handle_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (handle_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(handle_));
}

HttpClient::HttpClient(HttpClient&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(handle_));
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& req) {
  if (handle_ == nullptr) return make_error(ErrorCode::kInternal, "httpclient: libcurl initialisation failed");
  if (!is_token(req.method)) return make_error(ErrorCode::kInvalidArgument, "httpclient: bad method");
  if (req.timeout_ms <= 0) return make_error(ErrorCode::kInvalidArgument, "httpclient: timeout_ms must be > 0");
  if (req.url.empty() || has_crlf_or_nul(req.url))
    return make_error(ErrorCode::kInvalidArgument, "httpclient: bad URL");

  // Headers. curl sends "Name;" as a header with an empty value; "Expect:" with
  // nothing after it suppresses curl's automatic "Expect: 100-continue".
  Slist headers;
  bool has_expect = false;
  auto append = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return false;
    (void)headers.release();
    headers.reset(next);
    return true;
  };
  for (const auto& [name, value] : req.headers) {
    if (!is_token(name) || has_crlf_or_nul(value))
      return make_error(ErrorCode::kInvalidArgument, "httpclient: bad header name or value");
    if (iequals(name, "Expect")) has_expect = true;
    if (!append(value.empty() ? name + ";" : name + ": " + value))
      return make_error(ErrorCode::kInternal, "httpclient: out of memory");
  }
  if (!has_expect && !append("Expect:")) return make_error(ErrorCode::kInternal, "httpclient: out of memory");

  CURL* h = static_cast<CURL*>(handle_);
  curl_easy_reset(h);  // keeps the connection cache, DNS cache and TLS sessions
  Transfer t;
  t.max_body = req.max_response_bytes;
  t.public_only = req.public_addresses_only;
  char errbuf[CURL_ERROR_SIZE] = {0};

  bool ok = true;
  auto set = [&ok](CURLcode rc) { ok = ok && rc == CURLE_OK; };
  set(curl_easy_setopt(h, CURLOPT_URL, req.url.c_str()));
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req.timeout_ms));
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req.timeout_ms));
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf));
  set(curl_easy_setopt(h, CURLOPT_VERBOSE, 0L));
  set(curl_easy_setopt(h, CURLOPT_USERAGENT, "duet-httpclient/1"));
  set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()));
  set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, duet_curl_on_body));
  set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &t));
  set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, duet_curl_on_header));
  set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &t));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req.insecure ? 0L : 1L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req.insecure ? 0L : 2L));
  if (req.ca_file) set(curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file->c_str()));
  if (req.public_addresses_only) {
    set(curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, duet_curl_open_socket));
    set(curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &t));
    // A proxy from the environment would make the checked address the proxy's.
    set(curl_easy_setopt(h, CURLOPT_PROXY, ""));
  }

  const std::string& m = req.method;
  if (m == "HEAD") {
    set(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
  } else if (!req.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size())));
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data()));
    if (m != "POST") set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str()));
  } else {
    set(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L));
    if (m != "GET") set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str()));
  }
  if (!ok) return make_error(ErrorCode::kInternal, "httpclient: libcurl rejected an option");

  const CURLcode rc = curl_easy_perform(h);
  // The handle must not keep pointers into this frame or into `req`.
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) return transport_error(rc, errbuf, t);

  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status <= 0) return make_error(ErrorCode::kInternal, std::string(kOtherPrefix) + "no HTTP status");
  t.response.status = static_cast<int>(status);
  return std::move(t.response);
}

Result<HttpResponse> perform(const HttpRequest& request) {
  HttpClient client;
  return client.perform(request);
}

}  // namespace duet::httpclient
