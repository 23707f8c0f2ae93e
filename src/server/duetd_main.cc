// duetd: the Duet co-signature service (docs/architecture.md). A thin main over
// server::Daemon: parse flags, start, wait for SIGTERM/SIGINT, stop gracefully.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "server/daemon.h"
#include "server/log.h"

int main(int argc, char** argv) {
  using namespace duet::server;
  CLI::App app{"duetd — Duet personal collaborative signature service"};
  CommandLine cli;
  std::string data_dir, listen, public_url;
  app.add_option("--config", cli.config_path, "TOML configuration file ([http], [service])")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", data_dir, "data directory (database, key file, admin token)");
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)");
  app.add_option("--public-url", public_url, "public base URL used in duet:// links");
  app.add_flag("--dev", cli.dev, "development mode: HTTPS with a self-signed certificate in <data-dir>/tls");
  CLI11_PARSE(app, argc, argv);
  if (!data_dir.empty()) cli.data_dir = data_dir;
  if (!listen.empty()) cli.listen = listen;
  if (!public_url.empty()) cli.public_url = public_url;

  // Files duetd creates (database, keys, tokens, certificates) are private.
  umask(077);

  // Signals are taken by sigwait() below: block them before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto config = load_daemon_config(cli);
  if (!config.ok()) {
    log_event("error", "config", {{"message", config.error().message}});
    return 2;
  }
  auto daemon = Daemon::create(std::move(*config));
  if (!daemon.ok()) {
    log_event("error", "startup", {{"code", std::string(duet::error_code_name(daemon.code()))},
                                   {"message", daemon.error().message}});
    return 1;
  }
  auto started = (*daemon)->start();
  if (!started.ok()) {
    log_event("error", "startup", {{"code", std::string(duet::error_code_name(started.code()))},
                                   {"message", started.error().message}});
    return 1;
  }
  std::printf("duetd listening on %s\n", (*daemon)->url().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&set, &sig);
  log_event("info", "signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*daemon)->stop();
  return 0;
}
