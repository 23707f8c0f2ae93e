#include "gateway/local_auth.h"

#include <cctype>

#include "core/request_signing.h"

namespace duet::gateway {
namespace {

Unexpected unauthenticated(std::string message) { return make_error(ErrorCode::kUnauthenticated, std::move(message)); }

std::string header_or_empty(const http::Request& req, std::string_view name) {
  auto v = req.header(name);
  return v ? std::string(*v) : std::string();
}

}  // namespace

LocalAuth::LocalAuth(std::map<std::string, std::string, std::less<>> secrets, GatewayStore& store,
                     int64_t window_seconds)
    : secrets_(std::move(secrets)), store_(store), window_(window_seconds) {}

Result<std::string> LocalAuth::authenticate(const http::Request& req, int64_t now) {
  const std::string app_id = header_or_empty(req, "X-Duet-App-Id");
  const std::string timestamp = header_or_empty(req, "X-Duet-Timestamp");
  const std::string nonce = header_or_empty(req, "X-Duet-Nonce");
  std::string signature = header_or_empty(req, "X-Duet-Signature");
  const std::string version = header_or_empty(req, core::kSignatureVersionHeader);
  if (app_id.empty() || timestamp.empty() || nonce.empty() || signature.empty())
    return unauthenticated("missing X-Duet-App-Id, X-Duet-Timestamp, X-Duet-Nonce or X-Duet-Signature");
  if (!version.empty() && version != core::kSignatureVersion2)
    return unauthenticated("unsupported X-Duet-Signature-Version");
  // An unknown app id gets the answer (and the HMAC work) of a wrong
  // signature: the gateway's answers do not list which app ids exist.
  static const std::string kNoSecret(32, '\0');
  auto app = secrets_.find(app_id);
  const bool known = app != secrets_.end();
  const std::string& secret = known ? app->second : kNoSecret;
  if (nonce.size() < 8 || nonce.size() > 64) return unauthenticated("the nonce must be 8 to 64 characters");
  int64_t ts = 0;
  if (timestamp.size() > 12) return unauthenticated("bad timestamp");
  for (char ch : timestamp) {
    if (ch < '0' || ch > '9') return unauthenticated("bad timestamp");
    ts = ts * 10 + (ch - '0');
  }
  if (ts < now - window_ || ts > now + window_) return unauthenticated("timestamp outside the allowed window");
  const std::string idempotency_key = header_or_empty(req, "Idempotency-Key");
  const std::string want =
      version.empty() ? core::sign_request(secret, req.method, req.path, req.query, timestamp, nonce, req.body)
                      : core::sign_request_v2(secret, {.method = req.method,
                                                            .path = req.path,
                                                            .query = req.query,
                                                            .timestamp = timestamp,
                                                            .nonce = nonce,
                                                            .idempotency_key = idempotency_key,
                                                            .body = req.body});
  for (char& ch : signature) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!constant_time_equal(as_bytes(want), as_bytes(signature)) || !known)
    return unauthenticated("signature does not match");
  DUET_ASSIGN_OR_RETURN(bool fresh, store_.record_nonce(app_id, nonce, now, now - 2 * window_));
  if (!fresh) return unauthenticated("nonce already used");
  return app_id;
}

}  // namespace duet::gateway
