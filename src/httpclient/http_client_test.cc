#include "httpclient/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace duet::httpclient {
namespace {

using namespace std::chrono_literals;

// A listening socket on 127.0.0.1 with an ephemeral port.
int listen_local(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 16) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

struct SeenRequest {
  int connection = 0;  // index of the accepted connection it arrived on
  std::string method, target;
  HeaderList headers;  // names lowercased
  std::string body;

  std::string header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return "<absent>";
  }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A minimal blocking HTTP/1.1 server in a thread: accepts connections one after
// another, reads each request (head + Content-Length body), records it and
// answers the same fixed bytes. Optional TLS through an SSL_CTX.
class TestServer {
 public:
  explicit TestServer(std::string response, SSL_CTX* tls = nullptr) : response_(std::move(response)), tls_(tls) {
    listen_fd_ = listen_local(&port_);
    thread_ = std::thread([this] { run(); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<SeenRequest> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  int connections() const { return connections_.load(); }

 private:
  // Waits until fd is readable or the server stops.
  bool wait_readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void run() {
    while (wait_readable(listen_fd_)) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      const int conn = connections_++;
      SSL* ssl = nullptr;
      if (tls_) {
        ssl = SSL_new(tls_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {  // e.g. the client refused our certificate
          SSL_free(ssl);
          close(fd);
          continue;
        }
      }
      serve(fd, ssl, conn);
      if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
      }
      close(fd);
    }
  }

  long read_some(int fd, SSL* ssl, char* buf, size_t n) {
    if (!ssl || SSL_pending(ssl) == 0) {
      if (!wait_readable(fd)) return -1;
    }
    return ssl ? SSL_read(ssl, buf, static_cast<int>(n)) : recv(fd, buf, n, 0);
  }

  bool write_all(int fd, SSL* ssl, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      long n = ssl ? SSL_write(ssl, data.data() + off, static_cast<int>(data.size() - off))
                   : send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Serves requests on one connection until the peer closes it.
  void serve(int fd, SSL* ssl, int conn) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        long n = read_some(fd, ssl, chunk, sizeof chunk);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
        if (!ssl && buf[0] == 0x16) {  // a TLS ClientHello: answer like a real plain-HTTP server
          write_all(fd, ssl, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          return;
        }
      }
      SeenRequest r;
      r.connection = conn;
      const std::string head = buf.substr(0, head_end);
      size_t line_end = head.find("\r\n");
      const std::string request_line = head.substr(0, line_end);
      const size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
      r.method = request_line.substr(0, sp1);
      r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t content_length = 0;
      for (size_t pos = line_end; pos != std::string::npos && pos < head.size();) {
        const size_t start = pos + 2;
        const size_t next = head.find("\r\n", start);
        const std::string line = head.substr(start, next == std::string::npos ? std::string::npos : next - start);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = lower(line.substr(0, colon));
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          if (name == "content-length") content_length = std::stoul(value);
          r.headers.emplace_back(std::move(name), std::move(value));
        }
        pos = next;
      }
      buf.erase(0, head_end + 4);
      while (buf.size() < content_length) {
        long n = read_some(fd, ssl, chunk, sizeof chunk);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      r.body = buf.substr(0, content_length);
      buf.erase(0, content_length);
      {
        std::lock_guard lock(mu_);
        seen_.push_back(std::move(r));
      }
      if (!write_all(fd, ssl, response_)) return;
    }
  }

  std::string response_;
  SSL_CTX* tls_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
  std::thread thread_;
};

const std::string kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Duet-Request-Id: req-42\r\n"
    "Content-Length: 11\r\n\r\n{\"ok\":true}";

TEST(HttpClient, MethodHeadersAndBodyArrive) {
  TestServer server(kOk);
  HttpRequest req;
  req.method = "POST";
  req.url = server.url("/api/v1/orders?x=1&y=%20");
  req.headers = {{"Content-Type", "application/json"}, {"X-Duet-App-Id", "app_123"}, {"X-Empty", ""}};
  req.body = "{\"title\":\"contract\",\"bin\":\"\x01\x02\"}";
  auto res = perform(req);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "{\"ok\":true}");
  EXPECT_EQ(res->header("content-type").value_or(""), "application/json");
  EXPECT_EQ(res->header("X-DUET-REQUEST-ID").value_or(""), "req-42");
  EXPECT_FALSE(res->header("x-missing").has_value());

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/api/v1/orders?x=1&y=%20");
  EXPECT_EQ(seen[0].header("content-type"), "application/json");
  EXPECT_EQ(seen[0].header("x-duet-app-id"), "app_123");
  EXPECT_EQ(seen[0].header("x-empty"), "");
  EXPECT_EQ(seen[0].header("expect"), "<absent>");
  EXPECT_EQ(seen[0].header("content-length"), std::to_string(req.body.size()));
  EXPECT_EQ(seen[0].body, req.body);
}

TEST(HttpClient, OtherMethods) {
  TestServer server(kOk);
  HttpClient client;
  for (const char* m : {"GET", "PUT", "DELETE", "PATCH"}) {
    HttpRequest req;
    req.method = m;
    req.url = server.url("/r");
    if (std::string(m) == "PUT") req.body = "put-body";
    auto res = client.perform(req);
    ASSERT_TRUE(res.ok()) << m << ": " << res.error().to_string();
    EXPECT_EQ(res->status, 200);
  }
  HttpRequest head;
  head.method = "HEAD";
  head.url = server.url("/r");
  auto res = client.perform(head);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_TRUE(res->body.empty());

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].body, "");
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].body, "put-body");
  EXPECT_EQ(seen[2].method, "DELETE");
  EXPECT_EQ(seen[3].method, "PATCH");
  EXPECT_EQ(seen[3].header("content-length"), "0");
  EXPECT_EQ(seen[4].method, "HEAD");
}

