// Callbacks from the gateway to the tenant's local systems (docs/gateway.md
// "Callbacks to local systems"): when an order reaches a final state, the app
// that created it is POSTed the event at its [[local_apps]] callback_url,
// signed like duetd's callbacks (X-Duet-Timestamp, X-Duet-Signature =
// HMAC-SM3 under the app's secret over "timestamp\n" + hex SM3(body)).
//
// Persistent: the callback owed is a column of the order row, set in the same
// UPDATE that makes the order final (gateway_store.h), so neither a crash nor
// a restart loses it; it is retried with backoff (1, 2, 4 … s, at most
// gateway.retry_max_seconds) until the app answers 2xx. Delivery is at least
// once: a crash after the POST and before its commit sends it again
// (X-Duet-Delivery names the event, for the receiver to drop repeats).
#pragma once

#include <map>
#include <string>

#include "gateway/gateway_config.h"
#include "gateway/gateway_store.h"
#include "http/metrics.h"

namespace duet::gateway {

class LocalCallbacks {
 public:
  // `secrets`: local app id → its secret (the HMAC key).
  LocalCallbacks(const GatewayConfig& config, GatewayStore& store, std::map<std::string, std::string, std::less<>> secrets,
                 http::MetricsRegistry& metrics);

  // Delivers the callbacks due at `now`, one POST at a time (the outbox
  // worker's thread calls it after each round of orders).
  void run_once(int64_t now);

  // The event body of a final order (what is signed and sent).
  static std::string event_body(const GatewayOrder& o);

 private:
  const GatewayConfig& config_;
  GatewayStore& store_;
  std::map<std::string, std::string, std::less<>> secrets_;
  http::MetricsRegistry& metrics_;
};

}  // namespace duet::gateway
