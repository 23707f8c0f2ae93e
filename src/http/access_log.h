// Structured access logs: one JSON object per line through spdlog.
// Fields: ts, level, request_id, method, route, status, duration_ms, remote.
// Bodies, query strings, raw paths and headers are never logged (they can carry
// secrets and personal data); `route` is the matched route pattern.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace duet::http {

struct AccessRecord {
  std::string_view request_id;
  std::string_view method;
  std::string_view route;  // pattern, or "unmatched"
  int status = 0;
  double duration_ms = 0;
  std::string_view remote;
};

class AccessLog {
 public:
  // nullptr: logging disabled.
  explicit AccessLog(std::shared_ptr<spdlog::logger> logger);

  // A logger writing bare lines ("%v") to stdout, not registered globally.
  static std::shared_ptr<spdlog::logger> make_stdout_logger(std::string name = "duet.access");

  // The JSON line for a record (without newline).
  static std::string format(const AccessRecord& r);
  // A non-request event (accept failures, TLS errors …) as a JSON line
  // {ts, level, event, message}; `message` must not carry secrets.
  static std::string format_event(std::string_view level, std::string_view event,
                                  std::string_view message);

  void log(const AccessRecord& r) const;
  void warn(std::string_view event, std::string_view message) const;
  bool enabled() const { return logger_ != nullptr; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace duet::http
