// duet-gateway: the signing gateway on the tenant's premises (hybrid cloud,
// docs/gateway.md). A thin main: read the configuration, open the store, start
// the HTTP server and the outbox worker, wait for SIGTERM/SIGINT, stop.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <spdlog/spdlog.h>

#include "base/secret_file.h"
#include "crypto/random.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_routes.h"
#include "gateway/gateway_store.h"
#include "gateway/local_auth.h"
#include "gateway/outbox.h"
#include "gateway/upstream.h"
#include "http/server.h"

namespace {

using namespace duet;
using namespace duet::gateway;
namespace fs = std::filesystem;

int startup_error(std::string_view what, const Error& e) {
  spdlog::error("startup: {}: {} ({})", what, e.message, error_code_name(e.code));
  return 1;
}

// A secret as the Business API's: the file's text without trailing newlines.
Result<std::string> read_secret(const std::string& path) {
  DUET_ASSIGN_OR_RETURN(SecretBytes bytes, read_secret_file(path, 4096));
  std::string s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return make_error(ErrorCode::kInvalidArgument, "the secret file " + path + " is empty");
  return s;
}

// A local app's secret, made (32 random bytes as hex, mode 0600) on first start.
Result<std::string> local_secret(const std::string& path) {
  auto s = read_secret(path);
  if (s.ok() || s.code() != ErrorCode::kNotFound) return s;
  uint8_t b[32];
  crypto::SystemRandom::instance().fill(b);
  std::string secret = to_hex(ByteView(b, sizeof b));
  secure_wipe(b, sizeof b);
  std::string copy = secret;
  DUET_TRY_STATUS(write_secret_file_and_wipe(path, copy));
  return secret;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"duet-gateway — the Duet signing gateway for the tenant's premises (docs/gateway.md)"};
  std::string config_path, listen;
  app.add_option("--config", config_path, "TOML configuration file ([http], [gateway], [upstream], [[local_apps]])")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port), overrides http.listen");
  CLI11_PARSE(app, argc, argv);
  umask(077);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto config = load_gateway_config(config_path);
  if (!config.ok()) {
    startup_error("config", config.error());
    return 2;
  }
  GatewayConfig& cfg = *config;
  if (!listen.empty()) {
    auto hp = http::parse_listen(listen);
    if (!hp.ok()) {
    startup_error("--listen", hp.error());
    return 2;
  }
    cfg.http.listen_host = hp->first;
    cfg.http.listen_port = hp->second;
  }
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  const std::string port_file = cfg.data_dir + "/gateway.port";
  fs::remove(port_file, ec);

  auto store = GatewayStore::open(cfg.data_dir + "/gateway.db");
  if (!store.ok()) return startup_error("store", store.error());
  auto upstream_secret = read_secret(cfg.upstream_secret_file);
  if (!upstream_secret.ok()) return startup_error("upstream.secret_file", upstream_secret.error());
  std::map<std::string, std::string, std::less<>> secrets;
  for (const LocalApp& a : cfg.local_apps) {
    auto s = local_secret(a.secret_file);
    if (!s.ok()) return startup_error("local_apps.secret_file", s.error());
    secrets[a.app_id] = std::move(*s);
  }

  Upstream upstream(cfg, std::move(*upstream_secret));
  auto metrics = std::make_shared<http::MetricsRegistry>();
  LocalCallbacks callbacks(cfg, **store, secrets, *metrics);
  LocalAuth auth(std::move(secrets), **store, cfg.request_window_seconds);
  Outbox outbox(cfg, **store, upstream, *metrics, &callbacks);
  GatewayServices services{cfg, **store, auth, upstream, outbox, *metrics};
  http::Router router;
  if (Status s = register_gateway_routes(router, services); !s.ok()) return startup_error("routes", s.error());
  http::ServerOptions options;
  options.metrics = metrics;
  GatewayStore* db = store->get();
  options.readiness = [db] { return db->count_by_state().ok(); };
  http::Server server(cfg.http, std::move(router), options);
  if (Status s = server.start(); !s.ok()) return startup_error("listen", s.error());
  outbox.start();
  {
    std::ofstream port(port_file + ".tmp");
    port << server.port() << "\n";
  }
  fs::rename(port_file + ".tmp", port_file, ec);
  std::printf("duet-gateway listening on %s://%s:%u\n", server.tls() ? "https" : "http", cfg.http.listen_host.c_str(),
              static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("stopping on signal {}", sig);
  outbox.stop();
  server.stop();
  fs::remove(port_file, ec);
  return 0;
}
