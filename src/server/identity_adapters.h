// The server's implementations of core's identity adapters.
//
// HttpIdentitySource: POST {name, id_type, id_number, phone} as JSON to the
// configured URL with `Authorization: Bearer <key>`; a 200 answer
// {"match": bool, "reference": "...", "reason": "..."} is the verdict; any
// other answer or a transport failure is kUnavailable. TLS is verified.
//
// FileSmsSink: the development SMS gateway. Appends one JSON line per message
// ({"ts", "phone" (masked), "text"}) to a file created with mode 0600, so only
// the service's user can read the codes.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/identity.h"

namespace duet::server {

std::unique_ptr<core::IdentitySource> make_http_identity_source(std::string url, std::string api_key,
                                                               std::string ca_file, int timeout_ms);

class FileSmsSink final : public core::SmsSender {
 public:
  explicit FileSmsSink(std::string path) : path_(std::move(path)) {}
  Status send(std::string_view phone, std::string_view text) override;

 private:
  std::string path_;
  std::mutex mu_;
};

}  // namespace duet::server
