#include "cli/spawned_duetd.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

namespace duet::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The port in duetd.port: "PORT", "HOST:PORT" or a URL: the digits after the
// last ':' (or all); "" while the file holds no port yet.
std::string parse_port(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '/')) t.pop_back();
  size_t colon = t.rfind(':');
  std::string p = colon == std::string::npos ? t : t.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return {};
  return p;
}

// The last `max_lines` lines of the file at `path` ("" when there is none).
std::string tail_of_file(const std::string& path, size_t max_lines) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  std::string text = read_file(path);
  size_t pos = text.size();
  size_t lines = 0;
  while (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    if (nl + 1 < text.size() && ++lines > max_lines) {
      pos = nl + 1;
      break;
    }
    pos = nl;
  }
  return text.substr(pos);
}

}  // namespace

SpawnedDuetd::SpawnedDuetd(const DuetdLaunch& launch) : data_dir_(launch.data_dir) {
  std::string duetd = launch.duetd.empty() ? (fs::path(self_directory()) / "duetd").string() : launch.duetd;
  std::error_code ec;
  if (!fs::exists(duetd, ec)) fail("no duetd at " + duetd + " (give --duetd PATH)");
  log_ = data_dir_ + "/duetd.log";
  child_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{duetd, "--data-dir", data_dir_, "--listen", "127.0.0.1:0", "--dev"}, log_);
  std::cout << "started " << duetd << " (pid " << child_->pid() << ") on " << data_dir_ << std::endl;

  auto deadline = Clock::now() + std::chrono::seconds(launch.startup_timeout_seconds);
  std::string port_file = data_dir_ + "/duetd.port";
  std::string port;
  while (port.empty()) {
    if (!child_->running()) fail("duetd " + child_->exit_description() + " before it listened" + log_tail());
    if (Clock::now() > deadline) fail("duetd wrote no " + port_file + " in time" + log_tail());
    if (fs::exists(port_file, ec)) port = parse_port(read_file(port_file));
    if (port.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  options_.server = "https://127.0.0.1:" + port;
  options_.ca_file = find_cert();
  options_.timeout_ms = launch.request_timeout_ms;

  // /healthz answers 200 once serving.
  Connection conn(options_);
  for (;;) {
    if (!child_->running()) fail("duetd " + child_->exit_description() + log_tail());
    try {
      if (conn.send("GET", "/healthz", {}).status == 200) break;
    } catch (const CliError&) {
      // not yet
    }
    if (Clock::now() > deadline) fail("duetd did not answer /healthz in time" + log_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << "duetd listening on " << options_.server << std::endl;
}

SpawnedDuetd::~SpawnedDuetd() {
  int status = child_->stop();
  std::cout << "stopped duetd (" << (status == 0 ? std::string("exit 0") : child_->exit_description()) << ")"
            << std::endl;
}

std::string SpawnedDuetd::log_tail() const {
  std::string t = tail_of_file(log_, 20);
  return t.empty() ? std::string() : "\n--- duetd log (last lines) ---\n" + t;
}

std::string SpawnedDuetd::find_cert() const {
  fs::path dir = fs::path(data_dir_) / "tls";
  fs::path exact = dir / "dev-cert.pem";  // http/dev_cert.h
  std::error_code ec;
  if (fs::exists(exact, ec)) return exact.string();
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.find("cert") != std::string::npos && name.ends_with(".pem")) return entry.path().string();
  }
  fail("no dev certificate in " + dir.string() + log_tail());
}

}  // namespace duet::cli
