// Authentication of the local systems' requests to the gateway: the Business
// API's request signature (core/request_signing.h — v2 with
// X-Duet-Signature-Version: 2, else v1), under the gateway's own app
// credentials ([[local_apps]]), the timestamp within
// gateway.request_window_seconds, and a nonce never seen before for the app
// (kept in the gateway's store, so a restart does not reopen replays). The
// nonce is recorded only after the signature verified.
#pragma once

#include <map>
#include <string>

#include "base/result.h"
#include "gateway/gateway_store.h"
#include "http/http.h"

namespace duet::gateway {

class LocalAuth {
 public:
  // app id → secret (the secret string as issued, the HMAC key).
  LocalAuth(std::map<std::string, std::string, std::less<>> secrets, GatewayStore& store, int64_t window_seconds);

  // The app id of a request that verifies; kUnauthenticated with the check
  // that failed otherwise.
  Result<std::string> authenticate(const http::Request& req, int64_t now);

 private:
  std::map<std::string, std::string, std::less<>> secrets_;
  GatewayStore& store_;
  int64_t window_;
};

}  // namespace duet::gateway
