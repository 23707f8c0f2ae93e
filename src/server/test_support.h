// Helpers shared by the server tests: temp dirs, HTTP calls, signed requests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "httpclient/http_client.h"
#include "server/daemon.h"
#include "server/daemon_config.h"

namespace duet::server::testing {

inline std::filesystem::path temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("duet-srv-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  return dir;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A development daemon on an ephemeral loopback port, its data in `dir`:
// no access log, no sandbox rate limit, the public URL the tests expect.
inline DaemonConfig loopback_dev_config(const std::filesystem::path& dir, unsigned threads) {
  DaemonConfig c;
  c.dev = true;
  c.keys.kek = "file";
  c.http.listen_host = "127.0.0.1";
  c.http.listen_port = 0;
  c.http.threads = threads;
  c.http.access_log = false;
  c.service.data_dir = dir.string();
  c.service.core.public_url = "https://duet.example";
  c.limits.sandbox_requests_per_second = 0;
  return c;
}

// Daemon::create and start(): the daemon serving, or the error of either step.
inline Result<std::unique_ptr<Daemon>> start_daemon(const DaemonConfig& c, DaemonOptions options = {}) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<Daemon> d, Daemon::create(c, std::move(options)));
  DUET_TRY_STATUS(d->start());
  return d;
}

// Sends `req` (with a JSON content type when it has a body). A transport
// failure fails the test and answers an empty response.
inline httpclient::HttpResponse send(httpclient::HttpClient& client, httpclient::HttpRequest req) {
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auto r = client.perform(req);
  EXPECT_TRUE(r.ok()) << req.method << " " << req.url;
  return r.ok() ? *r : httpclient::HttpResponse{};
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace duet::server::testing
