// duetd as a child of a command that brings its own server (`duet demo
// --spawn`, `duet bench --spawn`).
#pragma once

#include <memory>
#include <string>

#include "cli/cli_common.h"
#include "cli/process.h"

namespace duet::cli {

struct DuetdLaunch {
  std::string duetd;     // the binary; "" = the duetd beside this executable
  std::string data_dir;  // an existing directory; the caller owns (and removes) it
  int startup_timeout_seconds = 60;
  long request_timeout_ms = 30000;  // of the requests made to it (ServerOptions::timeout_ms)
};

// duetd on `data_dir`, listening on an ephemeral loopback port in --dev mode
// (its TLS certificate made by duetd), its stdout and stderr in
// data_dir/duetd.log. Constructed once /healthz answers 200; stopped by the
// destructor, which says how it ended.
class SpawnedDuetd {
 public:
  // Fails (CliError) when there is no duetd binary, or duetd exits, writes no
  // port file or does not answer /healthz within the startup timeout; the
  // message ends with log_tail().
  explicit SpawnedDuetd(const DuetdLaunch& launch);
  ~SpawnedDuetd();
  SpawnedDuetd(const SpawnedDuetd&) = delete;
  SpawnedDuetd& operator=(const SpawnedDuetd&) = delete;

  // --server and --ca to reach it, with the launch's request timeout.
  const ServerOptions& options() const { return options_; }
  std::string admin_token_file() const { return data_dir_ + "/admin.token"; }
  int pid() const { return child_->pid(); }
  // The last lines of duetd.log under a heading, to append to an error
  // message; "" when the log is empty.
  std::string log_tail() const;

 private:
  std::string find_cert() const;

  std::string data_dir_;
  std::string log_;
  std::unique_ptr<ChildProcess> child_;
  ServerOptions options_;
};

}  // namespace duet::cli
