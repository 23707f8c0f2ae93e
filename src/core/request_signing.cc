#include "core/request_signing.h"

#include "base/bytes.h"
#include "crypto/sm3.h"

namespace duet::core {

namespace {

// METHOD \n PATH[?QUERY] \n TIMESTAMP \n NONCE \n — the lines both versions start with.
std::string common_lines(std::string_view method, std::string_view path, std::string_view query,
                         std::string_view timestamp, std::string_view nonce, size_t extra) {
  std::string out;
  out.reserve(method.size() + path.size() + query.size() + timestamp.size() + nonce.size() + extra + 70);
  out.append(method).append("\n").append(path);
  if (!query.empty()) out.append("?").append(query);
  out.append("\n").append(timestamp).append("\n").append(nonce).append("\n");
  return out;
}

std::string hmac_hex(std::string_view secret, std::string_view canonical) {
  return to_hex(crypto::hmac_sm3(as_bytes(secret), as_bytes(canonical)));
}

}  // namespace

std::string canonical_request(std::string_view method, std::string_view path, std::string_view query,
                              std::string_view timestamp, std::string_view nonce, std::string_view body) {
  std::string out = common_lines(method, path, query, timestamp, nonce, 0);
  out.append(to_hex(crypto::sm3(as_bytes(body))));
  return out;
}

std::string sign_request(std::string_view secret, std::string_view method, std::string_view path,
                         std::string_view query, std::string_view timestamp, std::string_view nonce,
                         std::string_view body) {
  return hmac_hex(secret, canonical_request(method, path, query, timestamp, nonce, body));
}

std::string canonical_request_v2(const RequestFields& r) {
  std::string out = common_lines(r.method, r.path, r.query, r.timestamp, r.nonce, r.idempotency_key.size() + 1);
  out.append(r.idempotency_key).append("\n");
  out.append(to_hex(crypto::sm3(as_bytes(r.body))));
  return out;
}

std::string sign_request_v2(std::string_view secret, const RequestFields& r) {
  return hmac_hex(secret, canonical_request_v2(r));
}

std::string sign_callback(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string msg = std::string(timestamp) + "\n" + to_hex(crypto::sm3(as_bytes(body)));
  return hmac_hex(secret, msg);
}

}  // namespace duet::core