TEST(HttpClient, ServerErrorIsAResponse) {
  TestServer server("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!");
  HttpRequest req;
  req.url = server.url();
  auto res = perform(req);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body, "oops!");
}

TEST(HttpClient, RedirectIsNotFollowed) {
  TestServer server("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n");
  HttpRequest req;
  req.url = server.url();
  auto res = perform(req);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(res->status, 302);
  EXPECT_EQ(res->header("location").value_or(""), "http://127.0.0.1:1/elsewhere");
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpClient, KeepAliveReusesTheConnection) {
  TestServer server(kOk);
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    HttpRequest req;
    req.method = "POST";
    req.url = server.url("/n" + std::to_string(i));
    req.body = "n=" + std::to_string(i);
    auto res = client.perform(req);
    ASSERT_TRUE(res.ok()) << res.error().to_string();
    EXPECT_EQ(res->status, 200);
  }
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& r : seen) EXPECT_EQ(r.connection, 0);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(seen[2].body, "n=2");
}

TEST(HttpClient, PublicAddressesOnlyRefusesLoopbackByNameAndByLiteral) {
  TestServer server(kOk);
  const std::string port = server.url().substr(server.url().rfind(':'));  // ":PORT/"
  for (const std::string& url : {server.url(), "http://localhost" + port}) {
    HttpRequest req;
    req.url = url;
    req.public_addresses_only = true;
    auto res = perform(req);
    ASSERT_FALSE(res.ok()) << url;
    EXPECT_EQ(transport_error_of(res.error()), TransportError::kConnect) << res.error().to_string();
    EXPECT_NE(res.error().message.find("address not public"), std::string::npos) << res.error().to_string();
  }
  EXPECT_EQ(server.connections(), 0);  // nothing reached the server
  HttpRequest allowed;
  allowed.url = server.url();
  auto res = perform(allowed);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(res->status, 200);
}

TEST(HttpClient, ConnectionRefusedIsAnError) {
  int port = 0;
  int fd = listen_local(&port);
  ASSERT_GE(fd, 0);
  close(fd);  // nothing listens there now
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto res = perform(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.code(), ErrorCode::kInternal);
  EXPECT_EQ(transport_error_of(res.error()), TransportError::kConnect) << res.error().to_string();
}

