#include "server/identity_adapters.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "core/masking.h"
#include "httpclient/http_client.h"

namespace duet::server {
namespace {

class HttpIdentitySource final : public core::IdentitySource {
 public:
  HttpIdentitySource(std::string url, std::string key, std::string ca, int timeout_ms)
      : url_(std::move(url)), key_(std::move(key)), ca_(std::move(ca)), timeout_ms_(timeout_ms) {}

  Result<core::IdentityVerdict> verify(const core::IdentityClaim& c) override {
    httpclient::HttpRequest req;
    req.method = "POST";
    req.url = url_;
    req.timeout_ms = timeout_ms_;
    if (!ca_.empty()) req.ca_file = ca_;
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key_}};
    req.body = nlohmann::json{{"name", c.name}, {"id_type", c.id_type}, {"id_number", c.id_number},
                              {"phone", c.phone}}.dump();
    auto resp = httpclient::perform(req);
    secure_wipe(req.body.data(), req.body.size());
    if (!resp.ok()) return make_error(ErrorCode::kUnavailable, "identity source unreachable");
    if (resp->status != 200) {
      return make_error(ErrorCode::kUnavailable, "identity source answered HTTP " + std::to_string(resp->status));
    }
    auto j = nlohmann::json::parse(resp->body, nullptr, false);
    if (!j.is_object() || !j.contains("match") || !j["match"].is_boolean()) {
      return make_error(ErrorCode::kUnavailable, "identity source answered without a verdict");
    }
    core::IdentityVerdict v;
    v.match = j["match"].get<bool>();
    if (j.contains("reference") && j["reference"].is_string()) v.reference = j["reference"].get<std::string>().substr(0, 128);
    if (j.contains("reason") && j["reason"].is_string()) v.reason = j["reason"].get<std::string>().substr(0, 200);
    return v;
  }

 private:
  std::string url_, key_, ca_;
  int timeout_ms_;
};

}  // namespace

std::unique_ptr<core::IdentitySource> make_http_identity_source(std::string url, std::string api_key,
                                                               std::string ca_file, int timeout_ms) {
  return std::make_unique<HttpIdentitySource>(std::move(url), std::move(api_key), std::move(ca_file), timeout_ms);
}

Status FileSmsSink::send(std::string_view phone, std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorCode::kUnavailable, "SMS sink file cannot be opened");
  ::fchmod(fd, 0600);
  auto ts = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line = nlohmann::json{{"ts", ts}, {"phone", core::mask_phone(phone)}, {"text", text}}.dump() + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  secure_wipe(line.data(), line.size());
  if (!ok) return make_error(ErrorCode::kUnavailable, "SMS sink write failed");
  return Status::Ok();
}

}  // namespace duet::server
