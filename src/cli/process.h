// Child processes for `duet demo`: running a command and capturing its
// output (openssl), and a spawned duetd that is always stopped again.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace duet::cli {

struct ProcessResult {
  int exit_status = -1;  // exit code, or 128 + signal
  std::string output;    // stdout and stderr together
};

// Runs argv[0] (looked up in PATH) and waits for it. Fails (CliError) only
// when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv);

// The directory of the running executable (/proc/self/exe).
std::string self_directory();

// A child process stopped by its destructor: SIGTERM, up to `grace` seconds
// to exit, then SIGKILL. The child also gets SIGTERM if this process dies.
class ChildProcess {
 public:
  // stdout and stderr of the child go to `log_file`.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // True while the child runs; false once it exited (exit_description() tells how).
  bool running();
  std::string exit_description() const;
  // Stops it now (idempotent); returns the exit status as for ProcessResult.
  int stop(int grace_seconds = 10);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
};

}  // namespace duet::cli