TEST(HttpClient, TimeoutIsAnError) {
  int port = 0;
  int fd = listen_local(&port);  // the kernel completes the handshake; nobody answers
  ASSERT_GE(fd, 0);
  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/slow";
  req.body = "x";
  req.timeout_ms = 300;
  const auto start = std::chrono::steady_clock::now();
  auto res = perform(req);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.code(), ErrorCode::kInternal);
  EXPECT_EQ(transport_error_of(res.error()), TransportError::kTimeout) << res.error().to_string();
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(HttpClient, OversizedBodyIsAnError) {
  TestServer server(kOk);
  HttpRequest req;
  req.url = server.url();
  req.max_response_bytes = 5;
  auto res = perform(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(transport_error_of(res.error()), TransportError::kOther) << res.error().to_string();
}

TEST(HttpClient, UnusableRequestsAreInvalidArguments) {
  HttpRequest req;
  req.url = "ftp://127.0.0.1/file";
  EXPECT_EQ(perform(req).code(), ErrorCode::kInvalidArgument);
  req.url = "file:///etc/passwd";
  EXPECT_EQ(perform(req).code(), ErrorCode::kInvalidArgument);
  req.url = "http://127.0.0.1:1/";
  req.timeout_ms = 0;
  EXPECT_EQ(perform(req).code(), ErrorCode::kInvalidArgument);
  req.timeout_ms = 1000;
  req.headers = {{"X-Injected", "a\r\nEvil: 1"}};
  EXPECT_EQ(perform(req).code(), ErrorCode::kInvalidArgument);
  req.headers = {{"Bad Name", "v"}};
  EXPECT_EQ(perform(req).code(), ErrorCode::kInvalidArgument);
  req.headers.clear();
  req.method = "GET /x";
  EXPECT_EQ(perform(req).code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(transport_error_of(Error{ErrorCode::kInvalidArgument, "connect: x"}).has_value());
}

// --- TLS --------------------------------------------------------------------

// A self-signed P-256 certificate for 127.0.0.1, its PEM written to a temp file.
struct DevCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string pem_path;

  DevCert() {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    pem_path = testing::TempDir() + "duet_httpclient_ca_" + std::to_string(getpid()) + ".pem";
    FILE* f = fopen(pem_path.c_str(), "w");
    PEM_write_X509(f, cert);
    fclose(f);
  }
  ~DevCert() {
    unlink(pem_path.c_str());
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  SSL_CTX* server_ctx() const {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    return ctx;
  }
};

class HttpClientTls : public testing::Test {
 protected:
  void SetUp() override { ctx_ = cert_.server_ctx(); }
  void TearDown() override { SSL_CTX_free(ctx_); }
  DevCert cert_;
  SSL_CTX* ctx_ = nullptr;
};

TEST_F(HttpClientTls, CustomCaFileIsTrusted) {
  TestServer server(kOk, ctx_);
  HttpRequest req;
  req.method = "POST";
  req.url = server.url("/hook");
  req.body = "payload";
  req.ca_file = cert_.pem_path;
  auto res = perform(req);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(res->status, 200);
  ASSERT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.seen()[0].body, "payload");
}

TEST_F(HttpClientTls, UnknownCertificateIsATlsError) {
  TestServer server(kOk, ctx_);
  HttpRequest req;
  req.url = server.url();
  auto res = perform(req);  // system CA store: our self-signed cert is not in it
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.code(), ErrorCode::kCryptoFailure);
  EXPECT_EQ(transport_error_of(res.error()), TransportError::kTls) << res.error().to_string();
  EXPECT_TRUE(server.seen().empty());
}

TEST_F(HttpClientTls, InsecureSkipsVerification) {
  TestServer server(kOk, ctx_);
  HttpRequest req;
  req.url = server.url();
  req.insecure = true;
  auto res = perform(req);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(res->status, 200);
}

TEST(HttpClient, HttpsToPlainServerIsATlsError) {
  TestServer server(kOk);
  HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  req.timeout_ms = 2000;
  auto res = perform(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(transport_error_of(res.error()), TransportError::kTls) << res.error().to_string();
}

}  // namespace
}  // namespace duet::httpclient
