#include "cli/sink_commands.h"

#include <CLI/CLI.hpp>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/cli_common.h"
#include "http/server.h"

namespace duet::cli {
namespace {

struct SinkOptions {
  std::string listen = "127.0.0.1:0";
  std::string out_file;
  std::string port_file;
  int status = 200;
  double duration = 0;  // 0: until SIGINT/SIGTERM
};

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

// Every POST to any path is appended to the output as one JSON line:
// {"at": unix ms, "path", "headers": {name: value, … X-Duet-* and Content-Type},
//  "body": the body parsed as JSON (or as a string when it is not JSON)}
// and answered with --status (200 by default). Other methods get 405.
void run_sink(const SinkOptions& o) {
  http::ServerConfig cfg;
  {
    auto colon = o.listen.rfind(':');
    if (colon == std::string::npos) fail("--listen must be HOST:PORT");
    cfg.listen_host = o.listen.substr(0, colon);
    int port = 0;
    try {
      port = std::stoi(o.listen.substr(colon + 1));
    } catch (const std::exception&) {
      fail("--listen must be HOST:PORT");
    }
    if (port < 0 || port > 65535) fail("--listen: bad port");
    cfg.listen_port = static_cast<uint16_t>(port);
  }
  cfg.access_log = false;
  auto out = std::make_shared<std::ofstream>(o.out_file, std::ios::app);
  if (!*out) fail("cannot write " + o.out_file);
  auto mu = std::make_shared<std::mutex>();
  http::Router router;
  int status = o.status;
  auto handler = [out, mu, status](const http::Request& req) {
    json headers = json::object();
    for (const auto& [name, value] : req.headers.fields()) {
      std::string lower;
      for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.rfind("x-duet-", 0) == 0 || lower == "content-type") headers[lower] = value;
    }
    json line{{"at", std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count()},
              {"path", req.path},
              {"headers", headers}};
    try {
      line["body"] = json::parse(req.body);
    } catch (const json::exception&) {
      line["body"] = req.body;
    }
    {
      std::lock_guard<std::mutex> lock(*mu);
      *out << line.dump() << "\n";
      out->flush();
    }
    return http::Response::empty(status);
  };
  // Any path of up to four segments.
  for (const char* pattern : {"/{a}", "/{a}/{b}", "/{a}/{b}/{c}", "/{a}/{b}/{c}/{d}"}) router.on("POST", pattern, handler);
  http::Server server(cfg, std::move(router));
  unwrap(server.start(), "webhook-sink: listen on " + o.listen);
  std::string url = "http://" + cfg.listen_host + ":" + std::to_string(server.port());
  if (!o.port_file.empty()) write_file(o.port_file, std::to_string(server.port()) + "\n");
  std::cout << "webhook-sink: listening on " << url << "/<any path>, writing " << o.out_file << std::endl;
  ::signal(SIGINT, on_stop_signal);
  ::signal(SIGTERM, on_stop_signal);
  auto start = std::chrono::steady_clock::now();
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (o.duration > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= o.duration)
      break;
  }
  server.stop();
}

}  // namespace

void add_sink_commands(CLI::App& app) {
  auto o = std::make_shared<SinkOptions>();
  auto* sink = app.add_subcommand("webhook-sink",
                                  "Receive duetd's webhooks on loopback and append each as a JSON line to a file");
  sink->add_option("--listen", o->listen, "HOST:PORT (default 127.0.0.1:0, any free port)");
  sink->add_option("--out", o->out_file, "File the deliveries are appended to (JSON lines)")->required();
  sink->add_option("--port-file", o->port_file, "Write the bound port here once listening");
  sink->add_option("--status", o->status, "HTTP status to answer (default 200)")->check(CLI::Range(200, 599));
  sink->add_option("--duration", o->duration, "Seconds to run (default: until SIGINT/SIGTERM)");
  sink->callback([o] { run_guarded("webhook-sink", [o] { run_sink(*o); }); });
}

}  // namespace duet::cli
