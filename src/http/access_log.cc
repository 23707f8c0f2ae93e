#include "http/access_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

namespace duet::http {

namespace {

std::string now_iso8601() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

AccessLog::AccessLog(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

std::shared_ptr<spdlog::logger> AccessLog::make_stdout_logger(std::string name) {
  auto logger = std::make_shared<spdlog::logger>(std::move(name),
                                                 std::make_shared<spdlog::sinks::stdout_sink_mt>());
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  return logger;
}

std::string AccessLog::format(const AccessRecord& r) {
  nlohmann::ordered_json j;
  j["ts"] = now_iso8601();
  j["level"] = r.status >= 500 ? "error" : "info";
  j["request_id"] = r.request_id;
  j["method"] = r.method;
  j["route"] = r.route;
  j["status"] = r.status;
  j["duration_ms"] = std::round(r.duration_ms * 1000.0) / 1000.0;
  j["remote"] = r.remote;
  return dump(j);
}

std::string AccessLog::format_event(std::string_view level, std::string_view event,
                                    std::string_view message) {
  nlohmann::ordered_json j;
  j["ts"] = now_iso8601();
  j["level"] = level;
  j["event"] = event;
  j["message"] = message;
  return dump(j);
}

void AccessLog::log(const AccessRecord& r) const {
  if (!logger_) return;
  logger_->log(r.status >= 500 ? spdlog::level::err : spdlog::level::info, format(r));
}

void AccessLog::warn(std::string_view event, std::string_view message) const {
  if (!logger_) return;
  logger_->warn(format_event("warn", event, message));
}

}  // namespace duet::http
