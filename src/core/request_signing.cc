#include "core/request_signing.h"

#include "base/bytes.h"
#include "crypto/sm3.h"

namespace duet::core {

std::string canonical_request(std::string_view method, std::string_view path, std::string_view query,
                              std::string_view timestamp, std::string_view nonce, std::string_view body) {
  std::string out;
  out.reserve(method.size() + path.size() + query.size() + timestamp.size() + nonce.size() + 70);
  out.append(method).append("\n").append(path);
  if (!query.empty()) out.append("?").append(query);
  out.append("\n").append(timestamp).append("\n").append(nonce).append("\n");
  out.append(to_hex(crypto::sm3(as_bytes(body))));
  return out;
}

std::string sign_request(std::string_view secret, std::string_view method, std::string_view path,
                         std::string_view query, std::string_view timestamp, std::string_view nonce,
                         std::string_view body) {
  std::string canonical = canonical_request(method, path, query, timestamp, nonce, body);
  return to_hex(crypto::hmac_sm3(as_bytes(secret), as_bytes(canonical)));
}

std::string sign_callback(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string msg = std::string(timestamp) + "\n" + to_hex(crypto::sm3(as_bytes(body)));
  return to_hex(crypto::hmac_sm3(as_bytes(secret), as_bytes(msg)));
}

}  // namespace duet::core
